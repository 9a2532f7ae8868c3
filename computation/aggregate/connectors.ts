/**
 * Connectors to a holder's own data, one file per kind of store, that compute an
 * AggregatePlan's per-group vector INSIDE the holder's domain and never return rows:
 * csv-connector.ts (CSV), sqlite.ts, postgres.ts, duckdb.ts (Parquet and DuckDB files).
 * What they share — the interface, the prepared plan and the one meaning of a value every
 * store computes identically — is in semantics.ts; the SQL statement they push down, in sql.ts.
 */
import pg from "pg";
import { z } from "zod";
import { CsvConnector } from "./csv-connector";
import { DuckDBConnector } from "./duckdb";
import type { Connector } from "./semantics";
import { PostgresConnector } from "./postgres";
import { SqliteConnector } from "./sqlite";

export * from "./semantics";
export * from "./sql";
export { CsvConnector } from "./csv-connector";
export { SqliteConnector } from "./sqlite";
export { PostgresConnector, type PgQueryable } from "./postgres";

export const connectorConfig = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("csv"), path: z.string().min(1) }),
  z.object({ kind: z.literal("sqlite"), path: z.string().min(1), table: z.string().min(1) }),
  z.object({ kind: z.literal("postgres"), url: z.string().min(1), table: z.string().min(1) }),
  /** a Parquet file, or a table in a DuckDB database file, aggregated by DuckDB (computation/aggregate/duckdb.ts) */
  z.object({ kind: z.literal("parquet"), path: z.string().min(1) }),
  z.object({ kind: z.literal("duckdb"), path: z.string().min(1), table: z.string().min(1) }),
]);
export type ConnectorConfig = z.infer<typeof connectorConfig>;

/** The connector for a dataset's configuration (validated here). */
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
