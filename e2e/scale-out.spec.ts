/**
 * Scale-out (docs/operations.md, "Deploying"): two web processes with WORKERS=off and two
 * `npm run worker` processes on one PostgreSQL server, the demo holders' nodes beside them.
 * Buyers sign in at either web process and run encrypted queries concurrently through both
 * (each registering its own signing key: ledger writes through both). Then, from the database
 * itself: every job ran exactly once (one claim, one accepted and one delivered leaf, one
 * delivery charge), the journal balances, and the ledger is one tree: leaf indices contiguous,
 * the queue drained, and `market-ledger verify` passes against both web processes with the same
 * checkpoint.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { expect, test } from "@playwright/test";
import pg from "pg";
import { findPostgresBin, freePort, startThrowawayPostgres, type ThrowawayPostgres } from "../scripts/lib/postgres-server";
import { untilHealthy, untilWorkerReady } from "../scripts/lib/processes";

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, "..");
const bin = findPostgresBin();
const PRODUCT = "hospital-claims-by-district-age";
const EMAIL = "insurer@quancheng.example";
const PASSWORD = "quancheng-demo-2026";

test.describe.configure({ timeout: 900_000 });
test.skip(!bin && !process.env.CI, "no PostgreSQL server installed (apt-get install -y postgresql)");

let server: ThrowawayPostgres | undefined;
let dir: string;
const procs: ChildProcess[] = [];

/** A process in its own group, so stopping it also stops what it started (start.ts's nodes). */
function launch(name: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: repo, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  for (const s of [child.stdout!, child.stderr!]) createInterface({ input: s }).on("line", (l) => { if (/error|✖|fail/i.test(l)) process.stdout.write(`[${name}] ${l}\n`); });
  procs.push(child);
  return child;
}
const stopAll = () => { for (const p of procs) if (p.exitCode === null && p.signalCode === null) { try { process.kill(-p.pid!, "SIGKILL"); } catch { /* gone */ } } };

const tsx = (script: string, args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, ["--import", "tsx", script, ...args], { cwd: repo, env: { ...process.env, ...env }, maxBuffer: 1 << 24 });

