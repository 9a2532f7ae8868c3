import { describe, expect, it } from "vitest";
import { claimsNodePolicy } from "@/computation/demo/holder";
import { DISTRICTS } from "@/computation/demo/districts";
import { nodeDatasetPolicy } from "@/core/policy";
import { productFitsNode } from "@/server/products/node-fit";
import { floorProblems, resourceFloor } from "@/server/queries/floor";
import { queryPolicy } from "@/server/queries/policy";
import {
  buildPolicy, commonFields, defaultColumn, emptyDraft, overflows, slugFromName,
  type ColumnDraft, type DeclaredField, type PolicyDraft,
} from "./policy-draft";

const floor = { minCohort: 10, epsilonMin: 0.05, epsilonMax: 2 };
const claims: DeclaredField[] = [
  { name: "patient_ref", type: "string", sensitivity: "PERSONAL" },
  { name: "district", type: "string", sensitivity: "INTERNAL", label: "District", labelZh: "区县" },
  { name: "age", type: "integer", sensitivity: "SENSITIVE", unit: "years" },
  { name: "sex", type: "string", sensitivity: "INTERNAL" },
  { name: "diagnosis", type: "string", sensitivity: "INTERNAL" },
  { name: "claim_amount", type: "number", sensitivity: "SENSITIVE", unit: "CNY" },
  { name: "month", type: "string", sensitivity: "INTERNAL" },
];
const diagnoses = ["circulatory", "respiratory", "digestive", "musculoskeletal", "injury", "neoplasm", "maternity", "other"];

/** The draft a developer makes with the builder for the demo claims (as the e2e journey does). */
function claimsDraft(): PolicyDraft {
  const fields = commonFields([claims]);
  const col = (name: string, o: Partial<ColumnDraft>): ColumnDraft => ({ ...defaultColumn(fields.find((f) => f.name === name)!), ...o });
  const draft = emptyDraft(floor);
  draft.columns = {
    district: col("district", { role: "dimension", values: DISTRICTS.join("、") }),
    age: col("age", { role: "dimension", edges: "0, 18, 30, 45, 60, 75, 120" }),
    // the hospitals' nodes allow only "eq" on sex
    sex: col("sex", { role: "dimension", values: "F，M", filterOps: ["eq"] }),
    diagnosis: col("diagnosis", { role: "dimension", values: diagnoses.join("\n") }),
    claim_amount: col("claim_amount", { role: "measure", max: "20000" }),
  };
  draft.settings = { ...draft.settings, epsilonPerQuery: "2", epsilonPerBuyer: "10", rowsPerPerson: "3" };
  return draft;
}

