/** PostgreSQL tables: the aggregate pushed down; full scans stream through a cursor in one read-only snapshot. */
import type { AggregatePlan } from "@/core/protocol";
import { AggregateError, ambiguous, preparePlan, requireColumns, requireRecordColumns, sourceError, type AggregateOptions, type ColumnInfo, type Connector, type LocalAggregate, type RecordValues, type ScannedValue } from "./semantics";
import { asStrings, buildQuery, quoteIdent, postgresDialect, PG_NUMBER, type SqlColumn } from "./sql";

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
