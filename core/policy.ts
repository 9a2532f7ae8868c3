/**
 * The holder's own policy for each dataset its node serves, and the check every plan
 * passes at the node before anything is computed, whatever the marketplace signed.
 *
 * The marketplace's product policy (server/queries/policy.ts) can only narrow this one:
 * a dimension, filter, measure, aggregate, bound, k or ε that the holder did not allow here
 * is refused here with a reason code. A dataset without a policy answers no aggregate query.
 */
import { z } from "zod";
import { aggregates, filterOps, groupCount, type AggregatePlan } from "./protocol";

const column = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/);

/** Default smallest ε per noised query, at the node and in the marketplace's floor (server/queries/floor.ts). */
export const MIN_EPSILON = 0.05;

export const nodeDatasetPolicy = z.object({
  /** raised by every change the holder signs; the higher version of the config file's and the signed one applies */
  version: z.number().int().min(0).default(0),
  /** columns usable as dimensions: their categories or bucket edges, and how each may be filtered */
  dimensions: z.record(column, z.object({
    values: z.array(z.string()).min(1).max(1024).optional(),
    edges: z.array(z.number()).min(2).max(1025).optional(),
    filterOps: z.array(z.enum(filterOps)).default([]),
  }).refine((d) => !!d.values !== !!d.edges, { message: "a dimension declares either values (categories) or edges (buckets)" })),
  /** measure columns: declared bounds and the aggregates allowed on each */
  measures: z.record(column, z.object({
    min: z.number(), max: z.number(),
    aggregates: z.array(z.enum(aggregates)).min(1),
  }).refine((m) => m.min <= m.max, { message: "min is above max" })),
  /** columns never usable in any way (person identifiers, anything personal) */
  never: z.array(column).default([]),
  /**
   * The privacy unit: when the dataset has a person column, each person contributes at most
   * `maxRows` rows to any aggregate (the excess dropped at the node, deterministically, before
   * aggregation) and every sensitivity is multiplied by `maxRows`. The column is never usable.
   */
  person: z.object({ column, maxRows: z.number().int().min(1).max(1000) }).optional(),
  /** minimum cohort k per released group */
  minCohort: z.number().int().min(1),
  maxGroups: z.number().int().min(1).max(8192).default(8192),
  dp: z.object({
    required: z.boolean(),
    /** the smallest ε a noised query may claim: below it a query would be nearly free yet still cost the data something */
    minEpsilonPerQuery: z.number().positive().optional(),
    maxEpsilonPerQuery: z.number().positive().max(10),
    /** ε one buyer may spend on this dataset per period, over every product */
    epsilonPerBuyer: z.number().positive(),
    /** ε all buyers together may spend on this dataset per period */
    epsilonTotal: z.number().positive().optional(),
    periodDays: z.number().int().min(1).max(366).default(30),
  }),
  /** products the holder approved over this dataset, each with the exact set of source nodes (their ids) */
  products: z.record(z.uuid(), z.object({ sources: z.array(z.string().min(40).max(60)).min(1).max(64) })).default({}),
}).superRefine((p, ctx) => {
  if (p.person && !p.dp.required) ctx.addIssue({ code: "custom", path: ["dp", "required"], message: "a dataset with a person column is never usable without differential privacy" });
  if (p.person && (p.dimensions[p.person.column] || p.measures[p.person.column])) ctx.addIssue({ code: "custom", message: `${p.person.column} is the person column: it may not be a dimension or measure` });
  if ((p.dp.minEpsilonPerQuery ?? MIN_EPSILON) > p.dp.maxEpsilonPerQuery) ctx.addIssue({ code: "custom", path: ["dp"], message: "minEpsilonPerQuery is above maxEpsilonPerQuery" });
  for (const c of p.never) {
    if (p.dimensions[c] || p.measures[c]) ctx.addIssue({ code: "custom", message: `${c} is marked never usable but also listed as a dimension or measure` });
  }
});
export type NodeDatasetPolicy = z.infer<typeof nodeDatasetPolicy>;

export class PolicyRefusal extends Error {
  constructor(readonly code: string, message: string) { super(message); this.name = "PolicyRefusal"; }
}
const refuse = (code: string, message: string): never => { throw new PolicyRefusal(code, message); };

/**
 * The noise a plan needs at ε (discrete Laplace scales, computation/aggregate/noise.ts): ε is
 * split evenly over the released statistics per group (sequential composition; groups are
 * disjoint, so across groups it composes in parallel): the selection count that decides
 * keep-or-suppress, the count, and each stat. Sensitivities are per person: `rowsPerPerson`
 * rows of at most the bounds' peak each.
 */
export function requiredNoise(plan: Pick<AggregatePlan, "stats" | "ranges">, epsilon: number, rowsPerPerson = 1): { scales: number[]; selection: number } {
  const m = 2 + plan.stats.length;
  const per = (sensitivity: number) => (sensitivity * rowsPerPerson * m) / epsilon;
  return {
    scales: [1, ...plan.stats.map((s) => {
      if (s.kind === "hist") return 1;
      const r = plan.ranges.find((x) => x.column === s.column)!;
      const peak = Math.max(Math.abs(r.min), Math.abs(r.max)) * 10 ** s.scale;
      return s.kind === "sum" ? peak : peak * peak;
    })].map(per),
    selection: per(1),
  };
}

