import { describe, expect, it } from "vitest";
import { claimsPolicy } from "../seed/demo-queries";
import { AppError } from "../errors";
import { planHash } from "@/core/statements";
import { planQuery, queryPolicy, storedPlan, type BuyerQuery, type QueryPolicy } from "./policy";

const refusal = (q: BuyerQuery, policy = claimsPolicy) => {
  try { planQuery(policy, q); } catch (e) { expect(e).toBeInstanceOf(AppError); return `${(e as AppError).reason}: ${(e as AppError).message}`; }
  throw new Error("expected a refusal");
};

describe("query policy", () => {
  it("plans an allowed query: groups, stats, ranges and DP noise scales", () => {
    const onePerPerson: QueryPolicy = { ...claimsPolicy, privacy: { mode: "dp", epsilonPerBuyer: 10, maxEpsilonPerQuery: 2 } };
    const p = planQuery(onePerPerson, { groupBy: ["district", "age"], measures: [{ column: "claim_amount", aggregate: "STDDEV" }, { column: "claim_amount", aggregate: "AVG" }], epsilon: 0.5 });
    expect(p.groups).toBe(10 * 6);
    expect(p.plan.stats).toEqual([{ kind: "sum", column: "claim_amount", scale: 0 }, { kind: "sumsq", column: "claim_amount", scale: 0 }]);
    expect(p.outputs.map((o) => [o.sumBlock, o.sumsqBlock])).toEqual([[1, 2], [1, undefined]]);
    expect(p.plan.ranges).toEqual([{ column: "claim_amount", min: 0, max: 20_000 }]);
    // ε/4 per statistic: the selection count and the count Δ=1, sum Δ=20000, sumsq Δ=20000².
    expect(p.plan.noise!.scales).toEqual([8, 20_000 * 8, 20_000 ** 2 * 8]);
    expect(p.plan.noise!.selection).toBe(8);
    // Δ scales with the rows one person may contribute
    const perPerson = planQuery({ ...claimsPolicy, privacy: { mode: "dp", epsilonPerBuyer: 10, maxEpsilonPerQuery: 2, maxRowsPerPerson: 5 } }, { measures: [{ column: "claim_amount", aggregate: "SUM" }], epsilon: 1 });
    expect(perPerson.plan.noise).toEqual({ scales: [15, 20_000 * 15], selection: 15 });
  });

  it("keeps ε within the market's range per query: no nearly free queries", () => {
    expect(() => planQuery(claimsPolicy, { epsilon: 1e-9 })).toThrow(/EPSILON_TOO_SMALL|below the market's floor/);
    expect(() => planQuery(claimsPolicy, { epsilon: 0.05 })).not.toThrow();
  });

  it.each([
    [{ groupBy: ["patient_id"] }, /^UNKNOWN_COLUMN: Unknown column patient_id/],
    [{ groupBy: ["claim_amount"] }, /^NOT_GROUPABLE: Column claim_amount is a measure/],
    [{ groupBy: ["district", "district"] }, /^DUPLICATE_GROUP_BY/],
    [{ measures: [{ column: "claim_amount", aggregate: "COUNT" }], filters: [{ column: "claim_amount", op: "gt", value: 100000 }] }, /^FILTER_NOT_ALLOWED: Filtering on measure claim_amount/],
    [{ filters: [{ column: "sex", op: "neq", value: "F" }] }, /^FILTER_NOT_ALLOWED: Filter "neq" on sex is not allowed; allowed: eq/],
    [{ filters: [{ column: "district", op: "eq", value: "Atlantis" }] }, /^BAD_FILTER_VALUE: "Atlantis" is not a value of district/],
    [{ filters: [{ column: "age", op: "between", value: [30] }] }, /^BAD_FILTER_VALUE: Filter "between" on age takes \[low, high\]/],
    [{ measures: [{ column: "age", aggregate: "SUM" }] }, /^AGGREGATE_NOT_ALLOWED: age is a dimension/],
    [{ epsilon: 5 }, /^EPSILON_TOO_LARGE: ε 5 is above this product's limit of 2/],
  ] as [BuyerQuery, RegExp][])("refuses %j", (q, reason) => {
    expect(refusal({ measures: [{ column: "claim_amount", aggregate: "AVG" }], ...q })).toMatch(reason);
  });

  it("refuses more groups than the policy allows", () => {
    const policy = queryPolicy.parse({ ...claimsPolicy, maxGroups: 500 });
    expect(refusal({ groupBy: ["district", "age", "sex", "diagnosis"] }, policy)).toMatch(/^TOO_MANY_GROUPS: This query has 960 groups; the policy allows at most 500/);
  });

  it("refuses aggregates the policy does not allow", () => {
    const policy = queryPolicy.parse({ ...claimsPolicy, measures: [{ ...claimsPolicy.measures[0]!, aggregates: ["COUNT", "SUM"] }] });
    expect(refusal({ measures: [{ column: "claim_amount", aggregate: "VARIANCE" }] }, policy)).toMatch(/^AGGREGATE_NOT_ALLOWED: VARIANCE of claim_amount is not allowed; allowed: COUNT, SUM/);
  });

  it("refuses a policy whose sums could overflow the encrypted slots", () => {
    const r = queryPolicy.safeParse({ ...claimsPolicy, measures: [{ ...claimsPolicy.measures[0]!, scale: 2 }] });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toMatch(/could overflow the encrypted slots/);
  });

  it("reads a stored plan back exactly as it was hashed and signed, and refuses a malformed one", () => {
    const dp: QueryPolicy = { ...claimsPolicy, privacy: { mode: "dp", epsilonPerBuyer: 10, maxEpsilonPerQuery: 2, maxRowsPerPerson: 5 } };
    const queries: BuyerQuery[] = [
      { groupBy: ["district", "age"], measures: [{ column: "claim_amount", aggregate: "STDDEV" }, { column: "claim_amount", aggregate: "AVG" }], epsilon: 0.5 },
      { groupBy: ["district"], filters: [{ column: "age", op: "between", value: [30, 60] }], measures: [{ column: "claim_amount", aggregate: "HISTOGRAM" }], epsilon: 1 },
      { epsilon: 0.2 },
    ];
    for (const policy of [claimsPolicy, dp]) {
      for (const q of queries) {
        const p = planQuery(policy, q);
        const back = storedPlan(JSON.parse(JSON.stringify(p))); // as the jsonb column returns it
        expect(planHash(back.plan)).toBe(planHash(p.plan));
        expect(back).toEqual(JSON.parse(JSON.stringify(p)));
      }
    }
    const p = JSON.parse(JSON.stringify(planQuery(dp, queries[1]!)));
    const malformed = [
      null, "plan", { ...p, plan: { ...p.plan, groupBy: "district" } }, { ...p, plan: { ...p.plan, stats: [{ kind: "median", column: "claim_amount" }] } },
      { ...p, outputs: undefined }, { ...p, groups: 1.5 },
    ];
    // Keys the schema does not know, at every depth: read back without them, the plan would hash differently.
    const unknownKeys = [
      { ...p, extra: 1 }, { ...p, plan: { ...p.plan, sneaky: true } }, { ...p, plan: { ...p.plan, dataset: "claims" } },
      { ...p, plan: { ...p.plan, groupBy: [{ ...p.plan.groupBy[0], label: "x" }] } },
      { ...p, plan: { ...p.plan, filters: [{ ...p.plan.filters[0], negate: true }] } },
      { ...p, plan: { ...p.plan, stats: [{ ...p.plan.stats[0], weight: 2 }] } },
      { ...p, plan: { ...p.plan, ranges: [{ ...p.plan.ranges[0], clamp: false }] } },
      { ...p, plan: { ...p.plan, noise: { ...p.plan.noise, seed: 7 } } },
      { ...p, outputs: [{ ...p.outputs[0], label: "x" }] },
    ];
    for (const bad of [...malformed, ...unknownKeys]) {
      let thrown: unknown;
      try { storedPlan(bad); } catch (e) { thrown = e; }
      expect(thrown, JSON.stringify(bad)).toBeInstanceOf(AppError);
      expect(thrown).toMatchObject({ code: "CONFIG", reason: "BAD_STORED_PLAN", message: expect.stringMatching(/stored plan/) });
    }
  });
});
