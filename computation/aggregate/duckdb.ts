/**
 * The columnar connector: a Parquet file, or a table in a DuckDB database file, aggregated by
 * DuckDB (`@duckdb/node-api`, its bundled binary; Parquet is built in, nothing is downloaded at
 * run time). The plan becomes the same single parameterised GROUP BY the SQL connectors run
 * (connectors.ts buildQuery), in DuckDB's dialect, with the same meaning (connectors.ts):
 * numbers are a numeric column's values as doubles, text is CAST(v AS VARCHAR), strings compare
 * by code point, bounds clamp, a person's first rows in file order count. Rows never leave DuckDB.
 *
 * A database file is opened read-only for each connector; Parquet is read through one warm
 * in-memory DuckDB per process. Connections are the connector's and closed with it.
 */
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import {
  AggregateError, ambiguous, csvNumber, fileStamp, preparePlan, requireColumns, requireRecordColumns, sourceError,
  type AggregateOptions, type ColumnInfo, type Connector, type LocalAggregate, type RecordValues, type ScannedValue,
} from "./semantics";
import { asStrings, buildQuery, quoteIdent, type Dialect, type SqlColumn } from "./sql";
import type { AggregatePlan } from "@/core/protocol";

const INTEGER = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/;
const FLOAT = /^(FLOAT|REAL|FLOAT4)$/;
const DOUBLE = /^(DOUBLE|FLOAT8)$/;
const DECIMAL = /^DECIMAL\(\d+,\d+\)$/;

const duckdbDialect: Dialect = {
  placeholder: (i, v) => `CAST($${i} AS ${typeof v === "number" ? "DOUBLE" : "VARCHAR"})`,
  quote: (s) => quoteIdent(s), // late-bound: connectors.ts and this module import each other
  num: (c, col) => {
    if (INTEGER.test(col.sqlType) || DECIMAL.test(col.sqlType)) return `CAST(${c} AS DOUBLE)`;
    // FLOAT goes through its shortest text so 0.1::FLOAT reads as 0.1, as it prints (as in PostgreSQL)
    const f = FLOAT.test(col.sqlType) ? `CAST(CAST(${c} AS VARCHAR) AS DOUBLE)` : DOUBLE.test(col.sqlType) ? `CAST(${c} AS DOUBLE)` : null;
    return f ? `(CASE WHEN isfinite(${f}) THEN ${f} END)` : "CAST(NULL AS DOUBLE)";
  },
  text: (c) => `CAST(${c} AS VARCHAR)`,
  binary: (e) => `(${e})`, // DuckDB compares VARCHAR by UTF-8 bytes (= code points) unless told otherwise
  round: (x) => `CAST(trunc(${x}) + (CASE WHEN ${x} - trunc(${x}) >= 0.5 THEN 1 WHEN ${x} - trunc(${x}) <= -0.5 THEN -1 ELSE 0 END) AS BIGINT)`,
  asText: (e) => `CAST(${e} AS VARCHAR)`,
  sum: (r) => ({ exprs: [`COALESCE(sum(CAST(${r} AS HUGEINT)), 0)`], decode: ([v]) => v! }),
  sumsq: (r) => ({ exprs: [`COALESCE(sum(CAST(${r} AS HUGEINT) * CAST(${r} AS HUGEINT)), 0)`], decode: ([v]) => v! }),
  fence: "",
  least: "LEAST",
  greatest: "GREATEST",
  // the file's own row order (Parquet row number, a table's rowid), exposed as qc_row by rowSource()
  rowOrder: "t.qc_row",
};

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * Parquet is read by one in-memory DuckDB per process, kept warm across queries (opening one
 * costs tens of milliseconds; read_parquet reads the file afresh each query). A database file is
 * opened read-only per connector, so a holder's updates to it are always seen.
 */
let parquetReader: Promise<DuckDBInstance> | null = null;
const duckdb = () => import("@duckdb/node-api").then((m) => m.DuckDBInstance);
/** Whether DuckDB's bundled binary loads on this platform. */
export const duckdbLoads = () => duckdb().then(() => true, () => false);

export class DuckDBConnector implements Connector {
  private opened: Promise<{ con: DuckDBConnection; own: DuckDBInstance | null }> | null = null;

  constructor(private readonly source: { parquet: string } | { database: string; table: string }) {}

  fingerprint() {
    // a DuckDB database keeps recent writes in its .wal file
    return "parquet" in this.source ? fileStamp(this.source.parquet) : fileStamp(this.source.database, `${this.source.database}.wal`);
  }

  private open() {
    this.opened ??= (async () => {
      if ("parquet" in this.source) {
        parquetReader ??= duckdb().then((D) => D.create(":memory:"));
        parquetReader.catch(() => { parquetReader = null; });
        return { con: await (await parquetReader).connect(), own: null };
      }
      const own = await (await duckdb()).create(this.source.database, { access_mode: "READ_ONLY" });
      return { con: await own.connect(), own };
    })();
    return this.opened;
  }

