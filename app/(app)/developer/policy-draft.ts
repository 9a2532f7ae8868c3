/**
 * The product builder's model, without React: which fields the picked resources share, what the
 * developer chose for each (dimension, measure or nothing), and the query policy that makes
 * (server/queries/policy.ts), with every problem named per field before the server is asked.
 * The market's floor (server/queries/floor.ts) arrives as numbers from the page.
 */
import type { z } from "zod";
import type { Aggregate, FilterOp } from "@/core/protocol";
import type { QueryPolicy } from "@/server/queries/policy";
import type { fieldSchema } from "@/server/resources/schemas";
import { splitList } from "../../_lib/format";

export type DeclaredField = z.input<typeof fieldSchema>;
type Sensitivity = DeclaredField["sensitivity"];

/** A field every picked resource declares, with the strictest sensitivity any of them gives it. */
export type CommonField = DeclaredField & { numeric: boolean; personal: boolean };

export type Floor = { minCohort: number; epsilonMin: number; epsilonMax: number };

export type ColumnDraft = {
  role: "none" | "dimension" | "measure";
  kind: "category" | "bucket";
  /** typed lists, split with splitList */
  values: string;
  edges: string;
  groupable: boolean;
  filterOps: FilterOp[];
  min: string;
  max: string;
  scale: string;
  aggregates: Aggregate[];
  histogramEdges: string;
};

export type ProductSettings = {
  minCohort: string;
  maxGroups: string;
  maxRowsTotal: string;
  privacy: "none" | "dp";
  epsilonPerQuery: string;
  epsilonPerBuyer: string;
  rowsPerPerson: string;
};

export type PolicyDraft = { columns: Record<string, ColumnDraft>; settings: ProductSettings };

export type ProblemCode =
  | "noResource" | "noDimension" | "personalDimension" | "noValues" | "badEdges" | "notNumeric" | "badBounds" | "minAboveMax"
  | "badScale" | "noAggregates" | "badHistogram" | "overflow" | "badCohort" | "badMaxGroups" | "badRowsTotal" | "dpRequired"
  | "badEpsilon" | "badBudget" | "badRowsPerPerson";
export type Problem = { code: ProblemCode; column?: string };

export const defaultFilterOps: Record<ColumnDraft["kind"], FilterOp[]> = { category: ["eq", "in"], bucket: ["gte", "lt", "between"] };
const rank: Record<Sensitivity, number> = { PUBLIC: 0, INTERNAL: 1, SENSITIVE: 2, PERSONAL: 3 };

/**
 * The fields all the resources declare (by name, in the first resource's order). `personal`
 * names the columns the floor treats as personal (PERSONAL in any resource, or the person column).
 */
export function commonFields(lists: DeclaredField[][], personal: string[] = []): CommonField[] {
  const [first, ...rest] = lists;
  if (!first) return [];
  return first.filter((f) => rest.every((l) => l.some((g) => g.name === f.name))).map((f) => {
    const all = lists.map((l) => l.find((g) => g.name === f.name)!);
    const sensitivity = all.reduce<Sensitivity>((s, g) => (rank[g.sensitivity] > rank[s] ? g.sensitivity : s), f.sensitivity);
    const numeric = all.every((g) => g.type === "integer" || g.type === "number");
    const type = all.every((g) => g.type === f.type) ? f.type : numeric ? "number" : "string";
    return {
      ...f, type, sensitivity, numeric,
      label: all.find((g) => g.label)?.label, labelZh: all.find((g) => g.labelZh)?.labelZh,
      personal: sensitivity === "PERSONAL" || personal.includes(f.name),
    };
  });
}

export function defaultColumn(f: Pick<CommonField, "numeric" | "type">): ColumnDraft {
  const kind = f.numeric ? "bucket" : "category";
  return {
    role: "none", kind, values: "", edges: "", groupable: true, filterOps: [...defaultFilterOps[kind]],
    min: "0", max: "", scale: f.type === "number" ? "2" : "0", aggregates: ["COUNT", "SUM", "AVG"], histogramEdges: "",
  };
}

export function defaultSettings(floor: Floor): ProductSettings {
  return {
    minCohort: String(floor.minCohort), maxGroups: "1024", maxRowsTotal: "1000000", privacy: "dp",
    epsilonPerQuery: String(Math.max(floor.epsilonMin, Math.min(1, floor.epsilonMax))), epsilonPerBuyer: "10", rowsPerPerson: "1",
  };
}

export const emptyDraft = (floor: Floor): PolicyDraft => ({ columns: {}, settings: defaultSettings(floor) });

/** A number typed in a box; NaN when empty or not a number. */
export function parseNumber(text: string): number {
  const s = text.trim();
  return s === "" ? NaN : Number(s);
}

/** Numbers typed as a list (commas in either script, 、, semicolons, new lines); null when one is not a number. */
export function parseNumbers(text: string): number[] | null {
  const items = splitList(text).map(Number);
  return items.every(Number.isFinite) ? items : null;
}

const ascending = (xs: number[] | null, min: number, max: number): xs is number[] =>
  !!xs && xs.length >= min && xs.length <= max && xs.every((x, i) => i === 0 || x > xs[i - 1]!);

const wholeIn = (n: number, min: number, max = Infinity) => Number.isInteger(n) && n >= min && n <= max;

/** Below t/2 of the encrypted slots' plain modulus: the same bound as queryPolicy's overflow check. */
const SLOT_LIMIT = 2n ** 58n;

