/**
 * A product's query policy (like a Clean Rooms aggregation rule or an SCQL column
 * control list) and the planner that turns a buyer's query into the plan nodes run, or
 * refuses it with the precise reason. Nothing row-level can be expressed: a query names
 * only dimensions (declared categories or buckets), filters on dimensions, and aggregates
 * of measures; every released group must reach the minimum cohort k.
 */
import { z } from "zod";
import {
  aggregates, dimensionSpec, filterOps, groupCount, productPlan, type AggregatePlan, type FilterSpec, type StatSpec,
} from "@/core/protocol";
import { canonicalJson } from "@/core/canonical-json";
import { zodText } from "@/core/zod-text";
import { requiredNoise } from "@/core/policy";
import { AppError } from "../errors";
import { floorSettings } from "./floor";

/** The largest magnitude a slot may reach: below t/2 of the BFV plain modulus (a 60-bit prime) with margin. */
const SLOT_LIMIT = 2n ** 58n;

export const queryPolicy = z.object({
  dimensions: z.array(z.object({
    column: z.string(),
    spec: dimensionSpec,
    groupable: z.boolean(),
    filterOps: z.array(z.enum(filterOps)),
  })).min(1),
  measures: z.array(z.object({
    column: z.string(),
    /** declared range: nodes refuse a query when a contributing value falls outside */
    min: z.number(), max: z.number(),
    /** decimal digits kept in fixed point (2: cents) */
    scale: z.number().int().min(0).max(6),
    aggregates: z.array(z.enum(aggregates)).min(1),
    histogramEdges: z.array(z.number()).min(2).max(65).optional(),
  })),
  maxGroups: z.number().int().min(1).max(8192),
  /** minimum cohort: a released group must count at least k rows in total */
  minCohort: z.number().int().min(1),
  /** the most rows all sources together may hold; bounds every sum so slots never overflow */
  maxRowsTotal: z.number().int().min(1),
  privacy: z.discriminatedUnion("mode", [
    z.object({ mode: z.literal("none") }),
    z.object({
      mode: z.literal("dp"), epsilonPerBuyer: z.number().positive(), maxEpsilonPerQuery: z.number().positive(),
      /** the privacy unit: rows one person may contribute (at least each source node's own bound); sensitivities scale with it */
      maxRowsPerPerson: z.number().int().min(1).max(1000).optional(),
    }),
  ]),
}).superRefine((p, ctx) => {
  for (const m of p.measures) {
    if (m.min > m.max) ctx.addIssue({ code: "custom", message: `measure ${m.column}: min is above max` });
    const peak = BigInt(Math.ceil(Math.max(Math.abs(m.min), Math.abs(m.max)) * 10 ** m.scale));
    const squares = m.aggregates.some((a) => a === "VARIANCE" || a === "STDDEV");
    const worst = BigInt(p.maxRowsTotal) * (squares ? peak * peak : peak);
    if (worst >= SLOT_LIMIT) {
      ctx.addIssue({ code: "custom", message: `measure ${m.column}: ${p.maxRowsTotal} rows of up to ${peak} (×10^${m.scale}${squares ? ", squared" : ""}) could overflow the encrypted slots; lower the scale, the range or maxRowsTotal` });
    }
    if (m.aggregates.includes("HISTOGRAM") && !m.histogramEdges) ctx.addIssue({ code: "custom", message: `measure ${m.column}: HISTOGRAM needs histogramEdges` });
  }
});
export type QueryPolicy = z.infer<typeof queryPolicy>;

export const buyerQuery = z.object({
  groupBy: z.array(z.string()).max(4).default([]),
  filters: z.array(z.object({
    column: z.string(), op: z.enum(filterOps),
    value: z.union([z.string(), z.number(), z.array(z.union([z.string(), z.number()])).max(1024)]),
  })).max(16).default([]),
  measures: z.array(z.object({ column: z.string(), aggregate: z.enum(aggregates) })).max(16).default([]),
  /** ε to spend on this query (ignored when the product has no DP) */
  epsilon: z.number().positive().max(100).optional(),
});
export type BuyerQuery = z.input<typeof buyerQuery>;

