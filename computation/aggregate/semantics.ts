/**
 * What every connector shares (connectors.ts lists them: CSV, SQLite, PostgreSQL, DuckDB for
 * Parquet and DuckDB files): the connector interface, the prepared plan, errors, and the one
 * meaning of a value that every store must compute the same way.
 *
 * Why several implementations with one meaning: a query spans several holders whose data
 * sit in different stores, and the marketplace adds their vectors slot by slot, so every
 * connector must produce exactly the same integers for the same data. The SQL connectors
 * push filtering, grouping and summing into the holder's database (one parameterised
 * statement; rows never cross into this process); the CSV connector streams the file.
 *
 * The meaning, identical in all three:
 * - A value is a number when the store holds it as one: a CSV cell that reads as a decimal
 *   number (optional sign, digits, point, exponent; surrounding spaces allowed), an SQLite
 *   value of storage class INTEGER or REAL, a PostgreSQL value of a numeric column type
 *   (smallint, integer, bigint, numeric, real, double precision). NaN and ±Infinity are not
 *   numbers. Numbers are compared and scaled as IEEE doubles. An unquoted empty CSV cell
 *   and SQL NULL are null.
 * - A value's text is the CSV cell as written, CAST(v AS TEXT) in SQLite, v::text in
 *   PostgreSQL. Strings compare by Unicode code point (= UTF-8 bytes: BINARY in SQLite,
 *   COLLATE "C" in PostgreSQL).
 * - A filter with a number compares the value as a number (a null or non-number fails
 *   every op, neq included); a filter with a string compares the value's text. "between"
 *   is inclusive; "in" matches if any listed value matches.
 * - A category dimension takes the index of the value's text in `values` (first match);
 *   a bucket dimension the i with edges[i] <= v < edges[i+1]. Rows in no group, or
 *   failing a filter, do not contribute.
 * - Fixed point: r = round(v·10^scale) with ties away from zero, computed on the double
 *   v·10^scale; sum adds r, sumsq adds r² (exactly, as big integers); hist counts the rows
 *   whose value lies in [edges[i], edges[i+1]) (a null or a value outside the edges adds
 *   to no bucket, the row still counts in the count block).
 * - Bounds, as Tumult Analytics and AWS Clean Rooms do: a column of plan.ranges is read
 *   clamped into [min, max] everywhere in the plan, and a null or non-number in it is
 *   imputed as the value of [min, max] nearest zero. No row is refused: nothing about a
 *   row changes whether the query is answered (docs/queries.md). Bounds must keep
 *   |bound·10^scale| < 2^53 (so every fixed-point value is exact). On a column without
 *   bounds (never at a node: its policy requires them), a sum/sumsq skips a null, a
 *   non-number, or a value with |v·10^scale| ≥ 2^53; a hist skips nulls and non-numbers.
 * - The privacy unit (AggregateOptions.perPerson): when a dataset has a person column,
 *   only each person's first `maxRows` rows count (file order in CSV, rowid in SQLite, row
 *   text order in PostgreSQL), before filters; rows with a null person count as one person.
 */
import { stat } from "node:fs/promises";
import { aggregatePlan, blockWidths, groupCount, SLOTS, vectorLength, type AggregatePlan } from "@/core/protocol";
import type { ScannedValue } from "@/core/zk/encoding";
import { CsvSyntaxError, type CsvField } from "./csv";
import { zodText } from "@/core/zod-text";

export type ColumnType = "number" | "string";
export interface ColumnInfo { name: string; type: ColumnType }

/** counts: one per group; blocks: one per plan.stats entry, laid out as in protocol.ts. */
export interface LocalAggregate { counts: bigint[]; blocks: bigint[][] }

/** A value as the store holds it: `num` when it is a number (as aggregates read it), `text` its text. */
export type { ScannedValue };

/** One person's record: the asked fields, numbers as numbers, text as text, missing as null. */
export type RecordValues = Record<string, number | string | null>;

export interface Connector {
  columns(): Promise<ColumnInfo[]>;
  aggregate(plan: AggregatePlan, options?: AggregateOptions): Promise<LocalAggregate>;
  /**
   * The one record whose `keyColumn` text equals `key`, with `fields` only (for a consented
   * delivery; never used by aggregates). null when there is none; SOURCE_ERROR when the key
   * is not unique; UNKNOWN_COLUMN for a column the source lacks.
   */
  record(keyColumn: string, key: string, fields: string[]): Promise<RecordValues | null>;
  /**
   * Every row's values of `columns`, in an order that is the same on every scan of unchanged
   * data (file order; rowid in SQLite; by every column's text in PostgreSQL), in batches: for
   * the node's dataset commitments and proofs (computation/zk), which never leave the node.
   */
  scan(columns: string[]): AsyncIterable<ScannedValue[][]>;
  /**
   * A cheap stamp of the source's current state (a file's size, modification time and inode),
   * equal while the data is unchanged; null when the source offers none (PostgreSQL). It lets
   * the node tell at once whether its data is still the committed data (computation/zk/service.ts).
   */
  fingerprint?(): Promise<string | null>;
  /** release the connection pool, if any; idempotent */
  close(): Promise<void>;
}

export type AggregateErrorCode = "UNKNOWN_COLUMN" | "INVALID_PLAN" | "SOURCE_ERROR";

/** How the node bounds each person's contribution (core/policy.ts `person`). */
export interface AggregateOptions { perPerson?: { column: string; maxRows: number } }

/**
 * The node refuses the query. The message may reach the marketplace: it names a column
 * or a single offending value, never a row, a file path or a connection string.
 */
export class AggregateError extends Error {
  constructor(readonly code: AggregateErrorCode, message: string, readonly column?: string, readonly value?: string | null) {
    super(message);
    this.name = "AggregateError";
  }
}