/** Whether rows × (peak or peak², in fixed point) could overflow an encrypted slot (as queryPolicy refuses it). */
export function overflows(m: { min: number; max: number; scale: number; aggregates: readonly Aggregate[] }, maxRowsTotal: number): boolean {
  const peak = BigInt(Math.ceil(Math.max(Math.abs(m.min), Math.abs(m.max)) * 10 ** m.scale));
  const squares = m.aggregates.some((a) => a === "VARIANCE" || a === "STDDEV");
  return BigInt(maxRowsTotal) * (squares ? peak * peak : peak) >= SLOT_LIMIT;
}

/**
 * The policy the draft describes, and what stops it from being valid (in the order shown).
 * `dpRequired`: the picked resources demand differential privacy (resourceFloor).
 */
export function buildPolicy(fields: CommonField[], draft: PolicyDraft, o: { floor: Floor; dpRequired: boolean; resources: number }): { policy: QueryPolicy; problems: Problem[] } {
  const problems: Problem[] = [];
  const add = (code: ProblemCode, column?: string) => problems.push(column ? { code, column } : { code });
  if (o.resources === 0) add("noResource");
  const s = draft.settings;
  const maxRowsTotal = parseNumber(s.maxRowsTotal);
  const dimensions: QueryPolicy["dimensions"] = [];
  const measures: QueryPolicy["measures"] = [];
  for (const f of fields) {
    const c = draft.columns[f.name];
    if (!c || c.role === "none") continue;
    if (c.role === "dimension") {
      if (f.personal) { add("personalDimension", f.name); continue; }
      const filterOps = c.filterOps;
      if (c.kind === "category") {
        const values = [...new Set(splitList(c.values))];
        if (!values.length) add("noValues", f.name);
        dimensions.push({ column: f.name, spec: { name: f.name, kind: "category", values }, groupable: c.groupable, filterOps });
      } else {
        const edges = parseNumbers(c.edges);
        if (!ascending(edges, 2, 1025)) add("badEdges", f.name);
        dimensions.push({ column: f.name, spec: { name: f.name, kind: "bucket", edges: edges ?? [] }, groupable: c.groupable, filterOps });
      }
    } else {
      if (!f.numeric) { add("notNumeric", f.name); continue; }
      const min = parseNumber(c.min), max = parseNumber(c.max), scale = parseNumber(c.scale);
      const bounds = Number.isFinite(min) && Number.isFinite(max);
      if (!bounds) add("badBounds", f.name);
      else if (min > max) add("minAboveMax", f.name);
      if (!wholeIn(scale, 0, 6)) add("badScale", f.name);
      if (!c.aggregates.length) add("noAggregates", f.name);
      const histogram = c.aggregates.includes("HISTOGRAM");
      const histogramEdges = histogram ? parseNumbers(c.histogramEdges) : null;
      if (histogram && !ascending(histogramEdges, 2, 65)) add("badHistogram", f.name);
      if (bounds && wholeIn(scale, 0, 6) && wholeIn(maxRowsTotal, 1) && overflows({ min, max, scale, aggregates: c.aggregates }, maxRowsTotal)) add("overflow", f.name);
      measures.push({ column: f.name, min, max, scale, aggregates: c.aggregates, ...(histogram ? { histogramEdges: histogramEdges ?? [] } : {}) });
    }
  }
  if (o.resources > 0 && !dimensions.length && !problems.some((p) => p.code === "personalDimension")) add("noDimension");

  const minCohort = parseNumber(s.minCohort), maxGroups = parseNumber(s.maxGroups);
  if (!wholeIn(minCohort, o.floor.minCohort)) add("badCohort");
  if (!wholeIn(maxGroups, 1, 8192)) add("badMaxGroups");
  if (!wholeIn(maxRowsTotal, 1)) add("badRowsTotal");
  let privacy: QueryPolicy["privacy"] = { mode: "none" };
  if (s.privacy === "none") {
    if (o.dpRequired) add("dpRequired");
  } else {
    const perQuery = parseNumber(s.epsilonPerQuery), perBuyer = parseNumber(s.epsilonPerBuyer), rows = parseNumber(s.rowsPerPerson);
    if (!(perQuery >= o.floor.epsilonMin && perQuery <= o.floor.epsilonMax)) add("badEpsilon");
    if (!(perBuyer > 0)) add("badBudget");
    if (!wholeIn(rows, 1, 1000)) add("badRowsPerPerson");
    privacy = { mode: "dp", maxEpsilonPerQuery: perQuery, epsilonPerBuyer: perBuyer, ...(rows > 1 ? { maxRowsPerPerson: rows } : {}) };
  }
  return { policy: { dimensions, measures, maxGroups, minCohort, maxRowsTotal, privacy }, problems };
}

/** Random base36 characters (for an address when the name has no Latin letters). */
export function randomSuffix(length = 6): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(length)), (b) => (b % 36).toString(36)).join("");
}

/**
 * A product's address from its English name: lowercase ASCII words joined by dashes (accents
 * dropped), 3–60 characters. A name without Latin letters gets `product-` and random characters.
 */
export function slugFromName(name: string, suffix: () => string = randomSuffix): string {
  if (!name.trim()) return "";
  const ascii = name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  if (!/[a-z]/.test(ascii)) return `product-${suffix()}`;
  const slug = ascii.replace(/[^a-z0-9]+/g, "-").replace(/^-+/, "").slice(0, 60).replace(/-+$/, "");
  return slug.length >= 3 ? slug : `product-${slug}`;
}