/** How the buyer reads the decrypted vector back: which block holds what. */
export const output = z.strictObject({
  column: z.string(), aggregate: z.enum(aggregates),
  sumBlock: z.number().int().optional(), sumsqBlock: z.number().int().optional(), histBlock: z.number().int().optional(),
  scale: z.number().int(), edges: z.array(z.number()).optional(),
});
export type Output = z.infer<typeof output>;

/**
 * A planned query as stored on its job and shown to the buyer. Strict and without defaults: a
 * stored plan is read back exactly as it was hashed and signed (planHash over its canonical
 * JSON), never filled in or stripped, so a parsed plan hashes to what the buyer signed.
 */
export const planned = z.strictObject({
  plan: productPlan.strict(), outputs: z.array(output), epsilon: z.number(), groups: z.number().int(),
});
export type Planned = z.infer<typeof planned>;

/**
 * A job's stored plan (its `plan` column), checked: a malformed one is a clear error, not a
 * TypeError later. The plan's inner parts (filters, stats, dimensions, noise) are the node
 * protocol's schemas, which drop keys they do not know, and a dropped key would change the
 * plan's hash. So a stored plan is refused unless parsing gives back exactly what was stored.
 */
export function storedPlan(json: unknown): Planned {
  const r = planned.safeParse(json);
  if (!r.success) throw new AppError("CONFIG", "BAD_STORED_PLAN", `The query's stored plan is malformed: ${zodText(r.error)}`);
  if (canonicalJson(r.data) !== canonicalJson(json)) {
    throw new AppError("CONFIG", "BAD_STORED_PLAN", "The query's stored plan holds fields a plan does not have: read back without them, it would no longer be the plan the buyer signed.");
  }
  return r.data;
}

const refuse = (reason: string, message: string): never => { throw new AppError("BAD_INPUT", reason, message); };