const statAggregates = { sum: ["SUM", "AVG", "VARIANCE", "STDDEV"], sumsq: ["VARIANCE", "STDDEV"], hist: ["HISTOGRAM"] } as const;

/**
 * Check a plan against the holder's policy. `epsilon` is the ε the buyer signed for; `peers`
 * the node ids taking part. Throws PolicyRefusal with a reason code; never echoes a data value.
 */
export function checkPlan(policy: NodeDatasetPolicy, o: { productId: string; plan: AggregatePlan; epsilon: number; peers: string[] }) {
  const approved = policy.products[o.productId];
  if (!approved) refuse("PRODUCT_NOT_APPROVED", "The holder has not approved this product at its node.");
  const want = [...new Set(approved!.sources)].sort();
  const got = [...new Set(o.peers)].sort();
  if (got.length !== o.peers.length || want.join() !== got.join()) {
    refuse("PEERS_NOT_APPROVED", `The query's sources are not the ${want.length} the holder approved for this product.`);
  }
  const never = new Set([...policy.never, ...(policy.person ? [policy.person.column] : [])]);
  const { plan } = o;

  for (const d of plan.groupBy) {
    const allowed = policy.dimensions[d.name];
    if (!allowed || never.has(d.name)) refuse("DIMENSION_NOT_ALLOWED", `${d.name} may not be grouped by at this node.`);
    if (d.kind === "category") {
      if (!allowed!.values || d.values.some((v) => !allowed!.values!.includes(v))) refuse("DIMENSION_NOT_ALLOWED", `${d.name}: categories beyond those the holder declared.`);
    } else if (!allowed!.edges || d.edges.some((e) => !allowed!.edges!.includes(e))) {
      refuse("DIMENSION_NOT_ALLOWED", `${d.name}: buckets finer than those the holder declared.`);
    }
  }
  if (groupCount(plan) > policy.maxGroups) refuse("TOO_MANY_GROUPS", `At most ${policy.maxGroups} groups at this node.`);

  for (const f of plan.filters) {
    const allowed = policy.dimensions[f.column];
    if (!allowed || never.has(f.column) || !allowed.filterOps.includes(f.op)) refuse("FILTER_NOT_ALLOWED", `Filter ${f.op} on ${f.column} is not allowed at this node.`);
    const values = Array.isArray(f.value) ? f.value : [f.value];
    // Filters select whole declared categories or buckets, never a finer slice that could isolate a row.
    const ok = allowed!.values ? values.every((v) => typeof v === "string" && allowed!.values!.includes(v)) : values.every((v) => typeof v === "number" && allowed!.edges!.includes(v));
    if (!ok) refuse("FILTER_NOT_ALLOWED", `Filter on ${f.column}: only the declared ${allowed!.values ? "categories" : "bucket edges"} may be used.`);
  }

  for (const s of plan.stats) {
    const m = policy.measures[s.column];
    if (!m || never.has(s.column)) refuse("MEASURE_NOT_ALLOWED", `${s.column} may not be aggregated at this node.`);
    if (!statAggregates[s.kind].some((a) => m!.aggregates.includes(a))) refuse("AGGREGATE_NOT_ALLOWED", `This aggregate of ${s.column} is not allowed at this node.`);
    const r = plan.ranges.find((x) => x.column === s.column);
    if (!r || r.min < m!.min || r.max > m!.max) refuse("BOUNDS_NOT_ALLOWED", `${s.column}: the plan's bounds exceed those the holder declared.`);
  }
  if (plan.ranges.some((r) => !plan.stats.some((s) => s.column === r.column))) refuse("BAD_PLAN", "The plan declares bounds for a column it does not aggregate.");

  if (policy.dp.required || policy.person) {
    if (!plan.noise) refuse("DP_REQUIRED", "The holder requires differential privacy on this dataset.");
    if (o.epsilon > policy.dp.maxEpsilonPerQuery) refuse("EPSILON_TOO_LARGE", `ε must be at most ${policy.dp.maxEpsilonPerQuery} at this node.`);
  }
  if (plan.noise) {
    // A nearly free query is refused: every noised query spends at least the floor.
    const min = policy.dp.minEpsilonPerQuery ?? MIN_EPSILON;
    if (!(o.epsilon >= min)) refuse("EPSILON_TOO_SMALL", `ε must be at least ${min} at this node.`);
    const need = requiredNoise(plan, o.epsilon, policy.person?.maxRows ?? 1);
    const short = (have: number, want: number) => have < want * (1 - 1e-9);
    if (plan.noise.scales.length !== need.scales.length || need.scales.some((b, i) => short(plan.noise!.scales[i]!, b)) || short(plan.noise.selection, need.selection)) {
      refuse("NOISE_TOO_SMALL", "The plan's noise is below what its ε, bounds and rows per person require.");
    }
  }
}
