/**
 * How a holder's rows become field elements ("cells") for dataset commitments and
 * zero-knowledge proofs (docs/proofs.md), and which queries a proof can cover.
 * Pure and browser-safe: the node, the marketplace, the CLI and the browser share it.
 *
 * A numeric column commits each value as round(v·10^scale) + 2^31, an unsigned 32-bit
 * integer (offset binary, so order is kept for negative numbers too); 0 is null. A text
 * column commits SHA-256("cell:" ‖ text) cut to 31 bytes; 0 is null. The circuits range-check
 * every numeric cell to 32 bits before comparing it.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import type { AggregatePlan } from "../protocol";

/** One cell as a store reads it: its number (if it is one) and its text. */
export interface ScannedValue { num: number | null; text: string | null }

/** Columns a chunk commits (unused ones commit to 0); circuits/aggregate.circom MAX_COLUMNS. */
export const MAX_COLUMNS = 15;
/** Groups a proof covers; the circuits' G. */
export const GROUPS = 12;
/** Values a text filter may match (eq, or "in" with up to this many); ChunkStepMatch's M. */
export const MATCHES = 4;
export const OFFSET = 2n ** 31n;
export const MAX_CELL = 2n ** 32n - 1n;
/** A group code no cell can equal (text cells are below 2^248, numeric below 2^32). */
export const UNUSED_CODE = 2n ** 250n;
export const MAX_SCALE = 6;

export type ColumnKind = "number" | "text";
export interface CommittedColumn { name: string; kind: ColumnKind; /** decimals kept, numeric columns only */ scale: number }

export function textCell(text: string): bigint {
  return BigInt("0x" + bytesToHex(sha256(utf8ToBytes("cell:" + text))).slice(0, 62));
}

/** Binds the columns' names, kinds and scales into the commitment. */
export function schemaHash(schema: CommittedColumn[]): bigint {
  const canonical = JSON.stringify(schema.map((c) => [c.name, c.kind, c.kind === "number" ? c.scale : 0]));
  return BigInt("0x" + bytesToHex(sha256(utf8ToBytes("schema:" + canonical))).slice(0, 62));
}

/** A number's cell at a column's scale; null when it does not fit 32 bits or needs more decimals. */
export function numberCell(v: number, scale: number): bigint | null {
  const x = v * 10 ** scale;
  const r = Math.round(x);
  if (!Number.isFinite(x) || Math.abs(x - r) > 1e-9 * Math.max(1, Math.abs(x))) return null;
  const cell = BigInt(r) + OFFSET;
  return cell >= 1n && cell <= MAX_CELL ? cell : null;
}

/** The fewest decimals (≤ MAX_SCALE) that represent v exactly within 32 bits, or null. */
export function scaleOf(v: number): number | null {
  for (let s = 0; s <= MAX_SCALE; s++) if (numberCell(v, s) !== null) return s;
  return null;
}


export function cellOf(column: CommittedColumn, v: ScannedValue): bigint {
  if (column.kind === "text") return v.text === null ? 0n : textCell(v.text);
  if (v.num === null) return 0n;
  const cell = numberCell(v.num, column.scale);
  if (cell === null) throw new Error(`A value of ${column.name} does not fit its committed scale`);
  return cell;
}

/** What a proof about a query states, in cells: the circuit's public query inputs. */
export interface Statement {
  /** "range": lo ≤ numeric filter cell ≤ hi (ChunkStep); "match": the text filter cell is one of matches (ChunkStepMatch) */
  kind: "range" | "match";
  filterColumn: number;
  groupColumn: number;
  valueColumn: number;
  lo: bigint;
  hi: bigint;
  /** MATCHES codes for a "match" filter (then UNUSED_CODE); empty for "range" */
  matches: bigint[];
  /** GROUPS codes: the plan's group values' cells, then UNUSED_CODE */
  codes: bigint[];
  /** the plan's number of groups (≤ GROUPS) */
  groups: number;
  /** the sum proven, in the column's committed units, or null when the query sums nothing provable */
  sumColumn: string | null;
}

export type Provable = { ok: true; statement: Statement } | { ok: false; reason: string };

const floorCell = (x: number) => BigInt(Math.floor(x + 1e-9)) + OFFSET;
const ceilCell = (x: number) => BigInt(Math.ceil(x - 1e-9)) + OFFSET;
const clamp = (c: bigint) => (c < 1n ? 1n : c > MAX_CELL ? MAX_CELL : c);

/**
 * Why a plan's shape alone puts it outside what the circuits prove, whatever the data (null when
 * it does not): a node answers such a plan without committing anything.
 */
export function provableShape(plan: Pick<AggregatePlan, "groupBy" | "filters">): string | null {
  if (plan.groupBy.length !== 1) return "proofs cover queries grouped by exactly one dimension";
  const dim = plan.groupBy[0]!;
  if (dim.kind !== "category") return "proofs cover category dimensions, not numeric buckets";
  if (dim.values.length > GROUPS) return `proofs cover at most ${GROUPS} groups`;
  if (new Set(dim.values).size !== dim.values.length) return "the group-by dimension lists a value twice";
  if (plan.filters.length > 1) return "proofs cover at most one filter";
  return null;
}

