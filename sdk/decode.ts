/**
 * Buyer side: turn the decrypted result vector back into a table. Runs in the browser
 * and in the SDK/CLI (no Node-only APIs). Suppressed groups (below the minimum cohort k)
 * come back zeroed by the marketplace and are marked, never shown as zeros.
 */
import { blockWidths, groupCount, type AggregatePlan, type DimensionSpec } from "@/core/protocol";
import { planHash } from "@/core/statements";

export type Output = { column: string; aggregate: "COUNT" | "SUM" | "AVG" | "VARIANCE" | "STDDEV" | "HISTOGRAM"; sumBlock?: number; sumsqBlock?: number; histBlock?: number; scale: number; edges?: number[] };
export type PlannedQuery = { plan: Pick<AggregatePlan, "groupBy" | "stats"> & Partial<Pick<AggregatePlan, "ranges">>; outputs: Output[]; groups: number };

export type ResultRow = {
  labels: string[];
  suppressed: boolean;
  /** rows in the group (with DP noise when the product uses it) */
  count: bigint;
  /** one value per output: a number, or bucket counts for a histogram; null when suppressed */
  values: (number | bigint[] | null)[];
  /** exact integer sums behind the values (fixed point), for checking */
  raw: { sum?: bigint; sumsq?: bigint }[];
};

export function groupLabels(groupBy: DimensionSpec[], g: number): string[] {
  const labels: string[] = [];
  let rest = g;
  for (let i = groupBy.length - 1; i >= 0; i--) {
    const d = groupBy[i]!;
    const n = d.kind === "category" ? d.values.length : d.edges.length - 1;
    const j = rest % n;
    rest = Math.floor(rest / n);
    labels.unshift(d.kind === "category" ? d.values[j]! : `${d.edges[j]}–${d.edges[j + 1]}`);
  }
  return labels;
}

export class PlanMismatchError extends Error {
  constructor(message: string) { super(message); this.name = "PlanMismatchError"; }
}

/**
 * The marketplace returns the plan with the job; the buyer signed only its hash. Before decoding,
 * check that the returned plan is the one signed (a malicious operator could otherwise show a
 * permuted groupBy or other outputs), and that the server-supplied layout (group count, each
 * output's blocks) is what that plan implies. Returns a PlannedQuery whose group count comes from
 * the checked plan. Throws PlanMismatchError otherwise.
 */
export function checkSignedPlan(planned: PlannedQuery, signedPlanHash: string): PlannedQuery {
  if (!/^[0-9a-f]{64}$/.test(signedPlanHash)) throw new PlanMismatchError("No signed plan hash is known for this query: not decoding it.");
  if (planHash(planned.plan) !== signedPlanHash) throw new PlanMismatchError("The plan the marketplace returned is not the plan you signed: not decoding this result.");
  const stats = planned.plan.stats;
  const is = (block: number | undefined, kind: "sum" | "sumsq" | "hist", column: string) => {
    if (block === undefined) return false;
    const s = stats[block - 1]; // block 0 is the count
    return s !== undefined && s.kind === kind && s.column === column;
  };
  for (const o of planned.outputs) {
    const ok = o.aggregate === "COUNT" ? o.sumBlock === undefined && o.sumsqBlock === undefined && o.histBlock === undefined
      : o.aggregate === "HISTOGRAM" ? is(o.histBlock, "hist", o.column) && JSON.stringify((stats[o.histBlock! - 1] as { edges: number[] }).edges) === JSON.stringify(o.edges)
      : o.aggregate === "SUM" || o.aggregate === "AVG" ? is(o.sumBlock, "sum", o.column) && stats[o.sumBlock! - 1]!.kind === "sum" && (stats[o.sumBlock! - 1] as { scale: number }).scale === o.scale
      : is(o.sumBlock, "sum", o.column) && is(o.sumsqBlock, "sumsq", o.column) && (stats[o.sumBlock! - 1] as { scale: number }).scale === o.scale;
    if (!ok) throw new PlanMismatchError(`The output "${o.aggregate}(${o.column})" does not match the plan you signed: not decoding this result.`);
  }
  return { ...planned, groups: groupCount(planned.plan) };
}

export function decodeResult(planned: PlannedQuery, vector: bigint[], suppressed: boolean[]): ResultRow[] {
  const widths = blockWidths(planned.plan);
  const offsets = widths.map((_, i) => widths.slice(0, i).reduce((a, b) => a + b, 0));
  const G = planned.groups;
  const slot = (block: number, g: number) => vector[offsets[block]! + g] ?? 0n;
  // Under DP a noisy sum over a small noisy count can land outside what any row could give (a
  // negative mean). Clamping into the declared range is post-processing: it costs no privacy.
  const range = (column: string) => planned.plan.ranges?.find((r) => r.column === column);
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  return Array.from({ length: G }, (_, g) => {
    const hidden = suppressed[g] ?? false;
    const count = slot(0, g);
    const n = Number(count);
    const raw: ResultRow["raw"] = [];
    const values = planned.outputs.map((o) => {
      const sum = o.sumBlock !== undefined ? slot(o.sumBlock, g) : undefined;
      const sumsq = o.sumsqBlock !== undefined ? slot(o.sumsqBlock, g) : undefined;
      raw.push({ sum, sumsq });
      if (hidden) return null;
      const unit = 10 ** o.scale;
      switch (o.aggregate) {
        case "COUNT": return n;
        case "SUM": return Number(sum) / unit;
        case "AVG": {
          if (n <= 0) return null;
          const mean = Number(sum) / unit / n, r = range(o.column);
          return r ? clamp(mean, r.min, r.max) : mean;
        }
        case "VARIANCE":
        case "STDDEV": {
          if (n <= 0) return null;
          const mean = Number(sum) / unit / n;
          const variance = Number(sumsq) / (unit * unit) / n - mean * mean;
          // DP noise on the sum of squares can push the estimate below 0: no usable answer at this ε.
          if (variance < 0) return null;
          // No variable within [min, max] has a standard deviation above (max − min) / 2.
          const r = range(o.column), sd = r ? Math.min(Math.sqrt(variance), (r.max - r.min) / 2) : Math.sqrt(variance);
          return o.aggregate === "VARIANCE" ? sd * sd : sd;
        }
        case "HISTOGRAM": {
          const buckets = o.edges!.length - 1;
          return Array.from({ length: buckets }, (_, b) => vector[offsets[o.histBlock!]! + g * buckets + b] ?? 0n);
        }
      }
    });
    return { labels: groupLabels(planned.plan.groupBy, g), suppressed: hidden, count: hidden ? 0n : count, values, raw };
  });
}