describe("the product builder's draft", () => {
  it("keeps the fields every resource declares, with the strictest sensitivity", () => {
    const other: DeclaredField[] = [
      { name: "district", type: "string", sensitivity: "PUBLIC", labelZh: "区" },
      { name: "age", type: "number", sensitivity: "PERSONAL" },
      { name: "claim_amount", type: "number", sensitivity: "SENSITIVE" },
    ];
    const common = commonFields([claims, other], ["claim_amount"]);
    expect(common.map((f) => f.name)).toEqual(["district", "age", "claim_amount"]);
    expect(common[0]).toMatchObject({ sensitivity: "INTERNAL", label: "District", labelZh: "区县", personal: false, numeric: false });
    expect(common[1]).toMatchObject({ sensitivity: "PERSONAL", personal: true, numeric: true, type: "number" });
    expect(common[2]!.personal).toBe(true);
    expect(commonFields([])).toEqual([]);
  });

  it("defaults: strings are categories filtered by eq/in, numbers buckets, measures COUNT/SUM/AVG", () => {
    const [, district, age, , , amount] = commonFields([claims]);
    expect(defaultColumn(district!)).toMatchObject({ kind: "category", filterOps: ["eq", "in"], groupable: true });
    expect(defaultColumn(age!)).toMatchObject({ kind: "bucket", filterOps: ["gte", "lt", "between"], scale: "0" });
    expect(defaultColumn(amount!)).toMatchObject({ min: "0", scale: "2", aggregates: ["COUNT", "SUM", "AVG"] });
  });

  it("builds the demo claims product: valid, above the floor, within the hospitals' node policy", () => {
    const { policy, problems } = buildPolicy(commonFields([claims]), claimsDraft(), { floor, dpRequired: true, resources: 1 });
    expect(problems).toEqual([]);
    expect(queryPolicy.safeParse(policy).success).toBe(true);
    expect(policy.dimensions.map((d) => d.spec.kind === "category" ? d.spec.values.length : d.spec.edges.length - 1)).toEqual([10, 6, 2, 8]);
    expect(policy.measures).toEqual([{ column: "claim_amount", min: 0, max: 20000, scale: 2, aggregates: ["COUNT", "SUM", "AVG"] }]);
    expect(policy.privacy).toEqual({ mode: "dp", maxEpsilonPerQuery: 2, epsilonPerBuyer: 10, maxRowsPerPerson: 3 });
    expect(floorProblems(policy, [{ name: "Claim records", sharing: "CONDITIONAL", fields: claims }])).toEqual([]);
    const node = nodeDatasetPolicy.parse({ ...claimsNodePolicy({ rowsPerPatient: 3 }) });
    expect(productFitsNode(policy, node)).toEqual([]);
  });

  it("names what is missing, per field, before asking the server", () => {
    const fields = commonFields([claims]);
    const draft = emptyDraft(floor);
    expect(buildPolicy(fields, draft, { floor, dpRequired: true, resources: 0 }).problems.map((p) => p.code)).toEqual(["noResource"]);
    expect(buildPolicy(fields, draft, { floor, dpRequired: true, resources: 1 }).problems.map((p) => p.code)).toEqual(["noDimension"]);
    const col = (name: string, o: Partial<ColumnDraft>) => ({ ...defaultColumn(fields.find((f) => f.name === name)!), ...o });
    draft.columns = {
      patient_ref: col("patient_ref", { role: "dimension", values: "a" }),
      district: col("district", { role: "dimension" }),
      age: col("age", { role: "dimension", edges: "0, 30, 18" }),
      sex: col("sex", { role: "measure" }),
      claim_amount: col("claim_amount", { role: "measure", min: "10", max: "5", scale: "7", aggregates: ["HISTOGRAM"], histogramEdges: "0, x" }),
    };
    draft.settings = { ...draft.settings, minCohort: "5", privacy: "none" };
    const { problems } = buildPolicy(fields, draft, { floor, dpRequired: true, resources: 1 });
    expect(problems).toEqual([
      { code: "personalDimension", column: "patient_ref" }, { code: "noValues", column: "district" }, { code: "badEdges", column: "age" },
      { code: "notNumeric", column: "sex" }, { code: "minAboveMax", column: "claim_amount" }, { code: "badScale", column: "claim_amount" },
      { code: "badHistogram", column: "claim_amount" }, { code: "badCohort" }, { code: "dpRequired" },
    ]);
  });

  it("flags an overflow exactly where queryPolicy refuses one", () => {
    const base = buildPolicy(commonFields([claims]), claimsDraft(), { floor, dpRequired: true, resources: 1 }).policy;
    for (const [max, scale, aggregates, rows] of [
      [20000, 2, ["COUNT", "SUM", "AVG"], 1_000_000], [20000, 2, ["VARIANCE"], 1_000_000], [20000, 0, ["STDDEV"], 1_000_000],
      [20000, 0, ["STDDEV"], 1_000], [1e9, 6, ["SUM"], 1_000_000], [1e9, 6, ["SUM"], 100], [2 ** 29, 0, ["VARIANCE"], 1],
    ] as const) {
      const m = { column: "claim_amount", min: 0, max, scale, aggregates: [...aggregates] };
      const valid = queryPolicy.safeParse({ ...base, maxRowsTotal: rows, measures: [m] }).success;
      expect(overflows(m, rows), `${max} ×10^${scale} ${aggregates.join()} over ${rows} rows`).toBe(!valid);
    }
  });

  it("makes the address from the English name", () => {
    expect(slugFromName("Emergency claims by district")).toBe("emergency-claims-by-district");
    expect(slugFromName("  Café Crème: 2024 / Q1 ")).toBe("cafe-creme-2024-q1");
    expect(slugFromName("急诊费用统计", () => "a1b2c3")).toBe("product-a1b2c3");
    expect(slugFromName("2024", () => "zzzzzz")).toBe("product-zzzzzz");
    expect(slugFromName("AB")).toBe("product-ab");
    expect(slugFromName("")).toBe("");
    const long = slugFromName("a ".repeat(40));
    expect(long.length).toBeLessThanOrEqual(60);
    expect(long).toMatch(/^[a-z0-9-]{3,60}$/);
    expect(long.endsWith("-")).toBe(false);
    expect(slugFromName("数据", undefined)).toMatch(/^product-[a-z0-9]{6}$/);
  });

  it("reads resourceFloor's personal columns into the fields", () => {
    const rf = resourceFloor({ name: "x", sharing: "CONDITIONAL", fields: claims });
    expect(commonFields([claims], rf.personal).filter((f) => f.personal).map((f) => f.name)).toEqual(["patient_ref"]);
  });
});
