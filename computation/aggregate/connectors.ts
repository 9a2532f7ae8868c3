/**
 * Connectors to a holder's own data (CSV file, SQLite file, PostgreSQL table; Parquet and DuckDB
 * files in duckdb.ts) that compute
 * an AggregatePlan's per-group vector INSIDE the holder's domain and never return rows.
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
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import pg from "pg";
import initSqlJs, { type Database, type SqlJsStatic } from "sql.js";
import { z } from "zod";
import { aggregatePlan, blockWidths, groupCount, SLOTS, vectorLength, type AggregatePlan, type DimensionSpec, type FilterSpec } from "../protocol";
import { csvRecords, CsvSyntaxError, type CsvField } from "./csv";
import { csvMirror, DuckDBConnector, duckdbLoads, mirrorDialect } from "./duckdb";

export const connectorConfig = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("csv"), path: z.string().min(1) }),
  z.object({ kind: z.literal("sqlite"), path: z.string().min(1), table: z.string().min(1) }),
  z.object({ kind: z.literal("postgres"), url: z.string().min(1), table: z.string().min(1) }),
  /** a Parquet file, or a table in a DuckDB database file, aggregated by DuckDB (computation/aggregate/duckdb.ts) */
  z.object({ kind: z.literal("parquet"), path: z.string().min(1) }),
  z.object({ kind: z.literal("duckdb"), path: z.string().min(1), table: z.string().min(1) }),
]);
export type ConnectorConfig = z.infer<typeof connectorConfig>;

export type ColumnType = "number" | "string";
export interface ColumnInfo { name: string; type: ColumnType }

/** counts: one per group; blocks: one per plan.stats entry, laid out as in protocol.ts. */
export interface LocalAggregate { counts: bigint[]; blocks: bigint[][] }

/** A value as the store holds it: `num` when it is a number (as aggregates read it), `text` its text. */
export interface ScannedValue { num: number | null; text: string | null }

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

