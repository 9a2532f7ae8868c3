/** CSV files: parsed by our RFC 4180 parser, aggregated by DuckDB over an in-memory mirror, or row by row here where DuckDB cannot load. */
import { createReadStream } from "node:fs";
import type { AggregatePlan, DimensionSpec, FilterSpec } from "@/core/protocol";
import { csvRecords, type CsvField } from "./csv";
import { csvMirror, duckdbLoads, mirrorDialect } from "./duckdb";
import { asStrings, buildQuery } from "./sql";
import { AggregateError, ambiguous, compareCodePoints, csvNumber, preparePlan, requireColumns, requireRecordColumns, sourceError, TWO_53, fileStamp, type AggregateOptions, type ColumnInfo, type Clamp, type Connector, type LocalAggregate, type PreparedPlan, type RecordValues, type ScannedValue } from "./semantics";

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
