/** SQLite files (sql.js, in memory per call). */
import { readFile } from "node:fs/promises";
import initSqlJs, { type Database, type SqlJsStatic } from "sql.js";
import type { AggregatePlan } from "@/core/protocol";
import { AggregateError, ambiguous, preparePlan, requireColumns, requireRecordColumns, sourceError, fileStamp, type AggregateOptions, type ColumnInfo, type ColumnType, type Connector, type LocalAggregate, type RecordValues, type ScannedValue } from "./semantics";
import { asStrings, buildQuery, quoteIdent, sqliteDialect, type SqlColumn, type SqlRow } from "./sql";

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
