/**
 * Our own migration runner. Prisma's CLI cannot `migrate deploy` here (offline, and a
 * known adapter bug on PostgreSQL 15), so the app applies prisma/migrations itself at
 * start-up, recording each in `_prisma_migrations` exactly as Prisma does (checksum =
 * SHA-256 of the file), so `prisma migrate status` agrees with us.
 *
 * Safe when several processes start at once: on a server the whole run holds a
 * PostgreSQL advisory lock, and each migration is applied in its own transaction.
 */
import { createHash, randomUUID } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { AppError } from "../errors";

export interface SqlSession {
  /** Run one or more statements without parameters. */
  exec(sql: string): Promise<void>;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationState {
  applied: string[];
  pending: string[];
}

export const migrationsDir = () => path.join(process.cwd(), "prisma", "migrations");

export async function readMigrations(dir = migrationsDir()): Promise<Migration[]> {
  const entries = await readdir(/*turbopackIgnore: true*/ dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(/*turbopackIgnore: true*/ path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
}

async function appliedRows(s: SqlSession): Promise<AppliedRow[]> {
  const [row] = await s.query<{ exists: boolean }>(
    `SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS "exists"`,
  );
  if (!row?.exists) return [];
  return s.query<AppliedRow>(
    `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations"
     WHERE rolled_back_at IS NULL ORDER BY started_at`,
  );
}

/** Compare the folder with the database; throws if history was edited or a run failed. */
export async function migrationState(s: SqlSession, migrations: Migration[]): Promise<MigrationState> {
  const rows = await appliedRows(s);
  const byName = new Map(rows.map((r) => [r.migration_name, r]));
  for (const r of rows) {
    if (r.finished_at === null) {
      throw new AppError("CONFIG", "MIGRATION_FAILED",
        `Migration ${r.migration_name} started but never finished. Inspect the database, then delete its row from "_prisma_migrations" to retry.`);
    }
  }
  for (const m of migrations) {
    const row = byName.get(m.name);
    if (row && row.checksum !== m.checksum) {
      throw new AppError("CONFIG", "MIGRATION_EDITED",
        `Migration ${m.name} was changed after it was applied. Never edit an applied migration: add a new one.`);
    }
  }
  const known = new Set(migrations.map((m) => m.name));
  const unknown = rows.filter((r) => !known.has(r.migration_name)).map((r) => r.migration_name);
  if (unknown.length > 0) {
    throw new AppError("CONFIG", "MIGRATION_UNKNOWN",
      `The database has migrations this code does not know (${unknown.join(", ")}): is the code older than the database?`);
  }
  return {
    applied: migrations.filter((m) => byName.has(m.name)).map((m) => m.name),
    pending: migrations.filter((m) => !byName.has(m.name)).map((m) => m.name),
  };
}

/**
 * Apply every pending migration, each in its own transaction. The caller must hold
 * whatever lock makes it the only runner (see `lock` in client.ts).
 */
export async function applyMigrations(s: SqlSession, migrations: Migration[]): Promise<string[]> {
  await s.exec(CREATE_TABLE);
  const { pending } = await migrationState(s, migrations);
  const done: string[] = [];
  for (const m of migrations.filter((x) => pending.includes(x.name))) {
    await s.exec("BEGIN");
    try {
      await s.exec(m.sql);
      await s.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count)
         VALUES ($1, $2, now(), $3, 1)`,
        [randomUUID(), m.checksum, m.name],
      );
      await s.exec("COMMIT");
    } catch (e) {
      await s.exec("ROLLBACK");
      throw new AppError("CONFIG", "MIGRATION_FAILED",
        `Migration ${m.name} failed and was rolled back: ${(e as Error).message}`, { cause: e });
    }
    done.push(m.name);
  }
  return done;
}