test.afterAll(() => {
  stopAll();
  server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("two web processes and two workers on one PostgreSQL server: every query runs once, the ledger is one tree", async () => {
  server = await startThrowawayPostgres(bin!, { prefix: "scale-out-pg-", settings: "-c max_connections=200" });
  dir = mkdtempSync(path.join(tmpdir(), "scale-out-"));
  const dataDir = path.join(dir, "data");
  // The nodes' demo data as the main e2e server generated it (saves regenerating 140k rows).
  const made = path.join(repo, ".data", "e2e", "nodes");
  if (existsSync(made)) {
    for (const holder of readdirSync(made)) {
      mkdirSync(path.join(dataDir, "nodes", holder), { recursive: true });
      for (const f of readdirSync(path.join(made, holder))) if (/\.(csv|sqlite|parquet)$/.test(f)) copyFileSync(path.join(made, holder, f), path.join(dataDir, "nodes", holder, f));
    }
  }
  const [portA, portB] = [await freePort(), await freePort()];
  const webA = `http://localhost:${portA}`, webB = `http://localhost:${portB}`;
  const shared = {
    DATABASE_URL: server.url, DATA_DIR: dataDir, NEXTAUTH_SECRET: "scale-out-test-secret-0123456789abcdef", WORKERS: "off",
    NEXT_TELEMETRY_DISABLED: "1", CHECKPOINT_DISABLE: "1",
  };
  // Web A migrates and seeds the database and starts the demo nodes; B serves the same database.
  const a = launch("web A", ["--import", "tsx", "scripts/start.ts"], { ...shared, PORT: String(portA), NEXTAUTH_URL: webA });
  await untilHealthy(webA, a, { ms: 600_000 });
  const b = launch("web B", [path.join("node_modules", "next", "dist", "bin", "next"), "start", "-p", String(portB), "-H", "localhost"], { ...shared, NEXTAUTH_URL: webB });
  await untilHealthy(webB, b, { ms: 600_000 });
  const workers = [launch("worker 1", ["--import", "tsx", "scripts/worker.ts"], shared), launch("worker 2", ["--import", "tsx", "scripts/worker.ts"], shared)];
  await Promise.all(workers.map((w) => untilWorkerReady(w)));

  // One key file per buyer client: each registers its own signing key through its web process.
  const clients = [webA, webB, webA, webB].map((url, i) => ({ url, keys: path.join(dir, `keys-${i}.json`) }));
  await Promise.all(clients.map((c) => tsx("sdk/cli.ts", ["keygen", "--out", c.keys])));
  const query = (c: { url: string; keys: string }, groupBy: string) => tsx("sdk/cli.ts", [
    "run", "--url", c.url, "--email", EMAIL, "--product", PRODUCT, "--group-by", groupBy, "--measure", "claim_amount:SUM", "--epsilon", "0.5", "--keys", c.keys, "--json",
  ], { MARKET_PASSWORD: PASSWORD }).then((r) => JSON.parse(r.stdout) as { id: string; rows: unknown[] });
  // Four queries at once through both web processes, then four more.
  const outcomes = [
    ...await Promise.all(clients.map((c) => query(c, "district"))),
    ...await Promise.all(clients.map((c) => query(c, "age"))),
  ];
  expect(outcomes).toHaveLength(8);
  for (const o of outcomes) expect(o.rows.length).toBeGreaterThan(0);

  // Let the workers integrate what is queued, then read the outcome from the database itself.
  const db = new pg.Client({ connectionString: server.url });
  await db.connect();
  try {
    const ids = outcomes.map((o) => o.id);
    const q = async <T extends object>(sql: string, params: unknown[] = []) => (await db.query(sql, params)).rows as T[];
    await expect.poll(async () => Number((await q<{ n: string }>(`SELECT count(*) AS n FROM "LedgerQueue"`))[0]!.n), { timeout: 60_000 }).toBe(0);

    const jobs = await q<{ id: string; status: string; attempts: number; claimedBy: string | null }>(`SELECT "id"::text, "status"::text, "attempts", "claimedBy"::text FROM "QueryJob" WHERE "id" = ANY($1::uuid[])`, [ids]);
    expect(jobs).toHaveLength(8);
    for (const j of jobs) expect({ id: j.id, status: j.status, attempts: j.attempts }).toEqual({ id: j.id, status: "SUCCEEDED", attempts: 1 });

    const leaves = await q<{ objectId: string; type: string; n: string }>(`SELECT "objectId"::text, "type", count(*) AS n FROM "LedgerLeaf" WHERE "objectId" = ANY($1::uuid[]) GROUP BY 1, 2`, [ids]);
    for (const id of ids) {
      for (const type of ["query.accepted", "query.delivered"]) expect(leaves.find((l) => l.objectId === id && l.type === type)?.n, `${type} for ${id}`).toBe("1");
      expect(leaves.filter((l) => l.objectId === id).map((l) => l.type)).not.toContain("query.failed");
    }
    const deliveries = await q<{ key: string; n: string }>(`SELECT "idempotencyKey" AS key, count(*) AS n FROM "JournalEntry" WHERE "idempotencyKey" = ANY($1::text[]) GROUP BY 1`, [ids.map((id) => `delivery:${id}`)]);
    expect(deliveries).toHaveLength(8);
    for (const d of deliveries) expect(d.n).toBe("1");
    expect(await q(`SELECT "entryId" FROM "Posting" GROUP BY 1 HAVING sum("amountMinor") <> 0`)).toEqual([]);

    // One tree: indices 0..n-1 with no gap or repeat, one signing key per web process registered.
    const [tree] = await q<{ n: string; lo: string; hi: string; distinct: string }>(`SELECT count(*) AS n, min("index") AS lo, max("index") AS hi, count(DISTINCT "index") AS distinct FROM "LedgerLeaf"`);
    expect(tree!.lo).toBe("0");
    expect(Number(tree!.hi)).toBe(Number(tree!.n) - 1);
    expect(tree!.distinct).toBe(tree!.n);
  } finally {
    await db.end();
  }
  const verified = await Promise.all([webA, webB].map((url) => tsx("sdk/ledger-cli.ts", ["verify", "--url", url, "--samples", "5"])));
  for (const v of verified) expect(v.stdout).toMatch(/✔/);
  const head = (url: string) => fetch(`${url}/api/ledger/checkpoint`).then((r) => r.json() as Promise<{ size: number; root: string }>).then(({ size, root }) => ({ size, root }));
  expect(await head(webA)).toEqual(await head(webB));
});
