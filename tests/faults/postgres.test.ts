/**
 * The PostgreSQL server restarted under load (its own throwaway server: the shared one serves
 * other suites): requests through the tRPC HTTP handler get 503 DATABASE_UNREACHABLE with
 * Retry-After while it is down, and succeed again once it is back, in the same process (the
 * pg pool reconnects; nothing restarts the app). The health route says 503, then 200.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findPostgresBin, startThrowawayPostgres, type ThrowawayPostgres } from "@/scripts/lib/postgres-server";
import { appRouter } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import { closeDb, getDb } from "@/server/db/client";
import { retryAfterMeta } from "@/server/errors";
import { checkHealth } from "@/server/health";
import { integrateAll } from "@/server/ledger/log";
import { journalBalances } from "@/server/money/journal";
import { recordEvent } from "@/server/ledger/events";

const bin = findPostgresBin();
const missing = bin === null && !process.env.CI ? " (SKIPPED: no PostgreSQL server installed: apt-get install -y postgresql)" : "";

describe.skipIf(missing !== "")(`the PostgreSQL server restarted under load${missing}`, () => {
  let pg: ThrowawayPostgres;
  const saved = { DATABASE_URL: process.env.DATABASE_URL };
  const pgCtl = (action: "stop" | "start") => {
    const port = new URL(pg.url).port;
    const args = ["-D", path.join(pg.dir, "data"), "-w", "-l", path.join(pg.dir, "log"), ...(action === "stop" ? ["-m", "fast"] : ["-o", `-p ${port} -k ${pg.dir} -c listen_addresses=127.0.0.1 -c fsync=off`]), action];
    const exe = path.join(bin!, "pg_ctl");
    if (process.getuid?.() === 0) execFileSync("runuser", ["-u", "postgres", "--", exe, ...args], { stdio: "pipe" });
    else execFileSync(exe, args, { stdio: "pipe" });
  };

  beforeAll(async () => {
    pg = await startThrowawayPostgres(bin!, { prefix: "faults-pg-" });
    process.env.DATABASE_URL = pg.url;
    await getDb(); // migrations applied
  }, 120_000);
  afterAll(async () => {
    await closeDb().catch(() => {});
    pg?.stop();
    if (saved.DATABASE_URL === undefined) delete process.env.DATABASE_URL; else process.env.DATABASE_URL = saved.DATABASE_URL;
  });

  /** GET /api/trpc/ledger.checkpoint through the same handler options as the app's route (a read and a write: it may sign a checkpoint). */
  async function request(): Promise<{ status: number; retryAfter: string | null; reason: string | null; message?: string }> {
    const res = await fetchRequestHandler({
      endpoint: "/api/trpc", req: new Request("http://localhost/api/trpc/ledger.checkpoint"), router: appRouter,
      createContext: async () => createContext({ db: await getDb(), userId: null }), responseMeta: retryAfterMeta,
    });
    const body = await res.json() as { error?: { json?: { message?: string; data?: { reason?: string } } } };
    return { status: res.status, retryAfter: res.headers.get("Retry-After"), reason: body.error?.json?.data?.reason ?? null, ...(body.error ? { message: body.error.json?.message } : {}) };
  }

  it("answers 503 with Retry-After while the server is down, then recovers without restarting the process", async () => {
    const db = (await getDb()).prisma;
    await db.$transaction((tx) => recordEvent(tx, { type: "query.failed", actorOrgId: null, objectId: "00000000-0000-0000-0000-000000000000", refs: {}, data: {} }));
    await integrateAll(db);
    expect((await request()).status).toBe(200);

    // Load: requests keep coming while the server stops and starts again.
    const seen: Awaited<ReturnType<typeof request>>[] = [];
    let running = true;
    const load = (async () => { while (running) { seen.push(await request()); await new Promise((r) => setTimeout(r, 20)); } })();
    await new Promise((r) => setTimeout(r, 200));
    pgCtl("stop");
    const down = await request();
    expect(down).toMatchObject({ status: 503, retryAfter: "5", reason: "DATABASE_UNREACHABLE" });
    expect((await checkHealth()).status).not.toBe("ok");
    await new Promise((r) => setTimeout(r, 300));
    pgCtl("start");
    // The pool replaces its dead connections by itself: the next requests succeed.
    let after = await request();
    for (let i = 0; i < 50 && after.status !== 200; i++) { await new Promise((r) => setTimeout(r, 100)); after = await request(); }
    expect(after.status).toBe(200);
    running = false;
    await load;
    expect(seen.length).toBeGreaterThan(3);
    // Every request in the outage was a clean 503 (never a 500), every other a 200.
    expect(seen.filter((s) => !(s.status === 200 || (s.status === 503 && s.reason === "DATABASE_UNREACHABLE" && s.retryAfter === "5")))).toEqual([]);
    expect(seen.some((s) => s.status === 503)).toBe(true);
    expect((await checkHealth()).status).toBe("ok");
    expect(await journalBalances(db)).toBe(true);
  });
});
