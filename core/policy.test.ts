import { describe, expect, it } from "vitest";
import { claimsNodePolicy } from "../computation/demo/holder";
import { checkPlan, nodeDatasetPolicy, PolicyRefusal, requiredNoise } from "./policy";
import type { AggregatePlan } from "./protocol";

const A = "A".repeat(43) + "=", B = "B".repeat(43) + "=";
const product = "6f1c1a52-6d0c-4f4e-9d2a-2a8a0f0c0b01";
const policy = nodeDatasetPolicy.parse({ ...claimsNodePolicy(), products: { [product]: { sources: [A, B] } } });
const base: AggregatePlan = {
  dataset: "claims", groupBy: [{ name: "district", kind: "category", values: ["历下区", "市中区"] }], filters: [],
  stats: [{ kind: "sum", column: "claim_amount", scale: 0 }], ranges: [{ column: "claim_amount", min: 0, max: 200_000 }], noise: null,
};
const withNoise = (plan: AggregatePlan, epsilon: number): AggregatePlan => ({ ...plan, noise: requiredNoise(plan, epsilon) });
const code = (f: () => void) => { try { f(); return "OK"; } catch (e) { expect(e).toBeInstanceOf(PolicyRefusal); return (e as PolicyRefusal).code; } };
const check = (plan: AggregatePlan, o: { epsilon?: number; peers?: string[]; productId?: string } = {}) =>
  code(() => checkPlan(policy, { productId: o.productId ?? product, plan, epsilon: o.epsilon ?? 1, peers: o.peers ?? [A, B] }));

describe("a node's own policy check", () => {
  it("accepts a plan within the holder's policy, with enough noise", () => {
    expect(check(withNoise(base, 1))).toBe("OK");
    // coarser buckets and fewer categories only narrow what the holder allowed
    expect(check(withNoise({ ...base, groupBy: [{ name: "age", kind: "bucket", edges: [0, 30, 60, 120] }] }, 1))).toBe("OK");
  });
  it("refuses products and source sets the holder did not approve", () => {
    expect(check(withNoise(base, 1), { productId: "6f1c1a52-6d0c-4f4e-9d2a-2a8a0f0c0b02" })).toBe("PRODUCT_NOT_APPROVED");
    expect(check(withNoise(base, 1), { peers: [A] })).toBe("PEERS_NOT_APPROVED");
    expect(check(withNoise(base, 1), { peers: [A, A] })).toBe("PEERS_NOT_APPROVED");
    expect(check(withNoise(base, 1), { peers: [A, B, "C".repeat(43) + "="] })).toBe("PEERS_NOT_APPROVED");
  });
  it("refuses undeclared columns, finer buckets, finer filters and wider bounds", () => {
    expect(check(withNoise({ ...base, groupBy: [{ name: "month", kind: "category", values: ["2025-01"] }] }, 1))).toBe("DIMENSION_NOT_ALLOWED");
    expect(check(withNoise({ ...base, groupBy: [{ name: "age", kind: "bucket", edges: [0, 37, 38, 120] }] }, 1))).toBe("DIMENSION_NOT_ALLOWED");
    expect(check(withNoise({ ...base, groupBy: [{ name: "district", kind: "category", values: ["Atlantis"] }] }, 1))).toBe("DIMENSION_NOT_ALLOWED");
    expect(check(withNoise({ ...base, filters: [{ column: "age", op: "between", value: [37, 38] }] }, 1))).toBe("FILTER_NOT_ALLOWED");
    expect(check(withNoise({ ...base, filters: [{ column: "age", op: "between", value: [30, 60] }] }, 1))).toBe("OK");
    expect(check(withNoise({ ...base, filters: [{ column: "sex", op: "in", value: ["F"] }] }, 1))).toBe("FILTER_NOT_ALLOWED");
    expect(check(withNoise({ ...base, ranges: [{ column: "claim_amount", min: 0, max: 1e9 }] }, 1))).toBe("BOUNDS_NOT_ALLOWED");
    expect(check(withNoise({ ...base, stats: [{ kind: "sum", column: "age", scale: 0 }], ranges: [{ column: "age", min: 0, max: 120 }] }, 1))).toBe("MEASURE_NOT_ALLOWED");
  });
  it("requires DP at the holder's floor: ε within its limit and noise at least what ε and the bounds need", () => {
    expect(check(base)).toBe("DP_REQUIRED");
    expect(check(withNoise(base, 1), { epsilon: 5 })).toBe("EPSILON_TOO_LARGE");
    expect(check(withNoise(base, 1), { epsilon: 0 })).toBe("EPSILON_TOO_SMALL");
    expect(check(withNoise(base, 1e-9), { epsilon: 1e-9 })).toBe("EPSILON_TOO_SMALL"); // no free queries
    expect(check({ ...withNoise(base, 1), noise: { ...withNoise(base, 1).noise!, selection: 0.5 } })).toBe("NOISE_TOO_SMALL"); // keep-or-suppress needs its share too
    expect(check(withNoise(base, 2), { epsilon: 1 })).toBe("NOISE_TOO_SMALL"); // calibrated for a larger ε than charged
    expect(check(withNoise(base, 0.5), { epsilon: 1 })).toBe("OK"); // more noise than needed is fine
  });
  it("makes a person the privacy unit: the person column is never usable, DP is required, noise scales with rows per person", () => {
    const person = nodeDatasetPolicy.parse({ ...claimsNodePolicy({ dpRequired: false }), person: { column: "patient", maxRows: 4 }, dp: { ...claimsNodePolicy().dp, required: true }, products: { [product]: { sources: [A, B] } } });
    const at = (plan: AggregatePlan, epsilon = 1) => code(() => checkPlan(person, { productId: product, plan, epsilon, peers: [A, B] }));
    expect(at(base)).toBe("DP_REQUIRED");
    expect(at(withNoise(base, 1))).toBe("NOISE_TOO_SMALL"); // calibrated for one row per person
    expect(at({ ...base, noise: requiredNoise(base, 1, 4) })).toBe("OK");
    expect(at({ ...base, groupBy: [{ name: "patient", kind: "category", values: ["p1"] }], noise: requiredNoise(base, 1, 4) })).toBe("DIMENSION_NOT_ALLOWED");
    expect(nodeDatasetPolicy.safeParse({ ...claimsNodePolicy({ dpRequired: false }), person: { column: "patient", maxRows: 4 } }).success).toBe(false);
  });
  it("never lets a column marked never-usable be declared usable", () => {
    expect(nodeDatasetPolicy.safeParse({ ...claimsNodePolicy(), never: ["district"] }).success).toBe(false);
  });
});
