import { describe, expect, it } from "vitest";
import { checkSignedPlan, decodeResult, PlanMismatchError, type PlannedQuery } from "./decode";
import { planHash } from "@/core/statements";

const planned: PlannedQuery = {
  plan: { groupBy: [{ name: "sex", kind: "category", values: ["F", "M"] }], stats: [{ kind: "sum", column: "x", scale: 0 }, { kind: "sumsq", column: "x", scale: 0 }], ranges: [{ column: "x", min: 0, max: 100 }] },
  outputs: [{ column: "x", aggregate: "AVG", sumBlock: 1, scale: 0 }, { column: "x", aggregate: "STDDEV", sumBlock: 1, sumsqBlock: 2, scale: 0 }],
  groups: 2,
};

describe("decodeResult", () => {
  it("decodes exact sums into means and standard deviations", () => {
    // F: values 10, 20, 30 → mean 20, population sd √(200/3); M: no rows
    const [f, m] = decodeResult(planned, [3n, 0n, 60n, 0n, 1400n, 0n], [false, false]);
    expect(f!.values[0]).toBe(20);
    expect(f!.values[1]).toBeCloseTo(Math.sqrt(200 / 3), 9);
    expect(m!.values).toEqual([null, null]);
  });

  it("clamps noisy means and deviations into what the declared bounds allow (post-processing)", () => {
    // noisy sums: a negative mean, and a mean and a deviation above anything in [0, 100]
    const [f, m] = decodeResult(planned, [4n, 2n, -900n, 300n, 10n, 80_000n], [false, false]);
    expect(f!.values[0]).toBe(0);
    expect(m!.values[0]).toBe(100);
    expect(f!.values[1]).toBeNull(); // negative variance estimate: no usable answer
    expect(m!.values[1]).toBe(50); // √17,500 ≈ 132 clamped to (100 − 0) / 2
    expect(f!.raw[0]!.sum).toBe(-900n); // the exact decrypted integers are kept
  });

  it("marks suppressed groups and shows none of their values", () => {
    const [f] = decodeResult(planned, [0n, 5n, 0n, 50n, 0n, 500n], [true, false]);
    expect(f!.suppressed).toBe(true);
    expect(f!.values).toEqual([null, null]);
  });
});

describe("checkSignedPlan", () => {
  const signed = planHash(planned.plan);

  it("accepts the plan the buyer signed and takes the group count from it", () => {
    expect(checkSignedPlan({ ...planned, groups: 7 }, signed).groups).toBe(2);
  });

  it("refuses a permuted groupBy the buyer did not sign", () => {
    const permuted: PlannedQuery = { ...planned, plan: { ...planned.plan, groupBy: [{ name: "sex", kind: "category", values: ["M", "F"] }] } };
    expect(() => checkSignedPlan(permuted, signed)).toThrow(PlanMismatchError);
    expect(() => checkSignedPlan(permuted, signed)).toThrow(/not the plan you signed/);
  });

  it("refuses outputs that point at other blocks than the signed plan's", () => {
    const swapped: PlannedQuery = { ...planned, outputs: [{ column: "x", aggregate: "AVG", sumBlock: 2, scale: 0 }, planned.outputs[1]!] };
    expect(() => checkSignedPlan(swapped, signed)).toThrow(/does not match the plan you signed/);
    const otherColumn: PlannedQuery = { ...planned, outputs: [{ column: "y", aggregate: "SUM", sumBlock: 1, scale: 0 }] };
    expect(() => checkSignedPlan(otherColumn, signed)).toThrow(PlanMismatchError);
  });

  it("refuses when no signed hash is known", () => {
    expect(() => checkSignedPlan(planned, "")).toThrow(/No signed plan hash/);
  });
});