/**
 * The statement a proof makes about a plan, or why the plan is outside what the circuits
 * prove: one category group-by over a text column with at most GROUPS values, at most one
 * filter — a comparison on a numeric column, or eq / "in" (≤ MATCHES values) on a text
 * column —, COUNT and the first SUM over a numeric column.
 */
export function statementFor(plan: Pick<AggregatePlan, "groupBy" | "filters" | "stats">, schema: CommittedColumn[]): Provable {
  const index = (name: string) => schema.findIndex((c) => c.name === name);
  const shape = provableShape(plan);
  if (shape) return { ok: false, reason: shape };
  const dim = plan.groupBy[0]! as Extract<AggregatePlan["groupBy"][number], { kind: "category" }>;
  const groupColumn = index(dim.name);
  if (groupColumn < 0 || schema[groupColumn]!.kind !== "text") return { ok: false, reason: `the group-by column ${dim.name} is not a committed text column` };

  const firstNumeric = schema.findIndex((c) => c.kind === "number");
  const sum = plan.stats.find((s) => s.kind === "sum" && schema[index(s.column)]?.kind === "number");
  const valueColumn = sum ? index(sum.column) : firstNumeric;
  let filterColumn = firstNumeric;
  let lo = 0n;
  let hi = MAX_CELL;
  let kind: Statement["kind"] = "range";
  const matches: bigint[] = [];
  const f = plan.filters[0];
  if (f && schema[index(f.column)]?.kind === "text") {
    // Text: eq one string, or "in" up to MATCHES strings; the cell must equal one of them.
    filterColumn = index(f.column);
    const values = f.op === "eq" ? [f.value] : f.op === "in" && Array.isArray(f.value) ? f.value : null;
    if (!values) return { ok: false, reason: `proofs cover "eq" and "in" filters on text columns, not "${f.op}"` };
    if (values.some((v) => typeof v !== "string")) return { ok: false, reason: `the filter on ${f.column} compares numbers with a text column` };
    const distinct = [...new Set(values as string[])];
    if (distinct.length > MATCHES) return { ok: false, reason: `proofs cover "in" filters of at most ${MATCHES} values` };
    kind = "match";
    matches.push(...distinct.map(textCell));
    while (matches.length < MATCHES) matches.push(UNUSED_CODE);
  } else if (f) {
    filterColumn = index(f.column);
    const col = schema[filterColumn];
    if (!col || col.kind !== "number") return { ok: false, reason: `the filter column ${f.column} is not a committed column` };
    const m = 10 ** col.scale;
    const num = (v: unknown) => (typeof v === "number" ? v * m : null);
    const one = Array.isArray(f.value) ? null : num(f.value);
    const pair = Array.isArray(f.value) && f.value.length === 2 ? [num(f.value[0]), num(f.value[1])] : null;
    switch (f.op) {
      case "eq": if (one === null) return notNumeric(f.column); lo = ceilCell(one); hi = floorCell(one); break;
      case "gte": if (one === null) return notNumeric(f.column); lo = ceilCell(one); break;
      case "gt": if (one === null) return notNumeric(f.column); lo = floorCell(one) + 1n; break;
      case "lte": if (one === null) return notNumeric(f.column); hi = floorCell(one); break;
      case "lt": if (one === null) return notNumeric(f.column); hi = ceilCell(one) - 1n; break;
      case "between":
        if (!pair || typeof pair[0] !== "number" || typeof pair[1] !== "number") return notNumeric(f.column);
        lo = ceilCell(pair[0]); hi = floorCell(pair[1]); break;
      default: return { ok: false, reason: `proofs do not cover the "${f.op}" filter` };
    }
    // A compared value is never null (cell 0); bounds stay within 32 bits.
    lo = clamp(lo);
    hi = hi < 0n ? 0n : clamp(hi);
  }
  if (filterColumn < 0 || valueColumn < 0) return { ok: false, reason: "the dataset commits no numeric column" };
  const codes = dim.values.map(textCell);
  while (codes.length < GROUPS) codes.push(UNUSED_CODE);
  if (kind === "match") { lo = 0n; hi = 0n; }
  return { ok: true, statement: { kind, filterColumn, groupColumn, valueColumn, lo, hi, matches, codes, groups: dim.values.length, sumColumn: sum?.column ?? null } };
}

/** The chunk circuit that proves a statement, for a chunk size. */
export const chunkCircuitName = (s: Pick<Statement, "kind">, chunkRows: number) => `chunk${chunkRows}${s.kind === "match" ? "m" : ""}`;

/** The query's part of a chunk proof's public signals, in the circuit's order (after chunkRoot, accIn, accOut). */
export function querySignals(s: Statement): string[] {
  const filter = s.kind === "match" ? s.matches : [s.lo, s.hi];
  return [s.filterColumn, s.groupColumn, s.valueColumn, ...filter, ...s.codes].map(String);
}

const notNumeric = (column: string): Provable => ({ ok: false, reason: `the filter on ${column} does not compare numbers` });