/** How the node bounds each person's contribution (computation/policy.ts `person`). */
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
interface Clamp { column: string; min: number; max: number; impute: number }

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
  if (!parsed.success) invalid(`Invalid plan: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
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

/** round(x) with ties away from zero, x a double with |x| < 2^53. */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** i with edges[i] <= v < edges[i+1], or -1. */
function bucketOf(edges: number[], v: number): number {
  let lo = 0, hi = edges.length - 1;
  if (!(v >= edges[0]!) || !(v < edges[hi]!)) return -1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (v < edges[mid]!) hi = mid; else lo = mid;
  }
  return lo;
}

/** A per-slot sum kept as a double while exact, spilling into a bigint. */
class ExactSums {
  private small: Float64Array;
  private big: bigint[] | null = null;
  constructor(readonly size: number) { this.small = new Float64Array(size); }
  /** v must be a safe integer */
  add(i: number, v: number) {
    const t = this.small[i]! + v;
    if (Number.isSafeInteger(t)) this.small[i] = t;
    else this.addBig(i, BigInt(this.small[i]!) + BigInt(v), true);
  }
  addBig(i: number, v: bigint, resetSmall = false) {
    this.big ??= new Array<bigint>(this.size).fill(0n);
    this.big[i]! += v;
    if (resetSmall) this.small[i] = 0;
  }
  result(): bigint[] {
    const out = new Array<bigint>(this.size);
    for (let i = 0; i < this.size; i++) out[i] = BigInt(this.small[i]!) + (this.big ? this.big[i]! : 0n);
    return out;
  }
}

type Row = CsvField[];
type RowTest = (row: Row, nums: (number | null)[]) => boolean;

/** Evaluates a prepared plan row by row in JS (the CSV connector). */
class RowAggregator {
  private readonly pos: number[];
  private readonly nums: (number | null)[];
  private readonly filters: RowTest[];
  private readonly dims: ((row: Row, nums: (number | null)[]) => number)[];
  private readonly multipliers: number[];
  private readonly counts: Float64Array;
  private readonly stats: { kind: "sum" | "sumsq" | "hist"; k: number; factor: number; edges: number[]; acc: ExactSums }[];
  private readonly clamps: (Clamp & { k: number })[];

  /** index: column name → position in a record */
  constructor(private readonly p: PreparedPlan, index: Map<string, number>) {
    this.pos = p.columns.map((c) => index.get(c)!);
    this.nums = new Array<number | null>(p.columns.length).fill(null);
    const k = (c: string) => p.columns.indexOf(c);
    this.filters = p.plan.filters.map((f) => compileFilter(f, this.pos[k(f.column)]!, k(f.column)));
    this.dims = p.plan.groupBy.map((d) => compileDimension(d, this.pos[k(d.name)]!, k(d.name)));
    const sizes = p.plan.groupBy.map((d) => (d.kind === "category" ? d.values.length : d.edges.length - 1));
    this.multipliers = sizes.map((_, i) => sizes.slice(i + 1).reduce((a, b) => a * b, 1));
    this.counts = new Float64Array(p.groups);
    this.stats = p.plan.stats.map((s, i) => ({
      kind: s.kind, k: k(s.column), factor: s.kind === "hist" ? 1 : 10 ** s.scale, edges: s.kind === "hist" ? s.edges : [], acc: new ExactSums(p.widths[i + 1]!),
    }));
    this.clamps = p.clamps.map((c) => ({ ...c, k: k(c.column) }));
  }

  add(row: Row) {
    const { nums, pos } = this;
    for (let i = 0; i < pos.length; i++) nums[i] = csvNumber(row[pos[i]!]!);
    for (const c of this.clamps) {
      const v = nums[c.k]!;
      nums[c.k] = v === null ? c.impute : v < c.min ? c.min : v > c.max ? c.max : v;
    }
    for (const f of this.filters) if (!f(row, nums)) return;
    let g = 0;
    for (let i = 0; i < this.dims.length; i++) {
      const d = this.dims[i]!(row, nums);
      if (d < 0) return;
      g += d * this.multipliers[i]!;
    }
    this.counts[g]!++;
    for (const s of this.stats) {
      const v = nums[s.k]!;
      if (s.kind === "hist") {
        if (v === null) continue;
        const b = bucketOf(s.edges, v);
        if (b >= 0) s.acc.add(g * (s.edges.length - 1) + b, 1);
        continue;
      }
      // Without bounds (never at a node: its policy requires them), a null, a non-number or a value
      // whose fixed point would not be exact adds nothing, as SQL's SUM skips NULL.
      if (v === null || !(Math.abs(v * s.factor) < TWO_53)) continue;
      const r = roundHalfAway(v * s.factor);
      if (s.kind === "sum") s.acc.add(g, r);
      else if (Math.abs(r) < 67108864) s.acc.add(g, r * r);
      else s.acc.addBig(g, BigInt(r) * BigInt(r));
    }
  }

  result(): LocalAggregate {
    return { counts: Array.from(this.counts, (c) => BigInt(c)), blocks: this.stats.map((s) => s.acc.result()) };
  }
}

function compileFilter(f: FilterSpec, at: number, k: number): RowTest {
  const num = (test: (v: number) => boolean): RowTest => (_row, nums) => { const v = nums[k]!; return v !== null && test(v); };
  const str = (test: (t: string) => boolean): RowTest => (row) => { const t = row[at]!; return t !== null && test(t); };
  const v = f.value;
  if (f.op === "in") {
    const list = v as (string | number)[];
    const ns = new Set(list.filter((x): x is number => typeof x === "number"));
    const ss = new Set(list.filter((x): x is string => typeof x === "string"));
    return (row, nums) => {
      const n = nums[k]!, t = row[at]!;
      return (n !== null && ns.has(n)) || (t !== null && ss.has(t));
    };
  }
  if (f.op === "between") {
    const [lo, hi] = v as [string, string] | [number, number];
    return typeof lo === "number"
      ? num((x) => x >= lo && x <= (hi as number))
      : str((t) => compareCodePoints(t, lo) >= 0 && compareCodePoints(t, hi as string) <= 0);
  }
  if (typeof v === "number") {
    switch (f.op) {
      case "eq": return num((x) => x === v);
      case "neq": return num((x) => x !== v);
      case "lt": return num((x) => x < v);
      case "lte": return num((x) => x <= v);
      case "gt": return num((x) => x > v);
      case "gte": return num((x) => x >= v);
    }
  }
  const s = v as string;
  switch (f.op) {
    case "eq": return str((t) => t === s);
    case "neq": return str((t) => t !== s);
    case "lt": return str((t) => compareCodePoints(t, s) < 0);
    case "lte": return str((t) => compareCodePoints(t, s) <= 0);
    case "gt": return str((t) => compareCodePoints(t, s) > 0);
    default: return str((t) => compareCodePoints(t, s) >= 0);
  }
}

function compileDimension(d: DimensionSpec, at: number, k: number): (row: Row, nums: (number | null)[]) => number {
  if (d.kind === "category") {
    const index = new Map<string, number>();
    d.values.forEach((v, i) => { if (!index.has(v)) index.set(v, i); });
    return (row) => { const t = row[at]!; return t === null ? -1 : index.get(t) ?? -1; };
  }
  const edges = d.edges;
  return (_row, nums) => { const v = nums[k]!; return v === null ? -1 : bucketOf(edges, v); };
}

// ---------------------------------------------------------------------------------------
// CSV

export class CsvConnector implements Connector {
  constructor(readonly path: string) {}

  fingerprint() { return fileStamp(this.path); }

  private async *records(): AsyncGenerator<Row[]> {
    try {
      yield* csvRecords(createReadStream(this.path, { encoding: "utf8", highWaterMark: 1 << 16 }));
    } catch (e) {
      sourceError("CSV", e);
    }
  }

  /** Reads the whole file: a column is a number column when all its non-null cells are numbers. */
  async columns(): Promise<ColumnInfo[]> {
    let header: string[] | null = null;
    let numeric: boolean[] = [];
    let seen: boolean[] = [];
    for await (const batch of this.records()) {
      for (const row of batch) {
        if (!header) {
          header = row.map((h) => h ?? "");
          numeric = header.map(() => true);
          seen = header.map(() => false);
          continue;
        }
        for (let i = 0; i < header.length; i++) {
          const t = row[i];
          if (t === null || t === undefined) continue;
          seen[i] = true;
          if (numeric[i] && csvNumber(t) === null) numeric[i] = false;
        }
      }
    }
    return (header ?? []).map((name, i) => ({ name, type: numeric[i] && seen[i] ? "number" : "string" }));
  }

  /**
   * Aggregated by DuckDB over a mirror of the file read by this connector's own parser
   * (duckdb.ts csvMirror: loaded once per version of the file, kept warm), so values mean
   * exactly what they mean here; in JavaScript, row by row, where DuckDB cannot load.
   */
  async aggregate(plan: AggregatePlan, options: AggregateOptions = {}): Promise<LocalAggregate> {
    const p = preparePlan(plan);
    let mirrored: Awaited<ReturnType<typeof csvMirror>>;
    try {
      mirrored = await csvMirror(this.path, await fileStamp(this.path), () => this.records());
    } catch (e) {
      if (e instanceof AggregateError) throw e;
      if (!(await duckdbLoads())) return this.aggregateRows(p, options);
      sourceError("CSV", e);
    }
    const { con, mirror } = mirrored;
    try {
      requireColumns(p, mirror.names);
      for (const c of p.columns) {
        if (mirror.names.indexOf(c) !== mirror.names.lastIndexOf(c)) throw new AggregateError("SOURCE_ERROR", `The CSV header has column ${c} more than once`, c);
      }
      const bound = options.perPerson;
      if (bound && !mirror.names.includes(bound.column)) throw new AggregateError("UNKNOWN_COLUMN", `Unknown column: ${bound.column}`, bound.column);
      const meta = new Map(mirror.names.map((name) => [name, { name, type: "string" as const, sqlType: "VARCHAR" }]));
      const q = buildQuery(p, mirror.table, meta, mirrorDialect(mirror.names), options);
      const rows = (await con.runAndReadAll(q.sql, q.params)).getRows();
      return q.decode(rows.map((r) => asStrings(r as unknown[])));
    } catch (e) {
      sourceError("DuckDB", e);
    } finally {
      con.closeSync();
    }
  }

  /** The same aggregate row by row in JavaScript (where DuckDB's binary cannot load). */
  protected async aggregateRows(p: PreparedPlan, options: AggregateOptions): Promise<LocalAggregate> {
    let agg: RowAggregator | null = null;
    let width = 0;
    let line = 1;
    const bound = options.perPerson;
    let personAt = -1;
    const seen = new Map<string | null, number>();
    for await (const batch of this.records()) {
      for (const row of batch) {
        if (!agg) {
          const names = row.map((h) => h ?? "");
          requireColumns(p, names);
          for (const c of p.columns) {
            if (names.indexOf(c) !== names.lastIndexOf(c)) throw new AggregateError("SOURCE_ERROR", `The CSV header has column ${c} more than once`, c);
          }
          if (bound) {
            personAt = names.indexOf(bound.column);
            if (personAt < 0) throw new AggregateError("UNKNOWN_COLUMN", `Unknown column: ${bound.column}`, bound.column);
          }
          agg = new RowAggregator(p, new Map(p.columns.map((c) => [c, names.indexOf(c)])));
          width = names.length;
          continue;
        }
        line++;
        if (row.length !== width) throw new AggregateError("SOURCE_ERROR", `CSV record ${line} has ${row.length} fields; the header has ${width}`);
        if (bound) {
          // Each person's first maxRows rows in file order; the rest are dropped before filters.
          const person = row[personAt] ?? null;
          const n = (seen.get(person) ?? 0) + 1;
          seen.set(person, n);
          if (n > bound.maxRows) continue;
        }
        agg.add(row);
      }
    }
    if (!agg) {
      requireColumns(p, []);
      agg = new RowAggregator(p, new Map());
    }
    return agg.result();
  }

  async record(keyColumn: string, key: string, fields: string[]): Promise<RecordValues | null> {
    let index: Map<string, number> | null = null;
    let found: RecordValues | null = null;
    for await (const batch of this.records()) {
      for (const row of batch) {
        if (!index) {
          const names = row.map((h) => h ?? "");
          requireRecordColumns(names, [keyColumn, ...fields]);
          index = new Map(names.map((n, i) => [n, i]));
          continue;
        }
        if ((row[index.get(keyColumn)!] ?? null) !== key) continue;
        if (found) throw ambiguous();
        found = Object.fromEntries(fields.map((f) => {
          const t = row[index!.get(f)!] ?? null;
          return [f, t === null ? null : csvNumber(t) ?? t];
        }));
      }
    }
    if (!index) requireRecordColumns([], [keyColumn, ...fields]);
    return found;
  }

  async *scan(columns: string[]): AsyncGenerator<ScannedValue[][]> {
    let at: number[] | null = null;
    for await (const batch of this.records()) {
      const out: ScannedValue[][] = [];
      for (const row of batch) {
        if (!at) {
          const names = row.map((h) => h ?? "");
          requireRecordColumns(names, columns);
          at = columns.map((c) => names.indexOf(c));
          continue;
        }
        out.push(at.map((i) => {
          const t = row[i] ?? null;
          return { num: csvNumber(t), text: t };
        }));
      }
      if (out.length) yield out;
    }
    if (!at) requireRecordColumns([], columns);
  }

  async close() {}
}

// ---------------------------------------------------------------------------------------
// SQL (SQLite and PostgreSQL): one parameterised statement per aggregate

export interface SqlColumn { name: string; type: ColumnType; /** PostgreSQL udt_name, or the SQLite declared type */ sqlType: string }

export interface Dialect {
  placeholder(index: number, value: number | string): string;
  quote(identifier: string): string;
  /** a column as a finite double or NULL */
  num(col: string, c: SqlColumn): string;
  /** a column as text or NULL */
  text(col: string): string;
  /** a text expression in code point order */
  binary(expr: string): string;
  /** ties-away rounding of a double x (|x| < 2^53) to a 64-bit integer */
  round(x: string): string;
  asText(expr: string): string;
  /** aggregate expressions over an integer per-row column r, and how to read them back */
  sum(r: string): { exprs: string[]; decode: (v: bigint[]) => bigint };
  sumsq(r: string): { exprs: string[]; decode: (v: bigint[]) => bigint };
  /** a barrier against subquery flattening, so per-row values are computed once */
  fence: string;
  /** the scalar smaller / larger of two numbers */
  least: string;
  greatest: string;
  /** a deterministic order of a table's rows within one person (alias t) */
  rowOrder: string;
}

export const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

const sqliteDialect: Dialect = {
  placeholder: (i) => `?${i}`,
  quote: quoteIdent,
  num: (c) => `(CASE WHEN typeof(${c}) = 'integer' THEN CAST(${c} AS REAL) WHEN typeof(${c}) = 'real' AND ${c} > -9e999 AND ${c} < 9e999 THEN ${c} END)`,
  text: (c) => `CAST(${c} AS TEXT)`,
  binary: (e) => `(${e} COLLATE BINARY)`,
  round: (x) => `(CAST(${x} AS INTEGER) + (CASE WHEN ${x} - CAST(${x} AS INTEGER) >= 0.5 THEN 1 WHEN ${x} - CAST(${x} AS INTEGER) <= -0.5 THEN -1 ELSE 0 END))`,
  asText: (e) => `CAST(${e} AS TEXT)`,
  // SQLite's SUM is a 64-bit integer that fails on overflow, so sums are split into limbs
  // that cannot overflow for fewer than 2^29 rows: r = hi·2^32 + lo (arithmetic shift),
  // and r² = Σ_k c_k·2^(16k) from the 16-bit limbs of |r| < 2^53.
  sum: (r) => ({
    exprs: [`COALESCE(SUM(${r} >> 32), 0)`, `COALESCE(SUM(${r} & 4294967295), 0)`],
    decode: ([hi, lo]) => (hi! << 32n) + lo!,
  }),
  sumsq: (r) => {
    const a = (k: number) => `((abs(${r}) >> ${16 * k}) & 65535)`;
    const exprs: string[] = [];
    for (let k = 0; k <= 6; k++) {
      const terms: string[] = [];
      for (let i = 0; i <= 3; i++) {
        const j = k - i;
        if (j < i || j > 3) continue;
        terms.push(i === j ? `${a(i)} * ${a(i)}` : `2 * ${a(i)} * ${a(j)}`);
      }
      exprs.push(`COALESCE(SUM(${terms.join(" + ")}), 0)`);
    }
    return { exprs, decode: (c) => c.reduce((acc, v, k) => acc + (v << BigInt(16 * k)), 0n) };
  },
  fence: " LIMIT -1",
  least: "min",
  greatest: "max",
  rowOrder: "t.rowid",
};

const PG_INT = new Set(["int2", "int4", "int8"]);
const PG_FLOAT = new Set(["float4", "float8"]);
const PG_NUMBER = new Set([...PG_INT, ...PG_FLOAT, "numeric"]);

const postgresDialect: Dialect = {
  placeholder: (i, v) => `$${i}::${typeof v === "number" ? "float8" : "text"}`,
  quote: quoteIdent,
  num: (c, col) => {
    if (PG_INT.has(col.sqlType)) return `(${c})::float8`;
    // real goes through its shortest text so 0.1::real reads as 0.1, as it prints
    if (PG_FLOAT.has(col.sqlType)) {
      const f = col.sqlType === "float4" ? `(${c})::text::float8` : `(${c})::float8`;
      return `(CASE WHEN abs(${f}) < 'Infinity'::float8 THEN ${f} END)`;
    }
    if (col.sqlType === "numeric") return `(CASE WHEN abs(${c}) <= 1.7976931348623157e308 THEN (${c})::float8 END)`;
    return "NULL::float8";
  },
  text: (c) => `(${c})::text`,
  binary: (e) => `(${e} COLLATE "C")`,
  round: (x) => `((trunc(${x}) + (CASE WHEN ${x} - trunc(${x}) >= 0.5 THEN 1 WHEN ${x} - trunc(${x}) <= -0.5 THEN -1 ELSE 0 END))::int8)`,
  asText: (e) => `(${e})::text`,
  sum: (r) => ({ exprs: [`COALESCE(sum(${r}), 0)`], decode: ([v]) => v! }),
  sumsq: (r) => ({ exprs: [`COALESCE(sum((${r})::numeric * (${r})::numeric), 0)`], decode: ([v]) => v! }),
  fence: " OFFSET 0",
  least: "LEAST",
  greatest: "GREATEST",
  rowOrder: "t::text",
};

export type SqlRow = (string | null)[];

export interface BuiltQuery {
  sql: string;
  params: (number | string)[];
  /** output columns are o0, o1, ... in this order, all text */
  width: number;
  decode: (rows: SqlRow[]) => LocalAggregate;
}

/**
 * Builds the statement. Every plan value (category strings, edges, filter values, range
 * bounds) is a bound parameter; identifiers come from the table's real column list and are
 * quoted; the only literals are integers the connector itself derives (slot indices,
 * group multipliers, 10^scale for a validated scale in 0..6).
 */
export function buildQuery(p: PreparedPlan, table: string, meta: Map<string, SqlColumn>, d: Dialect, options: AggregateOptions = {}): BuiltQuery {
  const params: (number | string)[] = [];
  const param = (v: number | string) => { params.push(v); return d.placeholder(params.length, v); };
  const k = (c: string) => p.columns.indexOf(c);
  const N = (c: string) => `r.n${k(c)}`;
  const T = (c: string) => `r.t${k(c)}`;

  // level 0: every referenced column as a number (clamped into its bounds, a missing one imputed) and as text
  const l0 = p.columns.map((c, i) => {
    const n = d.num(d.quote(c), meta.get(c)!);
    const b = p.clamps.find((x) => x.column === c);
    const clamped = b ? `${d.least}(${d.greatest}(COALESCE(${n}, ${param(b.impute)}), ${param(b.min)}), ${param(b.max)})` : n;
    return `${clamped} AS n${i}, ${d.text(d.quote(c))} AS t${i}`;
  });
  // Each person's first maxRows rows only (the privacy unit), before filters.
  const bound = options.perPerson;
  const from = bound
    ? `(SELECT * FROM (SELECT t.*, ROW_NUMBER() OVER (PARTITION BY t.${d.quote(bound.column)} ORDER BY ${d.rowOrder}) AS qc_person_rank FROM ${table} t) b WHERE b.qc_person_rank <= ${Math.floor(bound.maxRows)}) p`
    : table;

  // level 1: filters, group index, fixed-point inputs, histogram buckets, checks
  const where = p.plan.filters.map((f) => `(${filterSql(f, N(f.column), d.binary(T(f.column)), param)})`);
  const bucketTree = (n: string, edges: number[]) => {
    const ps = edges.map((e) => param(e));
    const node = (lo: number, hi: number): string => {
      if (hi - lo === 1) return String(lo);
      const mid = (lo + hi) >> 1;
      return `(CASE WHEN ${n} < ${ps[mid]} THEN ${node(lo, mid)} ELSE ${node(mid, hi)} END)`;
    };
    return `(CASE WHEN ${n} >= ${ps[0]} AND ${n} < ${ps[edges.length - 1]} THEN ${node(0, edges.length - 1)} END)`;
  };
  const sizes = p.plan.groupBy.map((g) => (g.kind === "category" ? g.values.length : g.edges.length - 1));
  // One key per dimension: a category's own text, kept to its declared values by an IN list (a
  // hash lookup in the engines, where a CASE over 1,024 values costs 1,024 comparisons a row),
  // a bucket's index. The group index is made from the keys when the rows come back.
  const keys = p.plan.groupBy.map((g) => {
    if (g.kind === "bucket") return bucketTree(N(g.name), g.edges);
    where.push(`${d.binary(T(g.name))} IN (${g.values.map(param).join(", ")})`);
    return T(g.name);
  });
  if (keys.length === 0) keys.push("0");
  const l1: string[] = keys.map((k, i) => `${k} AS k${i}`);  p.plan.stats.forEach((s, i) => {
    const n = N(s.column);
    if (s.kind === "hist") l1.push(`${bucketTree(n, s.edges)} AS h${i}`);
    else l1.push(`(CASE WHEN abs(${n}) < ${TWO_53} THEN ${n} * ${10 ** s.scale} END) AS x${i}`);
  });
  // level 2: contributing rows only; fixed-point values rounded once per row
  const l2: string[] = keys.map((_, i) => `s.k${i} AS k${i}`);
  p.plan.stats.forEach((s, i) => {
    if (s.kind === "hist") l2.push(`s.h${i} AS h${i}`);
    else l2.push(`(CASE WHEN abs(s.x${i}) < ${TWO_53} THEN ${d.round(`s.x${i}`)} END) AS x${i}`);
  });

  // level 3: per group
  const out: string[] = [...keys.map((_, i) => d.asText(`u.k${i}`)), d.asText("COUNT(*)")];
  const decoders: ((row: SqlRow, at: number, g: number, blocks: bigint[][]) => number)[] = [];
  p.plan.stats.forEach((s, i) => {
    if (s.kind === "hist") {
      const b = s.edges.length - 1;
      for (let j = 0; j < b; j++) out.push(d.asText(`COUNT(CASE WHEN u.h${i} = ${j} THEN 1 END)`));
      decoders.push((row, at, g, blocks) => {
        for (let j = 0; j < b; j++) blocks[i]![g * b + j] = BigInt(row[at + j]!);
        return at + b;
      });
    } else {
      const agg = s.kind === "sum" ? d.sum(`u.x${i}`) : d.sumsq(`u.x${i}`);
      out.push(...agg.exprs.map(d.asText));
      decoders.push((row, at, g, blocks) => {
        blocks[i]![g] = agg.decode(row.slice(at, at + agg.exprs.length).map((v) => BigInt(v ?? 0)));
        return at + agg.exprs.length;
      });
    }
  });

  const sql = `SELECT ${out.map((e, i) => `${e} AS o${i}`).join(", ")} FROM (`
    + `SELECT ${l2.join(", ")} FROM (`
    + `SELECT ${l1.join(", ")} FROM (SELECT ${l0.length ? l0.join(", ") : "1 AS one"} FROM ${from}${d.fence}) r`
    + `${where.length ? ` WHERE ${where.join(" AND ")}` : ""}${d.fence}) s WHERE ${keys.map((_, i) => `s.k${i} IS NOT NULL`).join(" AND ")}${d.fence}) u`
    + ` GROUP BY ${keys.map((_, i) => `u.k${i}`).join(", ")}`;

  // a category value's index: the first place it is declared (as the CASE it replaces chose)
  const indexOf = p.plan.groupBy.map((g) => {
    if (g.kind !== "category") return null;
    const m = new Map<string, number>();
    g.values.forEach((v, j) => { if (!m.has(v)) m.set(v, j); });
    return m;
  });
  const mults = sizes.map((_, i) => sizes.slice(i + 1).reduce((a, b) => a * b, 1));
  const decode = (rows: SqlRow[]): LocalAggregate => {
    const counts = new Array<bigint>(p.groups).fill(0n);
    const blocks = p.widths.slice(1).map((w) => new Array<bigint>(w).fill(0n));
    for (const row of rows) {
      let g = 0;
      for (let i = 0; i < indexOf.length; i++) {
        const j = indexOf[i] ? indexOf[i]!.get(row[i]!) : Number(row[i]);
        if (j === undefined) throw new Error("The engine returned a group outside the plan's declared values");
        g += j * mults[i]!;
      }
      counts[g] = BigInt(row[keys.length]!);
      let at = keys.length + 1;
      for (const dec of decoders) at = dec(row, at, g, blocks);
    }
    return { counts, blocks };
  };
  return { sql, params, width: out.length, decode };
}

function filterSql(f: FilterSpec, n: string, t: string, param: (v: number | string) => string): string {
  const v = f.value;
  const ops = { eq: "=", neq: "<>", lt: "<", lte: "<=", gt: ">", gte: ">=" } as const;
  if (f.op === "in") {
    const list = v as (string | number)[];
    const nums = list.filter((x) => typeof x === "number"), strs = list.filter((x) => typeof x === "string");
    const parts: string[] = [];
    if (nums.length) parts.push(`${n} IN (${nums.map(param).join(", ")})`);
    if (strs.length) parts.push(`${t} IN (${strs.map(param).join(", ")})`);
    return parts.length ? parts.join(" OR ") : "FALSE";
  }
  if (f.op === "between") {
    const [lo, hi] = v as [number | string, number | string];
    return `${typeof lo === "number" ? n : t} BETWEEN ${param(lo)} AND ${param(hi)}`;
  }
  return `${typeof v === "number" ? n : t} ${ops[f.op]} ${param(v as number | string)}`;
}

/** Row values from either driver as strings (every output column is text already). */
export const asStrings = (values: unknown[]): SqlRow => values.map((v) => (v === null || v === undefined ? null : String(v)));

// ---------------------------------------------------------------------------------------
// SQLite (sql.js)

let sqlJs: Promise<SqlJsStatic> | null = null;
const loadSqlJs = () => (sqlJs ??= initSqlJs());

function sqliteType(declared: string): ColumnType {
  // SQLite's affinity rules (https://www.sqlite.org/datatype3.html, 3.1)
  const t = declared.toUpperCase();
  if (t.includes("INT")) return "number";
  if (t.includes("CHAR") || t.includes("CLOB") || t.includes("TEXT") || t.includes("BLOB") || t === "") return "string";
  return "number";
}

/**
 * sql.js keeps the database in memory: the file is read whole for each call and the
 * database freed afterwards, so the node always sees the holder's current file.
 */
export class SqliteConnector implements Connector {
  constructor(readonly path: string, readonly table: string) {}

  fingerprint() { return fileStamp(this.path, `${this.path}-wal`); }

  private async withDb<T>(fn: (db: Database, table: string, cols: SqlColumn[]) => T): Promise<T> {
    let db: Database;
    try {
      const [SQL, bytes] = await Promise.all([loadSqlJs(), readFile(this.path)]);
      db = new SQL.Database(bytes);
    } catch (e) {
      sourceError("SQLite", e);
    }
    try {
      const found = db.exec("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name = ?1 COLLATE NOCASE", [this.table]);
      const name = found[0]?.values[0]?.[0];
      if (typeof name !== "string") throw new AggregateError("SOURCE_ERROR", "The SQLite source has no such table");
      const info = db.exec("SELECT name, type FROM pragma_table_info(?1)", [name]);
      const cols = (info[0]?.values ?? []).map(([n, t]) => ({ name: String(n), sqlType: String(t ?? ""), type: sqliteType(String(t ?? "")) }));
      return fn(db, quoteIdent(name), cols);
    } catch (e) {
      sourceError("SQLite", e);
    } finally {
      db.close();
    }
  }

  /** Column types from the declared types (SQLite's affinity rules). */
  columns(): Promise<ColumnInfo[]> {
    return this.withDb((_db, _t, cols) => cols.map(({ name, type }) => ({ name, type })));
  }

  async aggregate(plan: AggregatePlan, options: AggregateOptions = {}): Promise<LocalAggregate> {
    const p = preparePlan(plan);
    const built = await this.withDb((db, table, cols) => {
      requireColumns(p, cols.map((c) => c.name));
      if (options.perPerson) requireRecordColumns(cols.map((c) => c.name), [options.perPerson.column]);
      const q = buildQuery(p, table, new Map(cols.map((c) => [c.name, c])), sqliteDialect, options);
      const stmt = db.prepare(q.sql);
      try {
        stmt.bind(q.params);
        const rows: SqlRow[] = [];
        while (stmt.step()) rows.push(asStrings(stmt.get()));
        return { q, rows };
      } finally {
        stmt.free();
      }
    });
    return built.q.decode(built.rows);
  }

  record(keyColumn: string, key: string, fields: string[]): Promise<RecordValues | null> {
    return this.withDb((db, table, cols) => {
      requireRecordColumns(cols.map((c) => c.name), [keyColumn, ...fields]);
      const stmt = db.prepare(`SELECT ${fields.map(quoteIdent).join(", ")} FROM ${table} WHERE CAST(${quoteIdent(keyColumn)} AS TEXT) = ?1 LIMIT 2`);
      try {
        stmt.bind([key]);
        const rows: RecordValues[] = [];
        while (stmt.step()) {
          const v = stmt.get();
          rows.push(Object.fromEntries(fields.map((f, i) => [f, v[i] === null || v[i] === undefined ? null : typeof v[i] === "number" ? v[i] as number : String(v[i])])));
        }
        if (rows.length > 1) throw ambiguous();
        return rows[0] ?? null;
      } finally {
        stmt.free();
      }
    });
  }

  async *scan(columns: string[]): AsyncGenerator<ScannedValue[][]> {
    const rows = await this.withDb((db, table, cols) => {
      requireRecordColumns(cols.map((c) => c.name), columns);
      const meta = new Map(cols.map((c) => [c.name, c]));
      const select = columns.map((c) => `${sqliteDialect.num(quoteIdent(c), meta.get(c)!)}, ${sqliteDialect.text(quoteIdent(c))}`).join(", ");
      const stmt = db.prepare(`SELECT ${select} FROM ${table} ORDER BY rowid`);
      try {
        const out: ScannedValue[][] = [];
        while (stmt.step()) {
          const v = stmt.get();
          out.push(columns.map((_, i) => ({ num: typeof v[2 * i] === "number" ? v[2 * i] as number : null, text: v[2 * i + 1] == null ? null : String(v[2 * i + 1]) })));
        }
        return out;
      } finally {
        stmt.free();
      }
    });
    for (let i = 0; i < rows.length; i += 4096) yield rows.slice(i, i + 4096);
  }

  async close() {}
}

// ---------------------------------------------------------------------------------------
// PostgreSQL

/** What the connector needs of a PostgreSQL client: pg.Pool, pg.Client and PGlite all fit. */
export interface PgQueryable {
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

export class PostgresConnector implements Connector {
  private closed = false;
  /**
   * table: "name" (in the session's current schema) or "schema.name".
   * db: any client; onClose releases it (the pool made by createConnector).
   */
  constructor(readonly table: string, private readonly db: PgQueryable, private readonly onClose?: () => Promise<void>) {}

  private async describe(): Promise<{ from: string; cols: SqlColumn[] }> {
    const dot = this.table.indexOf(".");
    const schema = dot >= 0 ? this.table.slice(0, dot) : null;
    const name = dot >= 0 ? this.table.slice(dot + 1) : this.table;
    let rows: Record<string, unknown>[];
    try {
      ({ rows } = await this.db.query(
        `SELECT table_schema::text AS s, column_name::text AS c, udt_name::text AS u FROM information_schema.columns
         WHERE table_schema = COALESCE($1::text, current_schema()) AND table_name = $2::text ORDER BY ordinal_position`,
        [schema, name],
      ));
    } catch (e) {
      sourceError("PostgreSQL", e);
    }
    if (rows.length === 0) throw new AggregateError("SOURCE_ERROR", "The PostgreSQL source has no such table (or no visible column)");
    const cols = rows.map((r) => ({ name: String(r.c), sqlType: String(r.u), type: PG_NUMBER.has(String(r.u)) ? "number" as const : "string" as const }));
    return { from: `${quoteIdent(String(rows[0]!.s))}.${quoteIdent(name)}`, cols };
  }

  async columns(): Promise<ColumnInfo[]> {
    return (await this.describe()).cols.map(({ name, type }) => ({ name, type }));
  }

  async aggregate(plan: AggregatePlan, options: AggregateOptions = {}): Promise<LocalAggregate> {
    const p = preparePlan(plan);
    const { from, cols } = await this.describe();
    requireColumns(p, cols.map((c) => c.name));
    if (options.perPerson) requireRecordColumns(cols.map((c) => c.name), [options.perPerson.column]);
    const q = buildQuery(p, from, new Map(cols.map((c) => [c.name, c])), postgresDialect, options);
    let rows: Record<string, unknown>[];
    try {
      ({ rows } = await this.db.query(q.sql, q.params));
    } catch (e) {
      sourceError("PostgreSQL", e);
    }
    return q.decode(rows.map((r) => asStrings(Array.from({ length: q.width }, (_, i) => r[`o${i}`]))));
  }

  async record(keyColumn: string, key: string, fields: string[]): Promise<RecordValues | null> {
    const { from, cols } = await this.describe();
    requireRecordColumns(cols.map((c) => c.name), [keyColumn, ...fields]);
    const types = new Map(cols.map((c) => [c.name, c.type]));
    let rows: Record<string, unknown>[];
    try {
      ({ rows } = await this.db.query(`SELECT ${fields.map((f, i) => `${quoteIdent(f)}::text AS "f${i}"`).join(", ")} FROM ${from} WHERE ${quoteIdent(keyColumn)}::text = $1 LIMIT 2`, [key]));
    } catch (e) {
      sourceError("PostgreSQL", e);
    }
    if (rows.length > 1) throw ambiguous();
    const r = rows[0];
    if (!r) return null;
    return Object.fromEntries(fields.map((f, i) => {
      const v = r[`f${i}`];
      return [f, v === null || v === undefined ? null : types.get(f) === "number" ? Number(v) : String(v)];
    }));
  }

  async *scan(columns: string[]): AsyncGenerator<ScannedValue[][]> {
    const { from, cols } = await this.describe();
    requireRecordColumns(cols.map((c) => c.name), columns);
    const meta = new Map(cols.map((c) => [c.name, c]));
    const select = columns.map((c, i) => `${postgresDialect.num(quoteIdent(c), meta.get(c)!)} AS "n${i}", ${postgresDialect.text(quoteIdent(c))} AS "t${i}"`).join(", ");
    const order = columns.map((c) => `${postgresDialect.text(quoteIdent(c))} COLLATE "C" NULLS FIRST`).join(", ");
    // Streamed through a cursor in one read-only snapshot, a batch at a time: the table is never
    // held in memory. A pool lends one connection for it (a cursor lives in its connection).
    const pool = this.db as PgQueryable & { connect?: () => Promise<PgQueryable & { release(): void }>; totalCount?: number };
    const lent = typeof pool.connect === "function" && typeof pool.totalCount === "number" ? await pool.connect().catch((e: unknown) => sourceError("PostgreSQL", e)) : null;
    const db: PgQueryable = lent ?? this.db;
    const toValues = (rows: Record<string, unknown>[]) => rows.map((r) => columns.map((_, i) => {
      const n = r[`n${i}`], t = r[`t${i}`];
      return { num: n === null || n === undefined ? null : Number(n), text: t === null || t === undefined ? null : String(t) };
    }));
    let open = false;
    try {
      try {
        await db.query("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
        open = true;
        await db.query(`DECLARE qc_scan NO SCROLL CURSOR FOR SELECT ${select} FROM ${from} ORDER BY ${order}`);
      } catch (e) {
        sourceError("PostgreSQL", e);
      }
      for (;;) {
        let rows: Record<string, unknown>[] = [];
        try {
          ({ rows } = await db.query("FETCH FORWARD 8192 FROM qc_scan"));
        } catch (e) {
          sourceError("PostgreSQL", e);
        }
        if (rows.length === 0) break;
        yield toValues(rows);
      }
    } finally {
      if (open) await db.query("ROLLBACK").catch(() => { /* the connection is gone: nothing to end */ });
      lent?.release();
    }
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    await this.onClose?.();
  }
}

// ---------------------------------------------------------------------------------------

/** The connector for a dataset's configuration (validated here). */
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

export function createConnector(config: ConnectorConfig): Connector {
  const c = connectorConfig.parse(config);
  switch (c.kind) {
    case "csv": return new CsvConnector(c.path);
    case "sqlite": return new SqliteConnector(c.path, c.table);
    case "parquet": return new DuckDBConnector({ parquet: c.path });
    case "duckdb": return new DuckDBConnector({ database: c.path, table: c.table });
    case "postgres": {
      const pool = new pg.Pool({ connectionString: c.url, max: 1, application_name: "computation-node" });
      pool.on("error", () => { /* an idle client dropped: the next query reconnects */ });
      return new PostgresConnector(c.table, { query: (text, params) => pool.query(text, params) }, () => pool.end());
    }
  }
}
