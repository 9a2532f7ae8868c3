import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, describe, expect, it } from "vitest";
import { dbConfigFromEnv, openDatabase } from "@/server/db/client";
import { applyMigrations, migrationState, readMigrations, type SqlSession } from "@/server/db/migrate";
import { AppError } from "@/server/errors";
import { backends, createServerDatabase } from "../setup/databases";

const session = (db: PGlite): SqlSession => ({
  exec: async (s) => { await db.exec(s); },
  query: async <T,>(s: string, p?: unknown[]) => (await db.query<T>(s, p)).rows,
});

describe("DATABASE_URL", () => {
  it("picks the driver from the URL and refuses anything else clearly", () => {
    expect(dbConfigFromEnv({}).kind).toBe("pglite");
    expect(dbConfigFromEnv({ DATABASE_URL: "pglite:memory://" })).toEqual({ kind: "pglite", dir: null });
    expect(dbConfigFromEnv({ DATABASE_URL: "postgresql://u@h/db" }).kind).toBe("postgres");
    expect(() => dbConfigFromEnv({ DATABASE_URL: "mysql://u@h/db" })).toThrow(/must start with postgres/);
  });

  it("explains an unreachable server instead of hanging", async () => {
    const port = await new Promise<number>((r) => { const s = net.createServer().listen(0, "127.0.0.1", () => { const p = (s.address() as net.AddressInfo).port; s.close(() => r(p)); }); });
    const e = await openDatabase({ kind: "postgres", url: `postgres://u:secret@127.0.0.1:${port}/db` }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).reason).toBe("DATABASE_UNREACHABLE");
    expect((e as AppError).message).toMatch(/Cannot reach PostgreSQL at 127\.0\.0\.1/);
    expect((e as AppError).message).not.toMatch(/secret/);
  });

  it("refuses a second process on the same embedded database folder", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lock-"));
    try {
      writeFileSync(path.join(dir, "db.lock"), String(process.ppid)); // a live process that is not us
      const e = await openDatabase({ kind: "pglite", dir: path.join(dir, "db") }).catch((x: unknown) => x);
      expect((e as AppError).reason).toBe("DATABASE_IN_USE");
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});

describe("migration runner", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const folder = (migrations: Record<string, string>) => {
    const dir = mkdtempSync(path.join(tmpdir(), "migr-"));
    dirs.push(dir);
    for (const [name, sql] of Object.entries(migrations)) {
      mkdirSync(path.join(dir, name));
      writeFileSync(path.join(dir, name, "migration.sql"), sql);
    }
    return dir;
  };

  it("applies pending migrations once and records them as Prisma does", async () => {
    const db = await PGlite.create();
    try {
      const ms = await readMigrations();
      expect(await applyMigrations(session(db), ms)).toEqual(ms.map((m) => m.name));
      expect(await applyMigrations(session(db), ms)).toEqual([]);
      expect(await migrationState(session(db), ms)).toEqual({ applied: ms.map((m) => m.name), pending: [] });
      const rows = (await db.query<{ checksum: string }>(`SELECT checksum FROM "_prisma_migrations"`)).rows;
      expect(rows.map((r) => r.checksum)).toEqual(ms.map((m) => m.checksum));
    } finally { await db.close(); }
  });

  it("rolls a failing migration back whole and names it", async () => {
    const dir = folder({ "1_ok": "CREATE TABLE a (x int);", "2_bad": "CREATE TABLE b (x int); SELECT no_such_function();" });
    const db = await PGlite.create();
    try {
      const e = await applyMigrations(session(db), await readMigrations(dir)).catch((x: unknown) => x);
      expect((e as AppError).message).toMatch(/Migration 2_bad failed and was rolled back/);
      expect((await db.query(`SELECT to_regclass('b') AS t`)).rows).toEqual([{ t: null }]);
      expect((await migrationState(session(db), await readMigrations(dir))).pending).toEqual(["2_bad"]);
    } finally { await db.close(); }
  });

  it("detects a migration edited after it was applied", async () => {
    const dir = folder({ "1_ok": "CREATE TABLE a (x int);" });
    const db = await PGlite.create();
    try {
      await applyMigrations(session(db), await readMigrations(dir));
      writeFileSync(path.join(dir, "1_ok", "migration.sql"), "CREATE TABLE a (x bigint);");
      const e = await migrationState(session(db), await readMigrations(dir)).catch((x: unknown) => x);
      expect((e as AppError).reason).toBe("MIGRATION_EDITED");
    } finally { await db.close(); }
  });

  it.skipIf(!backends[1]!.available)("is safe when several processes start at once on a server", async () => {
    const url = await createServerDatabase();
    const dbs = await Promise.all(Array.from({ length: 4 }, () => openDatabase({ kind: "postgres", url })));
    try {
      const rows = await dbs[0]!.raw((s) => s.query<{ n: number }>(`SELECT count(*)::int AS n FROM "_prisma_migrations"`));
      expect(rows[0]!.n).toBe((await readMigrations()).length);
      expect((await dbs[0]!.migrations()).pending).toEqual([]);
    } finally { await Promise.all(dbs.map((d) => d.close())); }
  });
});
