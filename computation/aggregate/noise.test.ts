/**
 * Statistical checks with many draws and bounds of about six standard errors, so a correct
 * sampler fails with negligible probability while a wrong one (wrong shape, scale or
 * split) fails clearly.
 */
import { describe, expect, it } from "vitest";
import { gammaSample, laplaceShare, noiseVector, uniform } from "./noise";

const DRAWS = 20_000;

function moments(xs: number[]) {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, variance };
}

describe("distributed Laplace noise", () => {
  it("sums 3 shares into Laplace(0, b): mean 0, variance 2b², P(|X| > b·ln 20) = 0.05", () => {
    const b = 4;
    const xs = Array.from({ length: DRAWS }, () => laplaceShare(b, 3) + laplaceShare(b, 3) + laplaceShare(b, 3));
    const { mean, variance } = moments(xs);
    // sd of the mean = b·sqrt(2/n) ≈ 0.04; sd of the variance ≈ 2b²·sqrt(5/n) ≈ 0.5
    expect(Math.abs(mean)).toBeLessThan(0.25);
    expect(variance).toBeGreaterThan(2 * b * b * 0.9);
    expect(variance).toBeLessThan(2 * b * b * 1.1);
    const tail = xs.filter((x) => Math.abs(x) > b * Math.log(1 / 0.05)).length / DRAWS;
    expect(tail).toBeGreaterThan(0.04);
    expect(tail).toBeLessThan(0.06);
  });

  it("gives each share the variance of a 1/parties part: 2b²/parties", () => {
    for (const parties of [1, 8]) {
      const { mean, variance } = moments(Array.from({ length: DRAWS }, () => laplaceShare(1, parties)));
      expect(Math.abs(mean)).toBeLessThan(6 * Math.sqrt(2 / parties / DRAWS));
      // the share's kurtosis is 6 + 3(parties − 1) = 3 + 3·parties: heavier tails, wider bounds
      const tolerance = 6 * Math.sqrt((2 + 3 * parties) / DRAWS);
      expect(Math.abs(variance / (2 / parties) - 1)).toBeLessThan(tolerance);
    }
  });

  it("samples Gamma with the right mean for shapes below and above 1", () => {
    for (const shape of [1 / 64, 1 / 3, 2.5]) {
      const { mean } = moments(Array.from({ length: DRAWS }, () => gammaSample(shape)));
      expect(Math.abs(mean - shape)).toBeLessThan(6 * Math.sqrt(shape / DRAWS));
    }
  });

  it("draws uniforms strictly inside (0, 1)", () => {
    for (let i = 0; i < 2000; i++) {
      const u = uniform();
      expect(u > 0 && u < 1).toBe(true);
    }
  });

  it("lays the rounded shares over the blocks with their own scales", () => {
    const plan = { stats: [{ kind: "sum" as const, column: "x", scale: 0 }, { kind: "hist" as const, column: "x", edges: [0, 1, 2] }], noise: { parties: 2, scales: [0, 1000, 0] } };
    const v = noiseVector(plan, [3, 3, 6]);
    expect(v).toHaveLength(12);
    expect(v.slice(0, 3)).toEqual([0n, 0n, 0n]);
    expect(v.slice(6)).toEqual(new Array(6).fill(0n));
    expect(v.slice(3, 6).every((x) => typeof x === "bigint")).toBe(true);
    expect(v.slice(3, 6).some((x) => x !== 0n)).toBe(true);
    expect(noiseVector({ ...plan, noise: null }, [3, 3, 6])).toEqual(new Array(12).fill(0n));
    expect(() => noiseVector({ ...plan, noise: { parties: 2, scales: [1, 1] } }, [3, 3, 6])).toThrow(/scales/);
    expect(() => laplaceShare(-1, 2)).toThrow();
    expect(() => laplaceShare(1, 0)).toThrow();
  });
});
