/**
 * Load benchmark (issue 18): the whole app as `npm start` runs it (scripts/start.ts: Next's
 * production server, the demo holders' nodes, the query worker), on a throwaway PostgreSQL
 * server and on embedded PGlite. The demo world is enlarged (LOAD_ORGS buyer organisations,
 * each with a paid order for the hospital claims product, and a few hundred buyer users), every
 * user signs in, and bounded request loops on loopback drive, for a fixed time each:
 *
 *   floor     GET /api/market-key (a constant answer, no database, no session): what one request
 *             costs Next's server and the load generator on this machine, the ceiling for any route
 *   search    catalog search alone (tRPC catalog.search, signed in): the target's phase
 *   mix       search, product pages (server-rendered HTML), ledger checkpoints and inclusion
 *             proofs, orders placed (tRPC orders.placeOrder, with idempotency keys), beside a
 *             stream of encrypted queries (QUERY_STREAMS buyers at once, each submit → result)
 *
 * It prints throughput and p50/p95/p99 per kind and errors. After the run the app is stopped and
 * the database read directly: every acknowledged order must be there with its ledger leaf, every
 * query submitted must have SUCCEEDED with exactly one delivery journal entry, and every journal
 * entry must balance. Any error or lost write fails the run (CheckFailed).
 * Targets (PostgreSQL, this 2-core machine): zero errors, search ≥ 400 requests/s with
 * p99 < 250 ms. The load generator shares the machine's cores with the app: it is part of what
 * is measured, as it would not be with clients on other machines.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import superjson from "superjson";
import { generateKeys } from "@/core/he";
import { exportKeyPair, generateSigningKey } from "@/core/statements";
import { hashPassword } from "@/server/accounts/password";
import { openDatabase, type DbConfig } from "@/server/db/client";
import { integrateAll } from "@/server/ledger/log";
import { orderApproved } from "@/server/seed/flows";
import { findPostgresBin, freePort, startThrowawayPostgres } from "@/scripts/lib/postgres-server";
import { untilHealthy } from "@/scripts/lib/processes";
import { MarketplaceClient, signInCookie } from "@/sdk/client";
import { CheckFailed } from "./catalog";
import { onCleanup } from "./lib/cleanup";
import { request, type Reply } from "./lib/http-client";
import { cpuBetween, cpuSnapshot } from "./lib/proc-cpu";
import { summariseProfile } from "./lib/profile-summary";
import { ms, now, table } from "./lib/report";

export interface LoadOptions { quick: boolean; pglite: boolean; cpuProf?: string }

const PRODUCT = "hospital-claims-by-district-age";
const PASSWORD = "load-bench-password-2026";
const SEARCH_TARGET_RPS = 400;
const SEARCH_TARGET_P99_MS = 250;
const started = now();
const log = (msg: string) => process.stderr.write(`[${((now() - started) / 1000).toFixed(0).padStart(4)} s] load: ${msg}\n`);
const NODE_CACHE = path.resolve(".data", "bench-cache", "load-nodes");

type Sample = { kind: string; ms: number; ok: boolean };
/** cpu: CPU ms per process group over the request loops' window (bench/lib/proc-cpu.ts), when /proc exists */
type Phase = { name: string; seconds: number; samples: Sample[]; cpu: [string, number][] | null };

// ------------------------------------------------------------------------------ the app

/** `npm start` (scripts/start.ts: seeds, starts the demo nodes, serves with the workers). */
const startApp = (env: Record<string, string>, port: number) => launch(["--import", "tsx", "scripts/start.ts"], env, port);
/** One more web process on the same database and keys (`next start`), as a deployment adds them. */
const startWeb = (env: Record<string, string>, port: number) => launch([path.join("node_modules", "next", "dist", "bin", "next"), "start", "-p", String(port), "-H", "localhost"], env, port);

async function launch(args: string[], env: Record<string, string>, port: number): Promise<{ stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, args, {
    env: { ...process.env, ...env, PORT: String(port) }, stdio: ["ignore", "ignore", "pipe"], detached: true,
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try { process.kill(-child.pid!, "SIGTERM"); } catch { /* gone */ }
    const t = setTimeout(() => { try { process.kill(-child.pid!, "SIGKILL"); } catch { /* gone */ } }, 15_000);
    await exited;
    clearTimeout(t);
    // start.ts's nodes are in its process group; make sure none is left holding a port.
    try { process.kill(-child.pid!, "SIGKILL"); } catch { /* gone */ }
  };
  const stop = onCleanup(`app on port ${port}`, kill);
  try {
    await untilHealthy(`http://localhost:${port}`, child, { output: () => stderr });
  } catch (e) {
    await stop();
    throw e;
  }
  return { stop };
}

