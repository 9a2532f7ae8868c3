/** The SQL connectors' shared part (SQLite, PostgreSQL, DuckDB): dialects and the one parameterised aggregate statement. */
import type { FilterSpec } from "@/core/protocol";
import { TWO_53, type AggregateOptions, type ColumnType, type LocalAggregate, type PreparedPlan } from "./semantics";

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

export const sqliteDialect: Dialect = {
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
export const PG_NUMBER = new Set([...PG_INT, ...PG_FLOAT, "numeric"]);

export const postgresDialect: Dialect = {
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
