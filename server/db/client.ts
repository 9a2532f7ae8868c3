/**
 * The one database client of a process. Chooses the driver from DATABASE_URL:
 *   unset            → PGlite (PostgreSQL in WASM) in <DATA_DIR>/pglite, created on first use
 *   pglite:<folder>  → PGlite in that folder; pglite:memory:// keeps it in memory (tests)
 *   postgres://…     → a PostgreSQL server
 * and applies pending migrations before handing out the client.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { AppError } from "../errors";
import { PrismaClient, type Prisma } from "./generated/client";
import { applyMigrations, migrationState, readMigrations, type MigrationState, type SqlSession } from "./migrate";

export type DbConfig = { kind: "pglite"; dir: string | null } | { kind: "postgres"; url: string };

export function dbConfigFromEnv(env: Record<string, string | undefined> = process.env): DbConfig {
  const url = env.DATABASE_URL?.trim();
  if (!url) return { kind: "pglite", dir: path.resolve(env.DATA_DIR ?? ".data", "pglite") };
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: "postgres", url };
  if (url.startsWith("pglite:")) {
    const dir = url.slice("pglite:".length);
    return { kind: "pglite", dir: dir === "memory://" || dir === "" ? null : path.resolve(dir) };
  }
  throw new AppError("CONFIG", "BAD_DATABASE_URL",
    `DATABASE_URL must start with postgres://, postgresql:// or pglite: (got "${url.split(":")[0]}:…"). Unset it to use the embedded database.`);
}

/** Where the database is, without the password, for messages and the health report. */
export function describeDb(c: DbConfig): string {
  if (c.kind === "pglite") return c.dir ? `embedded PGlite in ${c.dir}` : "embedded PGlite in memory";
  const u = new URL(c.url);
  return `PostgreSQL at ${u.hostname}:${u.port || 5432}${u.pathname}`;
}

/** A read in SQL, its rows as the driver parses them. */
export type SqlRead = <T>(query: Prisma.Sql) => Promise<T[]>;

/** The same read through Prisma, for code that holds a transaction (rows alike when the SQL casts as Database.read asks). */
export const readThrough = (db: PrismaClient | Prisma.TransactionClient): SqlRead => (query) => db.$queryRaw(query);

export interface Database {
  prisma: PrismaClient;
  /**
   * A read on the driver directly, outside Prisma, for the reads every request makes (the
   * actor behind a session, catalog search): Prisma's raw-query path cost the web process
   * more CPU than the query itself (docs/performance.md, "Load"). Both drivers parse text,
   * int4, float8, bool, timestamptz and text[] alike; cast in SQL to those (int8 as text,
   * timestamp as timestamptz) and pass int8 parameters as text. It runs outside any
   * transaction: never call it while holding one (on PGlite it would wait for that transaction
   * to end, and so would it); use readThrough(tx) there.
   */
  read: SqlRead;
  config: DbConfig;
  /** Run `fn` on a raw SQL session (health checks, tests). */
  raw<T>(fn: (s: SqlSession) => Promise<T>): Promise<T>;
  migrations(): Promise<MigrationState>;
  close(): Promise<void>;
}

export async function openDatabase(config: DbConfig = dbConfigFromEnv()): Promise<Database> {
  return config.kind === "pglite" ? openPglite(config.dir) : openPostgres(config.url);
}

// PGlite is single-process: two processes on one folder corrupt it. A pid file makes a
// second opener fail with a clear message instead.
function takeFolderLock(dir: string): () => void {
  const lockFile = `${dir}.lock`;
  if (existsSync(lockFile)) {
    const pid = Number(readFileSync(lockFile, "utf8"));
    let alive = false;
    try { process.kill(pid, 0); alive = pid !== process.pid; } catch (e) { alive = (e as NodeJS.ErrnoException).code === "EPERM"; }
    if (alive) {
      throw new AppError("CONFLICT", "DATABASE_IN_USE",
        `The embedded database ${dir} is already open in process ${pid} (another "npm start"?). Stop that process, or set DATABASE_URL to a PostgreSQL server to run several.`);
    }
  }
  writeFileSync(lockFile, String(process.pid));
  return () => rmSync(lockFile, { force: true });
}