/** More buyers than the demo has: `orgs` organisations (each with a paid order), `users` people among them. */
async function enlarge(config: DbConfig, o: { orgs: number; users: number }) {
  const db = await openDatabase(config);
  try {
    const p = db.prisma;
    const product = await p.dataProduct.findUniqueOrThrow({ where: { slug: PRODUCT } });
    const hash = await hashPassword(PASSWORD); // one hash for all: the sign-ins still verify it each
    for (let k = 0; k < o.orgs; k++) {
      const slug = `load-buyer-${k}`;
      if (await p.organisation.findUnique({ where: { slug } })) continue;
      const org = await p.organisation.create({ data: { slug, name: `Load buyer ${k}`, roles: ["BUYER"] } });
      const members = Array.from({ length: Math.ceil(o.users / o.orgs) }, (_, j) => ({ email: `load-${k}-${j}@load.example`, name: `Load ${k}.${j}`, passwordHash: hash }));
      await p.user.createMany({ data: members });
      const ids = await p.user.findMany({ where: { email: { in: members.map((m) => m.email) } }, select: { id: true, email: true } });
      await p.membership.createMany({ data: ids.map((u) => ({ userId: u.id, organisationId: org.id, role: u.email.endsWith("-0@load.example") ? "OWNER" as const : "MEMBER" as const })) });
      await orderApproved(p, { productId: product.id, buyerOrgId: org.id, quantity: 10_000 });
    }
    return { productId: product.id };
  } finally {
    await db.close();
  }
}

// ------------------------------------------------------------------------------ the clients

const trpcGet = (base: string, proc: string, input: unknown) => `${base}/api/trpc/${proc}?input=${encodeURIComponent(JSON.stringify(superjson.serialize(input)))}`;

async function timed(samples: Sample[], kind: string, f: () => Promise<Reply>) {
  const t = now();
  let ok = false;
  try {
    const res = await f();
    ok = res.ok;
    if (!ok && samples.filter((s) => !s.ok).length < 5) log(`${kind}: HTTP ${res.status}`);
  } catch (e) {
    if (samples.filter((s) => !s.ok).length < 5) log(`${kind}: ${(e as Error).message}`);
  }
  samples.push({ kind, ms: now() - t, ok });
  return ok;
}

/** `concurrency` loops, each sending its next request when the last is answered, for `seconds`. */
async function drive(name: string, seconds: number, concurrency: number, next: (samples: Sample[], i: number) => Promise<unknown>, extra: Promise<unknown>[] = []): Promise<Phase> {
  const samples: Sample[] = [];
  const end = now() + seconds * 1000;
  const t = now();
  const before = cpuSnapshot();
  await Promise.all(Array.from({ length: concurrency }, async (_, i) => { while (now() < end) await next(samples, i); }));
  const after = cpuSnapshot();
  const elapsed = (now() - t) / 1000; // the request loops' window; what runs beside them (the query streams) finishes after
  await Promise.all(extra);
  log(`${name}: ${samples.length} requests in ${elapsed.toFixed(1)} s`);
  return { name, seconds: elapsed, samples, cpu: before && after ? cpuBetween(before, after) : null };
}

const SEARCHES = ["", "claims", "医疗", "tax", "社保 缴费", "hospital district", "公积金", "enterprise"];

function pct(xs: number[], p: number) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
}

type Row = { backend: string; phase: string; kind: string; n: number; rps: number; p50: number; p95: number; p99: number; errors: number };

function summarise(backend: string, ph: Phase): Row[] {
  const kinds = [...new Set(ph.samples.map((s) => s.kind))];
  return kinds.map((kind) => {
    const xs = ph.samples.filter((s) => s.kind === kind);
    const t = xs.map((s) => s.ms);
    return { backend, phase: ph.name, kind, n: xs.length, rps: xs.length / ph.seconds, p50: pct(t, 50), p95: pct(t, 95), p99: pct(t, 99), errors: xs.filter((s) => !s.ok).length };
  });
}