/** Largest vector a response can carry: 64 ciphertexts of SLOTS slots (protocol.ts). */
export const MAX_VECTOR_LENGTH = SLOTS * 64;

export const TWO_53 = 9007199254740992;

// ---------------------------------------------------------------------------------------
// Plan preparation, shared by the three connectors

/** A bounded column: every value read clamped into [min, max], a missing one imputed. */
export interface Clamp { column: string; min: number; max: number; impute: number }

export interface PreparedPlan {
  plan: AggregatePlan;
  groups: number;
  widths: number[];
  /** every column the plan references, in order of first reference */
  columns: string[];
  clamps: Clamp[];
}

function invalid(message: string): never {
  throw new AggregateError("INVALID_PLAN", message);
}

function strictlyIncreasing(edges: number[], what: string) {
  for (let i = 1; i < edges.length; i++) if (!(edges[i]! > edges[i - 1]!)) invalid(`${what}: edges must be strictly increasing`);
}

export function preparePlan(input: unknown): PreparedPlan {
  const parsed = aggregatePlan.safeParse(input);
  if (!parsed.success) invalid(`Invalid plan: ${zodText(parsed.error)}`);
  const plan = parsed.data;
  for (const d of plan.groupBy) if (d.kind === "bucket") strictlyIncreasing(d.edges, `dimension ${d.name}`);
  for (const s of plan.stats) if (s.kind === "hist") strictlyIncreasing(s.edges, `histogram of ${s.column}`);
  for (const f of plan.filters) {
    const v = f.value;
    if (f.op === "in") {
      if (!Array.isArray(v)) invalid(`filter on ${f.column}: "in" takes an array`);
    } else if (f.op === "between") {
      if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== typeof v[1]) invalid(`filter on ${f.column}: "between" takes [low, high] of one type`);
    } else if (Array.isArray(v)) {
      invalid(`filter on ${f.column}: "${f.op}" takes a single value`);
    }
  }
  for (const r of plan.ranges) if (!(r.min <= r.max)) invalid(`range of ${r.column}: min > max`);
  const len = vectorLength(plan);
  if (len > MAX_VECTOR_LENGTH) invalid(`The plan's vector has ${len} slots; at most ${MAX_VECTOR_LENGTH} fit in a response`);

  const columns: string[] = [];
  const see = (c: string) => { if (!columns.includes(c)) columns.push(c); };
  plan.groupBy.forEach((d) => see(d.name));
  plan.filters.forEach((f) => see(f.column));
  plan.stats.forEach((s) => see(s.column));
  plan.ranges.forEach((r) => see(r.column));

  // One bound per column: the intersection of the plan's ranges for it.
  const clamps = new Map<string, Clamp>();
  for (const r of plan.ranges) {
    const c = clamps.get(r.column);
    const min = Math.max(r.min, c?.min ?? -Infinity), max = Math.min(r.max, c?.max ?? Infinity);
    if (!(min <= max)) invalid(`the ranges given for ${r.column} do not overlap`);
    clamps.set(r.column, { column: r.column, min, max, impute: min > 0 ? min : max < 0 ? max : 0 });
  }
  for (const s of plan.stats) {
    const c = clamps.get(s.column);
    if (s.kind !== "hist" && c && Math.max(Math.abs(c.min), Math.abs(c.max)) * 10 ** s.scale >= TWO_53) invalid(`the bounds of ${s.column} at scale ${s.scale} exceed what fixed point keeps exact`);
  }
  return { plan, groups: groupCount(plan), widths: blockWidths(plan), columns, clamps: [...clamps.values()] };
}

/** UNKNOWN_COLUMN for the first referenced column the source does not have. */
export function requireColumns(p: PreparedPlan, available: Iterable<string>) {
  const have = new Set(available);
  for (const c of p.columns) if (!have.has(c)) throw new AggregateError("UNKNOWN_COLUMN", `Unknown column: ${c}`, c);
}


export function requireRecordColumns(available: string[], wanted: string[]) {
  for (const c of wanted) if (!available.includes(c)) throw new AggregateError("UNKNOWN_COLUMN", `The source has no column ${c}`, c);
}
export const ambiguous = () => new AggregateError("SOURCE_ERROR", "More than one record has this subject identifier");

export function sourceError(what: string, e: unknown): never {
  if (e instanceof AggregateError) throw e;
  const detail = e instanceof CsvSyntaxError ? e.message : (e as { code?: string }).code ?? (e instanceof Error ? e.message : String(e));
  throw new AggregateError("SOURCE_ERROR", `The ${what} source cannot be read (${detail})`);
}

// ---------------------------------------------------------------------------------------
// Shared value semantics (used by the CSV connector; mirrored in SQL by the others)

const NUMBER_RE = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/** A CSV cell as a number, or null when it is null or not a (finite) number. */
export function csvNumber(text: CsvField): number | null {
  if (text === null || !NUMBER_RE.test(text)) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/** String order by Unicode code point (= UTF-8 byte order = SQLite BINARY = PostgreSQL "C"). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x !== y) {
      // UTF-16 puts surrogates (astral code points) below U+E000..U+FFFF; code points do not.
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

/**
 * Size, modification time (ns) and inode of each file (a missing one stamps as "-"): any write,
 * append or replacement changes it. Not evidence against the holder (its own node computes it),
 * only how an honest node notices its data changed without reading it.
 */
export async function fileStamp(...files: string[]): Promise<string> {
  const parts = await Promise.all(files.map(async (f) => {
    const st = await stat(f, { bigint: true }).catch(() => null);
    return st ? `${st.size}:${st.mtimeNs}:${st.ino}` : "-";
  }));
  return parts.join("|");
}
