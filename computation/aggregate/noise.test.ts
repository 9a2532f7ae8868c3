/**
 * The discrete Laplace sampler against its distribution, at fixed seeds (reproducible: a
 * failure is a real one, not bad luck). χ² goodness of fit over the central values with the
 * tails pooled; the critical values are the 99.9 % quantiles, so a correct sampler passes these
 * seeds and a wrong shape or scale fails clearly.
 */
import { describe, expect, it } from "vitest";
import { bernoulliExp, discreteLaplace, discreteLaplacePmf, noiseVector, rationalScale, seededRandom } from "./noise";

const DRAWS = 20_000;

/** χ² statistic of observed draws against expected probabilities over cells -w..w, tails pooled into the end cells. */
function chiSquare(draws: bigint[], pmf: (y: number) => number, w: number): { stat: number; cells: number } {
  const observed = new Map<number, number>();
  for (const d of draws) {
    const y = Math.max(-w, Math.min(w, Number(d)));
    observed.set(y, (observed.get(y) ?? 0) + 1);
  }
  let stat = 0;
  let central = 0;
  for (let y = -w + 1; y < w; y++) central += pmf(y);
  for (let y = -w; y <= w; y++) {
    const p = y === -w || y === w ? (1 - central) / 2 : pmf(y);
    const e = p * draws.length;
    stat += ((observed.get(y) ?? 0) - e) ** 2 / e;
  }
  return { stat, cells: 2 * w + 1 };
}

/** 99.9 % quantile of χ² with k degrees of freedom (Wilson–Hilferty). */
const chi2Critical = (k: number) => k * (1 - 2 / (9 * k) + 3.09 * Math.sqrt(2 / (9 * k))) ** 3;

describe("discrete Laplace noise, sampled exactly", () => {
  it("draws Bernoulli(exp(−γ)) at its rate, for γ below and above 1", () => {
    const rng = seededRandom("bernoulli");
    for (const [num, den] of [[1n, 3n], [5n, 2n]] as const) {
      let hits = 0;
      for (let i = 0; i < DRAWS; i++) if (bernoulliExp(rng, num, den)) hits++;
      const p = Math.exp(-Number(num) / Number(den));
      expect(Math.abs(hits / DRAWS - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / DRAWS));
    }
  });

  it("fits P(y) ∝ exp(−|y|/b) by χ² at fixed seeds, for small and large scales", () => {
    for (const [b, seed, w] of [[0.7, "s1", 4], [3, "s2", 9], [25.5, "s3", 40]] as const) {
      const rng = seededRandom(seed);
      const draws = Array.from({ length: DRAWS }, () => discreteLaplace(b, rng));
      const { stat, cells } = chiSquare(draws, (y) => discreteLaplacePmf(b, y), w);
      expect(stat, `b = ${b}`).toBeLessThan(chi2Critical(cells - 1));
    }
  });

  it("tells a wrong scale apart (the test has power)", () => {
    const rng = seededRandom("power");
    const draws = Array.from({ length: DRAWS }, () => discreteLaplace(3, rng));
    const { stat, cells } = chiSquare(draws, (y) => discreteLaplacePmf(2.5, y), 9);
    expect(stat).toBeGreaterThan(chi2Critical(cells - 1));
  });

  it("sums n nodes' draws into the intended noise: mean 0, variance n·2q/(1−q)²", () => {
    const b = 4, n = 3;
    const rng = seededRandom("sum");
    const sums = Array.from({ length: DRAWS }, () => Number(discreteLaplace(b, rng) + discreteLaplace(b, rng) + discreteLaplace(b, rng)));
    const mean = sums.reduce((a, x) => a + x, 0) / DRAWS;
    const variance = sums.reduce((a, x) => a + (x - mean) ** 2, 0) / (DRAWS - 1);
    const { t, s } = rationalScale(b);
    const q = Math.exp(-Number(s) / Number(t));
    const one = (2 * q) / (1 - q) ** 2;
    expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt((n * one) / DRAWS));
    expect(Math.abs(variance / (n * one) - 1)).toBeLessThan(0.06);
  });

  it("never uses a scale smaller than asked, and refuses nonsense", () => {
    for (const b of [0.01, 1 / 3, 7.77, 1e12]) {
      const { t, s } = rationalScale(b);
      expect(Number(t) / Number(s)).toBeGreaterThanOrEqual(b);
    }
    expect(discreteLaplace(0)).toBe(0n);
    expect(() => discreteLaplace(-1)).toThrow();
    expect(() => discreteLaplace(Number.NaN)).toThrow();
  });

  it("lays draws over the blocks with their own scales", () => {
    const plan = { stats: [{ kind: "sum" as const, column: "x", scale: 0 }, { kind: "hist" as const, column: "x", edges: [0, 1, 2] }], noise: { scales: [0, 1000, 0], selection: 1 } };
    const v = noiseVector(plan, [3, 3, 6], seededRandom("layout"));
    expect(v).toHaveLength(12);
    expect(v.slice(0, 3)).toEqual([0n, 0n, 0n]);
    expect(v.slice(6)).toEqual(new Array(6).fill(0n));
    expect(v.slice(3, 6).some((x) => x !== 0n)).toBe(true);
    expect(noiseVector({ ...plan, noise: null }, [3, 3, 6])).toEqual(new Array(12).fill(0n));
    expect(() => noiseVector({ ...plan, noise: { scales: [1, 1], selection: 1 } }, [3, 3, 6])).toThrow(/scales/);
  });
});
