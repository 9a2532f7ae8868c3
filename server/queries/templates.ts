/** Policy templates: the demo's claims policy, also offered to developers as a starting point. */
import { DISTRICTS, MAX_CLAIMS_PER_PATIENT } from "@/computation/demo/districts";
import type { QueryPolicy } from "./policy";

/** Upper bound of a claim amount in the demo products (yuan); values above count as this. */
export const CLAIM_AMOUNT_BOUND = 20_000;

export const claimsPolicy: QueryPolicy = {
  dimensions: [
    { column: "district", spec: { name: "district", kind: "category", values: DISTRICTS }, groupable: true, filterOps: ["eq", "in"] },
    { column: "age", spec: { name: "age", kind: "bucket", edges: [0, 18, 30, 45, 60, 75, 120] }, groupable: true, filterOps: ["gte", "lt", "between"] },
    { column: "sex", spec: { name: "sex", kind: "category", values: ["F", "M"] }, groupable: true, filterOps: ["eq"] },
    { column: "diagnosis", spec: { name: "diagnosis", kind: "category", values: ["circulatory", "respiratory", "digestive", "musculoskeletal", "injury", "neoplasm", "maternity", "other"] }, groupable: true, filterOps: ["eq", "in"] },
  ],
  measures: [
    // Clamped at 20,000 yuan although the hospitals allow up to 200,000: DP noise on a sum grows
    // with the bound, and at 200,000 it would swamp every mean (docs/queries.md, "Choosing bounds").
    // About 1 % of claims are above it and count as 20,000.
    { column: "claim_amount", min: 0, max: CLAIM_AMOUNT_BOUND, scale: 0, aggregates: ["COUNT", "SUM", "AVG", "VARIANCE", "STDDEV", "HISTOGRAM"],
      histogramEdges: [0, 500, 1000, 2000, 5000, 10_000, CLAIM_AMOUNT_BOUND + 1] },
  ],
  maxGroups: 1024,
  minCohort: 10,
  maxRowsTotal: 1_000_000,
  // A patient is the privacy unit: up to 3 claims each at a hospital (the hospitals' nodes drop the rest).
  privacy: { mode: "dp", epsilonPerBuyer: 10, maxEpsilonPerQuery: 2, maxRowsPerPerson: MAX_CLAIMS_PER_PATIENT },
};