/** Check a query against a policy; return the plan (without the per-node dataset) or throw with the reason. */
export function planQuery(policy: QueryPolicy, raw: BuyerQuery): Planned {
  const q = buyerQuery.parse(raw);
  const dims = new Map(policy.dimensions.map((d) => [d.column, d]));
  const measures = new Map(policy.measures.map((m) => [m.column, m]));

  const groupBy = q.groupBy.map((c) => {
    const d = dims.get(c);
    if (!d) refuse(measures.has(c) ? "NOT_GROUPABLE" : "UNKNOWN_COLUMN", measures.has(c) ? `Column ${c} is a measure: it can be aggregated, not grouped by.` : `Unknown column ${c}.`);
    if (!d!.groupable) refuse("NOT_GROUPABLE", `Column ${c} may not be grouped by under this product's policy.`);
    return { ...d!.spec, name: c };
  });
  if (new Set(q.groupBy).size !== q.groupBy.length) refuse("DUPLICATE_GROUP_BY", "A column appears twice in group by.");
  const groups = groupCount({ groupBy });
  if (groups > policy.maxGroups) refuse("TOO_MANY_GROUPS", `This query has ${groups} groups; the policy allows at most ${policy.maxGroups}.`);

  const filters: FilterSpec[] = q.filters.map((f) => {
    const d = dims.get(f.column);
    if (!d) refuse(measures.has(f.column) ? "FILTER_NOT_ALLOWED" : "UNKNOWN_COLUMN", measures.has(f.column) ? `Filtering on measure ${f.column} is not allowed: filter on dimensions only.` : `Unknown column ${f.column}.`);
    if (!d!.filterOps.includes(f.op)) refuse("FILTER_NOT_ALLOWED", `Filter "${f.op}" on ${f.column} is not allowed; allowed: ${d!.filterOps.join(", ") || "none"}.`);
    const values = Array.isArray(f.value) ? f.value : [f.value];
    if ((f.op === "in") !== Array.isArray(f.value) && f.op !== "between") refuse("BAD_FILTER_VALUE", `Filter "${f.op}" on ${f.column} takes ${f.op === "in" ? "a list" : "a single value"}.`);
    if (f.op === "between" && !(Array.isArray(f.value) && f.value.length === 2)) refuse("BAD_FILTER_VALUE", `Filter "between" on ${f.column} takes [low, high].`);
    if (d!.spec.kind === "category") {
      const allowed = d!.spec.values;
      for (const v of values) if (typeof v !== "string" || !allowed.includes(v)) refuse("BAD_FILTER_VALUE", `${JSON.stringify(v)} is not a value of ${f.column}.`);
    } else {
      for (const v of values) if (typeof v !== "number") refuse("BAD_FILTER_VALUE", `${f.column} is numeric: ${JSON.stringify(v)} is not a number.`);
    }
    return f;
  });

  const stats: StatSpec[] = [];
  const statIndex = (s: StatSpec) => {
    const i = stats.findIndex((x) => JSON.stringify(x) === JSON.stringify(s));
    if (i >= 0) return i + 1;
    stats.push(s);
    return stats.length; // block 0 is the count
  };
  const outputs: Output[] = q.measures.map(({ column, aggregate }) => {
    if (aggregate === "COUNT" && column === "*") return { column, aggregate, scale: 0 };
    const m = measures.get(column);
    if (!m) refuse(dims.has(column) ? "AGGREGATE_NOT_ALLOWED" : "UNKNOWN_COLUMN", dims.has(column) ? `${column} is a dimension; only COUNT(*) counts rows.` : `Unknown column ${column}.`);
    if (!m!.aggregates.includes(aggregate)) refuse("AGGREGATE_NOT_ALLOWED", `${aggregate} of ${column} is not allowed; allowed: ${m!.aggregates.join(", ")}.`);
    const out: Output = { column, aggregate, scale: m!.scale };
    if (aggregate === "HISTOGRAM") {
      out.histBlock = statIndex({ kind: "hist", column, edges: m!.histogramEdges! });
      out.edges = m!.histogramEdges!;
    } else if (aggregate !== "COUNT") {
      out.sumBlock = statIndex({ kind: "sum", column, scale: m!.scale });
      if (aggregate === "VARIANCE" || aggregate === "STDDEV") out.sumsqBlock = statIndex({ kind: "sumsq", column, scale: m!.scale });
    }
    return out;
  });
  const ranges = [...new Set(stats.map((s) => s.column))].map((c) => ({ column: c, min: measures.get(c)!.min, max: measures.get(c)!.max }));

  let epsilon = 0;
  let noise: AggregatePlan["noise"] = null;
  if (policy.privacy.mode === "dp") {
    const floor = floorSettings();
    epsilon = q.epsilon ?? Math.min(1, policy.privacy.maxEpsilonPerQuery);
    if (epsilon > policy.privacy.maxEpsilonPerQuery) refuse("EPSILON_TOO_LARGE", `ε ${epsilon} is above this product's limit of ${policy.privacy.maxEpsilonPerQuery} per query.`);
    if (epsilon > floor.epsilonMax) refuse("EPSILON_TOO_LARGE", `ε ${epsilon} is above the market's limit of ${floor.epsilonMax} per query.`);
    // A nearly free query would still cost the people in the data something: ε has a floor.
    if (epsilon < floor.epsilonMin) refuse("EPSILON_TOO_SMALL", `ε ${epsilon} is below the market's floor of ${floor.epsilonMin} per query.`);
    noise = requiredNoise({ stats, ranges }, epsilon, policy.privacy.maxRowsPerPerson ?? 1);
  }
  return { plan: { groupBy, filters, stats, ranges, noise, minCohort: policy.minCohort }, outputs, epsilon, groups };
}