// ------------------------------------------------------------------------------ one backend

type CpuRow = { backend: string; phase: string; requests: number; seconds: number; cpu: [string, number][] | null };

async function runBackend(backend: "PostgreSQL" | "PGlite", o: LoadOptions): Promise<{ rows: Row[]; writes: string[]; profile?: string; cpu: CpuRow[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), "bench-load-"));
  onCleanup(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  let config: DbConfig = { kind: "pglite", dir: path.join(dir, "pglite") };
  const env: Record<string, string> = {
    DATA_DIR: dir, NEXTAUTH_SECRET: "load-benchmark-secret-0123456789abcdef", RATE_LIMIT_FACTOR: "1000", NEXT_TELEMETRY_DISABLED: "1",
    // Measure once the nodes have committed their data (minutes of CPU after a first start), not beside it.
    DEMO_WAIT_FOR_COMMITMENTS: "1",
  };
  if (backend === "PostgreSQL") {
    const pg = await startThrowawayPostgres(findPostgresBin()!, { prefix: "bench-load-pg-", settings: "-c max_connections=200" });
    onCleanup("stop the load PostgreSQL server", () => pg.stop());
    // Its Unix socket, as a database on the same machine is reached: over loopback TCP the
    // kernel's work for both ends of every round trip is charged to the web process's core.
    env.DATABASE_URL = pg.socketUrl;
    config = { kind: "postgres", url: pg.socketUrl };
  }
  // The nodes' demo data, generated once and kept between runs.
  if (existsSync(NODE_CACHE)) {
    for (const holder of readdirSync(NODE_CACHE)) {
      mkdirSync(path.join(dir, "nodes", holder), { recursive: true });
      for (const f of readdirSync(path.join(NODE_CACHE, holder))) copyFileSync(path.join(NODE_CACHE, holder, f), path.join(dir, "nodes", holder, f));
    }
  }
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const orgs = o.quick ? 4 : 16;
  const users = o.quick ? 40 : 320;
  log(`${backend}: starting the app (seeding, demo nodes; a fresh clone builds first)…`);
  let app = await startApp(env, port);
  if (!existsSync(NODE_CACHE)) {
    for (const holder of readdirSync(path.join(dir, "nodes"))) {
      mkdirSync(path.join(NODE_CACHE, holder), { recursive: true });
      for (const f of readdirSync(path.join(dir, "nodes", holder))) if (/\.(csv|sqlite|parquet)$/.test(f)) copyFileSync(path.join(dir, "nodes", holder, f), path.join(NODE_CACHE, holder, f));
    }
  }
  // The embedded database is single-process: enlarge it between two starts.
  if (backend === "PGlite") await app.stop();
  log(`${backend}: enlarging the demo world (${orgs} buyer organisations, ${users} users)…`);
  const { productId } = await enlarge(config, { orgs, users });
  if (backend === "PGlite") app = await startApp(env, port);

  log(`${backend}: signing in ${users} users…`);
  const emails = Array.from({ length: orgs }, (_, k) => Array.from({ length: Math.ceil(users / orgs) }, (_, j) => `load-${k}-${j}@load.example`)).flat();
  const cookies: string[] = [];
  for (let i = 0; i < emails.length; i += 8) cookies.push(...await Promise.all(emails.slice(i, i + 8).map((e) => signInCookie(base, e, PASSWORD))));
  const cookie = (i: number) => cookies[i % cookies.length]!;
  const seconds = o.quick ? 8 : 30;
  const concurrency = 32;
  const phases: Phase[] = [];
  let profile: string | undefined;

  phases.push(await drive("floor", seconds / 2, concurrency, (s) => timed(s, "market key (floor)", () => request(`${base}/api/market-key`))));
  let n = 0;
  const search = (s: Sample[], i: number) => timed(s, "search", () => request(trpcGet(base, "catalog.search", { q: SEARCHES[n++ % SEARCHES.length] }), { headers: { cookie: cookie(i + n) } }));
  phases.push(await drive("search", seconds, concurrency, search));
  if (backend === "PostgreSQL") {
    // The scale-out answer (docs/operations.md, "Deploying"): a second stateless web process on
    // the same database, the request loops split between the two.
    const port2 = await freePort();
    const web2 = await startWeb({ ...env, WORKERS: "off", NEXTAUTH_URL: `http://localhost:${port2}` }, port2);
    const bases = [base, `http://localhost:${port2}`];
    phases.push(await drive("search, 2 web processes", seconds, concurrency, (s, i) =>
      timed(s, "search", () => request(trpcGet(bases[i % 2]!, "catalog.search", { q: SEARCHES[n++ % SEARCHES.length] }), { headers: { cookie: cookie(i + n) } }))));
    await web2.stop();
    if (o.cpuProf) profile = await profileSearch(env, o.cpuProf, seconds, concurrency, cookie);
  }

  // The mix, beside a stream of encrypted queries (one buyer organisation per stream).
  const size = ((await (await fetch(`${base}/api/ledger/checkpoint`)).json()) as { size: number }).size;
  const acked = { orders: [] as string[], queries: [] as string[] };
  const mixEnd = now() + seconds * 1000;
  const streams = Array.from({ length: Math.min(orgs, o.quick ? 4 : 16) }, async (_, k) => {
    const client = await MarketplaceClient.signIn(base, `load-${k}-0@load.example`, PASSWORD);
    const keys = { ...(await generateKeys()), signing: await exportKeyPair(await generateSigningKey(true)) };
    const samples: Sample[] = [];
    while (now() < mixEnd) {
      const t = now();
      try {
        const out = await client.query({ product: PRODUCT, keys, query: { groupBy: ["district"], measures: [{ column: "claim_amount", aggregate: "SUM" }], epsilon: 0.1 } });
        acked.queries.push(out.id);
        samples.push({ kind: "query (submit → result)", ms: now() - t, ok: true });
      } catch (e) {
        log(`query: ${(e as Error).message}`);
        samples.push({ kind: "query (submit → result)", ms: now() - t, ok: false });
      }
    }
    return samples;
  });
  const querySamples: Sample[] = [];
  const mix = await drive("mix", seconds, concurrency, async (s, i) => {
    const r = (n++ * 7919) % 100;
    if (r < 40) return search(s, i);
    if (r < 60) return timed(s, "product page", () => request(`${base}/catalog/product/${productId}`, { headers: { cookie: cookie(i + n) } }));
    if (r < 75) return timed(s, "ledger checkpoint", () => request(`${base}/api/ledger/checkpoint`));
    if (r < 90) return timed(s, "ledger inclusion proof", () => request(`${base}/api/ledger/proof/inclusion?index=${n % size}&size=${size}`));
    const idempotencyKey = randomUUID();
    const res = await timed(s, "order placed", () => request(`${base}/api/trpc/buyer.placeOrder`, {
      method: "POST", headers: { cookie: cookie(i + n), "content-type": "application/json" },
      body: JSON.stringify(superjson.serialize({ productId, purpose: "insurance pricing", quantity: 1, idempotencyKey })),
    }).then((res) => {
      if (res.ok) acked.orders.push((JSON.parse(res.text()) as { result: { data: { json: { id: string } } } }).result.data.json.id);
      return res;
    }));
    return res;
  }, [Promise.all(streams).then((xs) => querySamples.push(...xs.flat()))]);
  mix.samples.push(...querySamples);
  phases.push(mix);

  // Stop the app, then count what it acknowledged in the database itself.
  await app.stop();
  const writes: string[] = [];
  const db = await openDatabase(config);
  try {
    const p = db.prisma;
    await integrateAll(p); // whatever the stopped app had queued for the ledger
    const orders = await p.order.count({ where: { id: { in: acked.orders } } });
    const orderLeaves = await p.ledgerLeaf.findMany({ where: { objectId: { in: acked.orders } }, select: { objectId: true }, distinct: ["objectId"] });
    const jobs = await p.queryJob.groupBy({ by: ["status"], where: { id: { in: acked.queries } }, _count: true });
    const succeeded = jobs.find((j) => j.status === "SUCCEEDED")?._count ?? 0;
    const deliveries = await p.journalEntry.count({ where: { idempotencyKey: { in: acked.queries.map((id) => `delivery:${id}`) } } });
    const unbalanced = await p.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM (SELECT "entryId" FROM "Posting" GROUP BY "entryId", "currency" HAVING sum("amountMinor") <> 0) u`;
    const lost = [
      orders !== acked.orders.length && `${acked.orders.length - orders} acknowledged orders missing`,
      orderLeaves.length !== acked.orders.length && `${acked.orders.length - orderLeaves.length} acknowledged orders without a ledger leaf`,
      succeeded !== acked.queries.length && `${acked.queries.length - succeeded} delivered queries not SUCCEEDED in the database`,
      deliveries !== acked.queries.length && `${deliveries} delivery journal entries for ${acked.queries.length} delivered queries`,
      Number(unbalanced[0]!.n) > 0 && `${unbalanced[0]!.n} journal entries that do not balance`,
    ].filter(Boolean) as string[];
    writes.push(`${backend}: ${acked.orders.length} orders acknowledged, ${orders} in the database, ${orderLeaves.length} with their ledger leaf; ${acked.queries.length} queries delivered, ${succeeded} SUCCEEDED, ${deliveries} delivery entries; journal ${Number(unbalanced[0]!.n) ? "UNBALANCED" : "balanced"}`);
    if (lost.length) throw new CheckFailed(`${backend}: lost writes: ${lost.join("; ")}`);
  } finally {
    await db.close();
  }
  return { rows: phases.flatMap((ph) => summarise(backend, ph)), writes, profile, cpu: phases.map((ph) => ({ backend, phase: ph.name, requests: ph.samples.length, seconds: ph.seconds, cpu: ph.cpu })) };
}

/**
 * --cpu-prof DIR: one more web process (`next start`) with the V8 sampling profiler preloaded
 * (bench/lib/cpu-profile.mjs), driven with search alone, then stopped so it writes its profile;
 * the report shows where its CPU went. Profiling slows it: its throughput is not the record's.
 */
async function profileSearch(env: Record<string, string>, dir: string, seconds: number, concurrency: number, cookie: (i: number) => string): Promise<string> {
  const out = path.resolve(dir);
  mkdirSync(out, { recursive: true });
  const before = new Set(readdirSync(out));
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const web = await startWeb({
    ...env, WORKERS: "off", NEXTAUTH_URL: base, BENCH_CPU_PROF_DIR: out,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import=${path.resolve("bench", "lib", "cpu-profile.mjs")}`.trim(),
  }, port);
  let n = 0;
  const phase = await drive("search, profiled web process", seconds, concurrency, (s, i) =>
    timed(s, "search", () => request(trpcGet(base, "catalog.search", { q: SEARCHES[n++ % SEARCHES.length] }), { headers: { cookie: cookie(i + n) } })));
  await web.stop();
  // The busiest new profile is the server's (a launcher process may write one too).
  const files = readdirSync(out).filter((f) => f.endsWith(".cpuprofile") && !before.has(f)).map((f) => path.join(out, f));
  if (!files.length) return "No CPU profile was written (the web process did not exit normally).";
  const file = files.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
  const { parts, functions, busyMs } = summariseProfile(file);
  const webCpu = phase.cpu?.find(([g]) => g === "web (Next)")?.[1];
  return [
    `CPU profile of one web process serving search (${file}): ${phase.samples.length} requests in ${phase.seconds.toFixed(1)} s, ${(busyMs / 1000).toFixed(1)} s sampled busy over its life`
    + `${webCpu === undefined ? "" : `, ${(webCpu / phase.samples.length).toFixed(2)} ms of CPU per request during the phase (/proc, profiler on)`}. `
    + "The profiler samples wall time while the thread is not idle: time the thread waited for a core inside a system call (a socket write waking PostgreSQL) counts as that call's.",
    table("Where the web process's CPU went (self time, share of busy time)", ["part", "share"], parts.map(([k, v]) => [k, `${(v * 100).toFixed(1)}%`])),
    table("Hottest functions (self time)", ["function", "share"], functions.map(([k, v]) => [k, `${(v * 100).toFixed(1)}%`])),
  ].join("\n");
}