  /** The source as a table expression, and its columns with DuckDB's types. */
  private async describe(): Promise<{ con: DuckDBConnection; from: string; cols: SqlColumn[] }> {
    try {
      const { con } = await this.open();
      const from = "parquet" in this.source ? `read_parquet(${literal(this.source.parquet)})` : quoteIdent(this.source.table);
      const described = (await con.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRowObjects();
      const cols = described.map((r) => {
        const sqlType = String(r.column_type);
        const numeric = INTEGER.test(sqlType) || DECIMAL.test(sqlType) || FLOAT.test(sqlType) || DOUBLE.test(sqlType);
        return { name: String(r.column_name), sqlType, type: numeric ? "number" as const : "string" as const };
      });
      return { con, from, cols };
    } catch (e) {
      sourceError("parquet" in this.source ? "Parquet" : "DuckDB", e);
    }
  }

  /** The source with its own row order as a column (qc_row): which rows of a person count follows the file, as in CSV. */
  private rowSource() {
    return "parquet" in this.source
      ? `(SELECT * EXCLUDE (file_row_number), file_row_number AS qc_row FROM read_parquet(${literal(this.source.parquet)}, file_row_number = true))`
      : `(SELECT *, rowid AS qc_row FROM ${quoteIdent(this.source.table)})`;
  }

  async columns(): Promise<ColumnInfo[]> {
    return (await this.describe()).cols.map(({ name, type }) => ({ name, type }));
  }

  async aggregate(plan: AggregatePlan, options: AggregateOptions = {}): Promise<LocalAggregate> {
    const p = preparePlan(plan);
    const { con, from, cols } = await this.describe();
    requireColumns(p, cols.map((c) => c.name));
    if (options.perPerson) requireRecordColumns(cols.map((c) => c.name), [options.perPerson.column]);
    const q = buildQuery(p, options.perPerson ? this.rowSource() : from, new Map(cols.map((c) => [c.name, c])), duckdbDialect, options);
    try {
      const rows = (await con.runAndReadAll(q.sql, q.params)).getRows();
      return q.decode(rows.map((r) => asStrings(r as unknown[])));
    } catch (e) {
      if (e instanceof AggregateError) throw e;
      sourceError("DuckDB", e);
    }
  }

  async record(keyColumn: string, key: string, fields: string[]): Promise<RecordValues | null> {
    const { con, from, cols } = await this.describe();
    requireRecordColumns(cols.map((c) => c.name), [keyColumn, ...fields]);
    const types = new Map(cols.map((c) => [c.name, c.type]));
    let rows: unknown[][];
    try {
      rows = (await con.runAndReadAll(`SELECT ${fields.map((f) => `CAST(${quoteIdent(f)} AS VARCHAR)`).join(", ")} FROM ${from} WHERE CAST(${quoteIdent(keyColumn)} AS VARCHAR) = $1 LIMIT 2`, [key])).getRows();
    } catch (e) {
      sourceError("DuckDB", e);
    }
    if (rows.length > 1) throw ambiguous();
    const r = rows[0];
    if (!r) return null;
    return Object.fromEntries(fields.map((f, i) => {
      const v = r[i];
      return [f, v === null || v === undefined ? null : types.get(f) === "number" ? Number(v) : String(v)];
    }));
  }

  /** Every row's values in the file's own order (Parquet row number; a table's rowid), in batches. */
  async *scan(columns: string[]): AsyncGenerator<ScannedValue[][]> {
    const { con, cols } = await this.describe();
    requireRecordColumns(cols.map((c) => c.name), columns);
    const meta = new Map(cols.map((c) => [c.name, c]));
    const select = columns.map((c) => `${duckdbDialect.num(quoteIdent(c), meta.get(c)!)}, ${duckdbDialect.text(quoteIdent(c))}`).join(", ");
    const [from, order] = "parquet" in this.source
      ? [`read_parquet(${literal(this.source.parquet)}, file_row_number = true)`, "file_row_number"]
      : [quoteIdent(this.source.table), "rowid"];
    // Streamed chunk by chunk (DuckDB's vectors of 2,048 rows), never the whole result at once.
    let result: Awaited<ReturnType<DuckDBConnection["stream"]>>;
    try {
      result = await con.stream(`SELECT ${select} FROM ${from} ORDER BY ${order}`);
    } catch (e) {
      sourceError("DuckDB", e);
    }
    const value = (v: unknown) => (v === null || v === undefined ? null : v);
    try {
      for await (const rows of result.yieldRows()) {
        yield rows.map((r) => columns.map((_, i) => {
          const n = value(r[2 * i]), t = value(r[2 * i + 1]);
          return { num: n === null ? null : Number(n), text: t === null ? null : String(t) };
        }));
      }
    } catch (e) {
      sourceError("DuckDB", e);
    }
  }

  async close() {
    const opened = await this.opened?.catch(() => null);
    this.opened = null;
    opened?.con.closeSync();
    opened?.own?.closeSync();
  }
}

// ---------------------------------------------------------------------------------------
// CSV files, aggregated by DuckDB over a mirror read by our own parser

/**
 * A CSV file's rows, parsed by the CSV connector's own parser (csv.ts) and loaded into the
 * warm in-memory DuckDB once per version of the file (its fingerprint): each column as its text
 * (`cK`, VARCHAR) and as the CSV connector reads it as a number (`cK_n`, DOUBLE: csvNumber), and
 * the file's row number. Every value therefore means exactly what it means to the CSV
 * connector, and the aggregate runs in DuckDB. The rows stay in the node process's memory; the
 * least recently used mirrors are dropped beyond MIRROR_ROWS rows in all.
 */
interface CsvMirror { stamp: string; table: string; names: string[]; rows: number; used: number }
const mirrors = new Map<string, Promise<CsvMirror>>();
const MIRROR_ROWS = 20_000_000;
let mirrorSeq = 0;

export async function csvMirror(file: string, stamp: string, records: () => AsyncIterable<(string | null)[][]>): Promise<{ con: DuckDBConnection; mirror: CsvMirror }> {
  parquetReader ??= duckdb().then((D) => D.create(":memory:"));
  const db = await parquetReader;
  const con = await db.connect();
  const pending = mirrors.get(file);
  const current = await pending?.catch(() => null);
  if (current && current.stamp === stamp) {
    current.used = Date.now();
    return { con, mirror: current };
  }
  if (mirrors.get(file) !== pending) {
    // Another caller began loading this file while we waited: use its load, never a second copy.
    con.closeSync();
    return csvMirror(file, stamp, records);
  }
  const loading = (async () => {
    const table = `qc_csv_${++mirrorSeq}`;
    const load = await db.connect();
    try {
      let names: string[] | null = null;
      let appender: Awaited<ReturnType<DuckDBConnection["createAppender"]>> | null = null;
      let rows = 0;
      for await (const batch of records()) {
        for (const row of batch) {
          if (!names) {
            names = row.map((h) => h ?? "");
            await load.run(`CREATE TABLE ${table} (qc_row BIGINT, ${names.map((_, i) => `c${i} VARCHAR, c${i}_n DOUBLE`).join(", ")})`);
            appender = await load.createAppender(table);
            continue;
          }
          if (row.length !== names.length) throw new AggregateError("SOURCE_ERROR", `CSV record ${rows + 2} has ${row.length} fields; the header has ${names.length}`);
          appender!.appendBigInt(BigInt(rows++));
          for (const t of row) {
            if (t === null) { appender!.appendNull(); appender!.appendNull(); continue; }
            appender!.appendVarchar(t);
            const n = csvNumber(t);
            if (n === null) appender!.appendNull(); else appender!.appendDouble(n);
          }
          appender!.endRow();
        }
      }
      appender?.closeSync();
      // An empty file has no columns: every plan then names an unknown column, as in the CSV connector.
      if (!names) await load.run(`CREATE TABLE ${table} (qc_row BIGINT)`);
      return { stamp, table, names: names ?? [], rows, used: Date.now() };
    } catch (e) {
      await load.run(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
      throw e;
    } finally {
      load.closeSync();
    }
  })();
  mirrors.set(file, loading);
  try {
    const mirror = await loading;
    if (current) await con.run(`DROP TABLE IF EXISTS ${current.table}`);
    // drop the least recently used mirrors beyond the row budget
    const all = (await Promise.all([...mirrors.entries()].map(async ([f, m]) => [f, await m.catch(() => null)] as const))).filter((x): x is [string, CsvMirror] => !!x[1]);
    let total = all.reduce((a, [, m]) => a + m.rows, 0);
    for (const [f, m] of all.sort((a, b) => a[1].used - b[1].used)) {
      if (total <= MIRROR_ROWS || m === mirror) continue;
      mirrors.delete(f);
      await con.run(`DROP TABLE IF EXISTS ${m.table}`);
      total -= m.rows;
    }
    return { con, mirror };
  } catch (e) {
    mirrors.delete(file);
    con.closeSync();
    throw e;
  }
}

/** The dialect over a mirror: a column's identifier is its position, its text that column, its number the _n beside it. */
export const mirrorDialect = (names: string[]): Dialect => ({
  ...duckdbDialect,
  quote: (c) => `c${names.indexOf(c)}`,
  num: (c) => `${c}_n`,
  text: (c) => c,
});
