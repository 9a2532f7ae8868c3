/** Policy templates: the demo's claims policy, also offered to developers as a starting point. */
import { DISTRICTS, MAX_CLAIMS_PER_PATIENT } from "@/computation/demo/districts";
import type { QueryPolicy } from "./policy";

export const claimsPolicy: QueryPolicy = {
  dimensions: [
    { column: "district", spec: { name: "district", kind: "category", values: DISTRICTS }, groupable: true, filterOps: ["eq", "in"] },
    { column: "age", spec: { name: "age", kind: "bucket", edges: [0, 18, 30, 45, 60, 75, 120] }, groupable: true, filterOps: ["gte", "lt", "between"] },
    { column: "sex", spec: { name: "sex", kind: "category", values: ["F", "M"] }, groupable: true, filterOps: ["eq"] },
    { column: "diagnosis", spec: { name: "diagnosis", kind: "category", values: ["circulatory", "respiratory", "digestive", "musculoskeletal", "injury", "neoplasm", "maternity", "other"] }, groupable: true, filterOps: ["eq", "in"] },
  ],
  measures: [
    { column: "claim_amount", min: 0, max: 200_000, scale: 0, aggregates: ["COUNT", "SUM", "AVG", "VARIANCE", "STDDEV", "HISTOGRAM"],
      histogramEdges: [0, 500, 1000, 2000, 5000, 10_000, 50_000, 200_001] },
  ],
  maxGroups: 1024,
  minCohort: 10,
  maxRowsTotal: 1_000_000,
  // A patient is the privacy unit: up to 3 claims each at a hospital (the hospitals' nodes drop the rest).
  privacy: { mode: "dp", epsilonPerBuyer: 10, maxEpsilonPerQuery: 2, maxRowsPerPerson: MAX_CLAIMS_PER_PATIENT },
};
