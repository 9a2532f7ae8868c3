/**
 * The plaintext baselines: the same aggregate as one SQL GROUP BY over all rows in one
 * PostgreSQL table, and in one DuckDB table (the columnar engine a node uses for Parquet). A throwaway PostgreSQL server on 127.0.0.1 when the server binaries
 * are installed (as tests/setup/postgres.ts starts one; run as the postgres user when
 * root), otherwise embedded PGlite (said so in the output).
 */
import { readFileSync } from "node:fs";
import pg from "pg";
import { findPostgresBin, startThrowawayPostgres } from "../../scripts/lib/postgres-server";
import { onCleanup } from "../lib/cleanup";
import type { DataSet, Grouping } from "./data";

export interface SqlBaseline {
  /** what ran the SQL, for the report */
  engine: string;
  settings: string;
  query<T>(sql: string): Promise<T[]>;
  /** append a CSV file (with a header line) to a table */
  copyCsv(table: string, file: string): Promise<void>;
}

async function startPostgres(bin: string): Promise<SqlBaseline> {
  const server = await startThrowawayPostgres(bin, { prefix: "bench-pg-" });
  onCleanup("stop PostgreSQL and remove its folder", () => server.stop());
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  onCleanup("close the PostgreSQL connection", () => client.end());
  const version = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
  const set = (await client.query<{ name: string; setting: string }>(
    "SELECT name, setting FROM pg_settings WHERE name IN ('jit', 'max_parallel_workers_per_gather', 'shared_buffers', 'work_mem') ORDER BY name")).rows;
  return {
    engine: `PostgreSQL ${version} server (throwaway, 127.0.0.1, fsync=off, otherwise default settings)`,
    settings: set.map((s) => `${s.name}=${s.setting}`).join(", "),
    query: async <T,>(sql: string) => (await client.query(sql)).rows as T[],
    // The server (user postgres) reads the file itself: the data folder is world-readable.
    copyCsv: async (table, file) => { await client.query(`COPY ${table} FROM '${file.replace(/'/g, "''")}' WITH (FORMAT csv, HEADER true)`); },
  };
}

async function startPglite(why: string): Promise<SqlBaseline> {
  const { PGlite } = await import("@electric-sql/pglite");
  const db = await PGlite.create();
  onCleanup("close PGlite", () => db.close());
  return {
    engine: `PGlite (PostgreSQL in WASM, in memory): ${why}`,
    settings: "defaults",
    query: async <T,>(sql: string) => (await db.query<T>(sql)).rows,
    copyCsv: async (table, file) => { await db.query(`COPY ${table} FROM '/dev/blob' WITH (FORMAT csv, HEADER true)`, [], { blob: new Blob([readFileSync(file)]) }); },
  };
}

export type Numeric = "numeric" | "float8";

/** Start the engine and load every row count of the data set into tables t_<rows> (numeric(7,2)) and f_<rows> (float8). */
export async function loadBaseline(data: DataSet, opts: { forcePglite?: boolean } = {}): Promise<SqlBaseline> {
  const bin = opts.forcePglite ? null : findPostgresBin();
  const sql = bin ? await startPostgres(bin)
    : await startPglite(opts.forcePglite ? "--pglite was given" : "no PostgreSQL server binaries in /usr/lib/postgresql");
  const n = Math.min(...data.nodeCounts);
  for (const rows of data.rowCounts) {
    await sql.query(`CREATE TABLE t_${rows} (g64 text NOT NULL, g1024 text NOT NULL, v numeric(7,2) NOT NULL)`);
    for (let i = 0; i < n; i++) {
      await sql.copyCsv(`t_${rows}`, data.file(rows, n, i));
    }
    await sql.query(`CREATE TABLE f_${rows} AS SELECT g64, g1024, v::float8 AS v FROM t_${rows}`);
    await sql.query(`VACUUM ANALYZE t_${rows}`);
    await sql.query(`VACUUM ANALYZE f_${rows}`);
  }
  return sql;
}

export function baselineSql(rows: number, grouping: Grouping, type: Numeric): string {
  const table = `${type === "numeric" ? "t" : "f"}_${rows}`;
  return grouping === "none"
    ? `SELECT '' AS g, count(*)::int8 AS n, sum(v)::text AS s, avg(v)::float8 AS a FROM ${table}`
    : `SELECT ${grouping} AS g, count(*)::int8 AS n, sum(v)::text AS s, avg(v)::float8 AS a FROM ${table} GROUP BY ${grouping}`;
}

export type BaselineRow = { g: string; n: string; s: string; a: number };

/** The same rows in DuckDB (in memory, its bundled engine): tables t_<rows> (DECIMAL(7,2)) and f_<rows> (DOUBLE). */
export async function loadDuckdbBaseline(data: DataSet): Promise<Pick<SqlBaseline, "engine" | "query">> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  onCleanup("close DuckDB", () => { con.closeSync(); db.closeSync(); });
  const version = String((await con.runAndReadAll("SELECT version() AS v")).getRowObjects()[0]!.v);
  const n = Math.min(...data.nodeCounts);
  const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
  for (const rows of data.rowCounts) {
    const files = Array.from({ length: n }, (_, i) => lit(data.file(rows, n, i))).join(", ");
    await con.run(`CREATE TABLE t_${rows} AS SELECT g64, g1024, CAST(v AS DECIMAL(7,2)) AS v FROM read_csv([${files}], header = true, columns = {'g64': 'VARCHAR', 'g1024': 'VARCHAR', 'v': 'VARCHAR'})`);
    await con.run(`CREATE TABLE f_${rows} AS SELECT g64, g1024, CAST(v AS DOUBLE) AS v FROM t_${rows}`);
  }
  return {
    engine: `DuckDB ${version} (in memory, this process, default settings)`,
    query: async <T,>(sql: string) => (await con.runAndReadAll(sql)).getRowObjects() as T[],
  };
}

/** The baseline query in DuckDB's dialect (same output columns as baselineSql). */
export function duckdbSql(rows: number, grouping: Grouping, type: Numeric): string {
  const table = `${type === "numeric" ? "t" : "f"}_${rows}`;
  const cols = "CAST(count(*) AS VARCHAR) AS n, CAST(sum(v) AS VARCHAR) AS s, CAST(avg(v) AS DOUBLE) AS a";
  return grouping === "none" ? `SELECT '' AS g, ${cols} FROM ${table}` : `SELECT ${grouping} AS g, ${cols} FROM ${table} GROUP BY ${grouping}`;
}