export async function runLoadBenchmark(o: LoadOptions): Promise<string> {
  const backends: ("PostgreSQL" | "PGlite")[] = findPostgresBin() && !o.pglite ? ["PostgreSQL", "PGlite"] : ["PGlite"];
  const rows: Row[] = [];
  const writes: string[] = [];
  const profiles: string[] = [];
  const cpuRows: CpuRow[] = [];
  for (const b of backends) {
    const r = await runBackend(b, o);
    rows.push(...r.rows);
    writes.push(...r.writes);
    cpuRows.push(...r.cpu);
    if (r.profile) profiles.push(r.profile);
  }
  const floor = (b: string) => rows.find((r) => r.backend === b && r.phase === "floor")!;
  const out = table("Load: 32 request loops on loopback per phase (the mix beside the encrypted query streams)",
    ["backend", "phase", "kind", "requests", "req/s", "p50", "p95", "p99", "p50 / floor p50", "errors"],
    rows.map((r) => [r.backend, r.phase, r.kind, String(r.n), r.rps.toFixed(1), ms(r.p50), ms(r.p95), ms(r.p99), (r.p50 / floor(r.backend).p50).toFixed(1) + "×", String(r.errors)]),
    writes);
  const errors = rows.reduce((a, r) => a + r.errors, 0);
  const target = (r: Row) => `${r.rps.toFixed(0)} req/s, p99 ${ms(r.p99)}: ${r.rps >= SEARCH_TARGET_RPS && r.p99 < SEARCH_TARGET_P99_MS ? "met" : "NOT met"}`;
  const pgOne = rows.find((r) => r.backend === "PostgreSQL" && r.phase === "search");
  const pgTwo = rows.find((r) => r.backend === "PostgreSQL" && r.phase === "search, 2 web processes");
  const verdict = pgOne && pgTwo
    ? `Target (PostgreSQL, search ≥ ${SEARCH_TARGET_RPS} req/s, p99 < ${SEARCH_TARGET_P99_MS} ms): one web process ${target(pgOne)}; two web processes ${target(pgTwo)}.`
    : "No PostgreSQL server installed: the search target (PostgreSQL) was not measured.";
  const pg = rows.find((r) => r.backend === "PostgreSQL" && r.phase === "search");
  const lite = rows.find((r) => r.backend === "PGlite" && r.phase === "search");
  const ratio = pg && lite ? `\nSearch throughput, PostgreSQL / PGlite: ${(pg.rps / lite.rps).toFixed(2)}×.` : "";
  // With the clients on other machines, the two cores would serve only the web process and the database.
  const pgCpu = cpuRows.find((r) => r.backend === "PostgreSQL" && r.phase === "search" && r.cpu);
  const serverMs = pgCpu && pgCpu.cpu!.filter(([g]) => g === "web (Next)" || g === "PostgreSQL").reduce((a, [, v]) => a + v, 0) / pgCpu.requests;
  const capacity = serverMs ? `\nEstimate without the load generator on the machine: the web process and PostgreSQL use ${serverMs.toFixed(2)} ms of CPU per search, so ${availableParallelism()} cores would serve at most ${((availableParallelism() * 1000) / serverMs).toFixed(0)} searches/s (an upper bound: not measured, it assumes both cores busy).` : "";
  const ceiling = backends.map((b) => `${b} floor (no database, no session): ${floor(b).rps.toFixed(0)} req/s, search at ${((rows.find((r) => r.backend === b && r.phase === "search")!.rps / floor(b).rps) * 100).toFixed(0)}% of it`).join("; ");
  if (errors) throw new CheckFailed(`${errors} requests failed:\n${out}`);
  return `${out}\n${verdict}${ratio}\n${ceiling}.${capacity}\n\n${cpuTable(cpuRows)}${profiles.map((p) => `\n\n${p}`).join("")}`;
}

/** Where each phase's CPU went on this machine, per request: all processes share its cores. */
function cpuTable(rows: CpuRow[]): string {
  const measured = rows.filter((r) => r.cpu);
  if (!measured.length) return "CPU by process: not measured (no /proc on this system).";
  const groups = ["web (Next)", "PostgreSQL", "load generator", "other (nodes, worker, launchers)"];
  const cores = availableParallelism();
  return table(`CPU per request by process (ms; the machine has ${cores} cores; the mix's requests are of every kind, its query streams included)`,
    ["backend", "phase", ...groups, "total", "cores busy"],
    measured.map((r) => {
      const of = (g: string) => r.cpu!.find(([k]) => k === g)?.[1] ?? 0;
      const total = r.cpu!.reduce((a, [, ms]) => a + ms, 0);
      return [r.backend, r.phase, ...groups.map((g) => (of(g) / r.requests).toFixed(2)), (total / r.requests).toFixed(2), `${(total / 1000 / r.seconds).toFixed(2)} of ${cores}`];
    }));
}