async function openPglite(dir: string | null): Promise<Database> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { PrismaPGlite } = await import("pglite-prisma-adapter");
  let release = () => {};
  if (dir) {
    mkdirSync(path.dirname(dir), { recursive: true });
    release = takeFolderLock(dir);
  }
  let pg: InstanceType<typeof PGlite>;
  try {
    pg = await PGlite.create(dir ?? undefined, {
      startParams: [...PGlite.defaultStartParams, "-c", "log_startup_progress_interval=0"],
    } as never);
    const session: SqlSession = {
      exec: async (sql) => { await pg.exec(sql); },
      query: async <T,>(sql: string, params?: unknown[]) => (await pg.query<T>(sql, params)).rows,
    };
    await applyMigrations(session, await readMigrations());
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(pg) });
    return {
      prisma,
      read: async <T,>(q: Prisma.Sql) => (await pg.query<T>(q.text, q.values)).rows,
      config: { kind: "pglite", dir },
      raw: (fn) => fn(session),
      migrations: async () => migrationState(session, await readMigrations()),
      close: async () => { await prisma.$disconnect(); await pg.close(); release(); },
    };
  } catch (e) {
    release();
    throw e;
  }
}

async function openPostgres(url: string): Promise<Database> {
  const { default: pg } = await import("pg");
  const { PrismaPg } = await import("@prisma/adapter-pg");
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 5000, max: 10 });
  // An idle client whose server went away emits "error": log it (unhandled, it would end the process); the pool replaces it.
  pool.on("error", (e) => console.error(`Database connection lost (${(e as Error & { code?: string }).code ?? e.message}); reconnecting on next use.`));
  const raw = async <T,>(fn: (s: SqlSession) => Promise<T>): Promise<T> => {
    const client = await pool.connect().catch((e: Error & { code?: string }) => {
      throw new AppError("UNAVAILABLE", "DATABASE_UNREACHABLE",
        `Cannot reach ${describeDb({ kind: "postgres", url })}: ${e.code ?? e.message}. Is the server running and DATABASE_URL right?`, { cause: e });
    });
    try {
      return await fn({
        exec: async (sql) => { await client.query(sql); },
        query: async <R,>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as R[],
      });
    } finally {
      client.release();
    }
  };
  try {
    // One advisory lock for all runners of this database: concurrent start-ups queue
    // here and the later ones find nothing pending.
    await raw(async (s) => {
      await s.query("SELECT pg_advisory_lock(7314159265)");
      try {
        await applyMigrations(s, await readMigrations());
      } finally {
        await s.query("SELECT pg_advisory_unlock(7314159265)");
      }
    });
  } catch (e) {
    await pool.end();
    throw e;
  }
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    read: async <T,>(q: Prisma.Sql) => (await pool.query(q.text, q.values)).rows as T[],
    config: { kind: "postgres", url },
    raw,
    migrations: async () => raw(async (s) => migrationState(s, await readMigrations())),
    close: async () => { await prisma.$disconnect(); await pool.end().catch(() => {}); },
  };
}

/**
 * A lost database connection (server restarting, down, network cut) as the typed 503 it is
 * (UNAVAILABLE / DATABASE_UNREACHABLE), or null for any other error. The pg pool reconnects
 * by itself on the next query, so the caller's retry succeeds once the server is back.
 */
export function databaseUnavailable(e: unknown): AppError | null {
  if (e instanceof AppError) return e.reason === "DATABASE_UNREACHABLE" ? e : null;
  const err = e as { code?: unknown; message?: unknown; cause?: unknown } | null;
  if (!err || typeof err !== "object") return null;
  const code = typeof err.code === "string" ? err.code : "";
  const message = typeof err.message === "string" ? err.message : "";
  const lost = ["P1001", "P1002", "P1017", "ECONNREFUSED", "ECONNRESET", "57P01", "57P02", "57P03", "08006", "08003", "08001"].includes(code)
    || /Connection terminated|ECONNREFUSED|ECONNRESET|server closed the connection|the database system is (shutting down|starting up)|terminating connection due to administrator command|Can't reach database server|DatabaseNotReachable|Connection refused|not queryable|timeout exceeded when trying to connect|EPIPE|socket hang up/i.test(message);
  if (lost) return new AppError("UNAVAILABLE", "DATABASE_UNREACHABLE", "The database is unreachable for the moment; try again shortly.", { cause: e });
  return err.cause && err.cause !== e ? databaseUnavailable(err.cause) : null;
}

// One database per process, kept on globalThis so Next's dev reloads don't open a second.
const g = globalThis as unknown as { __marketDb?: Promise<Database> };

export function getDb(): Promise<Database> {
  if (!g.__marketDb) {
    g.__marketDb = openDatabase().catch((e) => {
      g.__marketDb = undefined; // let the next request retry (e.g. the server came back)
      throw e;
    });
  }
  return g.__marketDb;
}

export async function closeDb(): Promise<void> {
  const db = g.__marketDb;
  g.__marketDb = undefined;
  if (db) await (await db).close();
}
