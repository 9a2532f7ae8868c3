/**
 * Benchmark of the transparency ledger (server/ledger/log.ts, server/ledger/events.ts), on the
 * embedded database (PGlite in memory) and, when the binaries are installed, on a throwaway
 * PostgreSQL server:
 *
 * 1. Appends: events queued the way the app queues them (`recordEvent(tx, e)` inside a
 *    transaction: one event per transaction, or 100 per transaction), then sequenced into the
 *    tree with `integrate(db, B)` for B ∈ {100, 1000, 5000}. Baseline: the same queueing
 *    without the tree (the LedgerQueue INSERT alone). Target: ≥ 2,000 appends/s on PGlite.
 *    Also the app's batched path: `recordEvents(tx, events)` (one INSERT for a transaction's events).
 * 2. integrate() under LedgerQueue's planner statistics: never analyzed, analyzed while empty,
 *    analyzed with rows; with integrate()'s former move statement (IN (subquery)), which went
 *    quadratic with the statistics of an emptied queue, for comparison.
 * 3. Proofs at 10^6 leaves: LedgerQueue bulk-filled with canonical event bodies by one
 *    `INSERT … SELECT generate_series` per 50,000 events (then ANALYZE, see 2), each followed
 *    by the app's own `integrate(db, 50_000)`; then `inclusionAt` and `consistencyBetween` at
 *    200 random arguments (p50 / p95; target < 5 ms), proof sizes against 32·⌈log2 n⌉.
 *    Baseline: one primary-key lookup of a leaf hash through the same client.
 * 4. Checks before anything is timed, and on every timed output: the tree's root recomputed
 *    in memory from every leaf's body must equal the signed checkpoint's root, proofs must
 *    verify with core/ledger.ts. A wrong result fails the run (CheckFailed).
 *
 * --quick: 500 appends per cell, 2,000-event batches in 2, 10^4 leaves in 3.
 */
import { availableParallelism, loadavg } from "node:os";
import { PerformanceObserver } from "node:perf_hooks";
import pg from "pg";
import {
  consistencyProof, decompose, hex, inclusionProof, leafHash, nodeHash, rootFromLeafHashes, treeRoot, verifyCheckpoint,
  verifyConsistency, verifyInclusion, fromHex, type Hash, type Subtree,
} from "@/core/ledger";
import { openDatabase, type Database, type DbConfig } from "@/server/db/client";
import { eventBody, recordEvent, recordEvents, type LedgerEvent } from "@/server/ledger/events";
import { consistencyBetween, currentCheckpoint, fetchSubtrees, inclusionAt, integrate } from "@/server/ledger/log";
import { ledgerSigningKey } from "@/server/keys";
import { findPostgresBin, startThrowawayPostgres } from "@/scripts/lib/postgres-server";
import { onCleanup } from "./lib/cleanup";
import { bytes, median, ms, now, peakRssMb, ratio, table } from "./lib/report";
import { prng } from "../computation/demo/generate";

export interface LedgerOptions {
  /** 10^4 leaves and fewer appends instead of 10^6 (not for the record) */
  quick: boolean;
  /** measured runs per append cell (after one warm-up of the whole path) */
  reps: number;
  /** only the embedded database, even when a PostgreSQL server is installed */
  pglite: boolean;
}

export class CheckFailed extends Error {}

const TARGET_APPENDS_PER_S = 2000;
const TARGET_PROOF_MS = 5;
const BUILD_CHUNK = 50_000;
const PROOF_SAMPLES = 200;

const started = now();
const log = (msg: string) => process.stderr.write(`[${((now() - started) / 1000).toFixed(0).padStart(4)} s] ledger: ${msg}\n`);
const fail = (why: string): never => { throw new CheckFailed(why); };
const fmtInt = (x: number) => x.toLocaleString("en");
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
const ceilLog2 = (n: number) => { let k = 0; while (2 ** k < n) k++; return k; };
const utf8 = new TextEncoder();
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

// ------------------------------------------------------------------------------- the events

/** A deterministic UUID (v4-shaped); `kind` 0–9 keeps entry, actor, object and product ids apart. */
const uuidOf = (kind: number, i: number) => `00000000-0000-4000-800${kind}-${i.toString(16).padStart(12, "0")}`;
const BASE_MS = Date.UTC(2026, 10, 23);

/** The event of number i: an order placed by one of 50 organisations for one of 1000 products. */
function orderEvent(i: number): LedgerEvent {
  return { type: "order.placed", actorOrgId: uuidOf(1, i % 50), objectId: uuidOf(2, i), refs: { productId: uuidOf(3, i % 1000) }, data: { amountMinor: i, state: "PLACED" } };
}

/**
 * Queue events [$1, $2) in one statement, with the body eventBody(orderEvent(i), uuidOf(0, i), BASE_MS + i ms)
 * written out in SQL (keys in canonical order); checkSqlBodies compares it with eventBody.
 */
const FILL_QUEUE = `
  INSERT INTO "LedgerQueue" ("entryId", "type", "actorOrgId", "objectId", "body", "createdAt")
  SELECT e.id::uuid, 'order.placed', e.actor::uuid, e.obj::uuid,
    '{"actor":"' || e.actor || '","at":"' || to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      || '","data":{"amountMinor":' || g.i || ',"state":"PLACED"},"id":"' || e.id || '","object":"' || e.obj
      || '","refs":{"productId":"' || e.prod || '"},"type":"order.placed","v":1}',
    e.at
  FROM generate_series($1::bigint, $2::bigint - 1) AS g(i),
  LATERAL (SELECT '00000000-0000-4000-8000-' || lpad(to_hex(g.i), 12, '0') AS id,
                  '00000000-0000-4000-8001-' || lpad(to_hex(g.i % 50), 12, '0') AS actor,
                  '00000000-0000-4000-8002-' || lpad(to_hex(g.i), 12, '0') AS obj,
                  '00000000-0000-4000-8003-' || lpad(to_hex(g.i % 1000), 12, '0') AS prod,
                  to_timestamp(${BASE_MS / 1000}) + make_interval(secs => g.i / 1000.0) AS at) AS e
  ORDER BY g.i`;

// ---------------------------------------------------------------------------------- checks

/** Every leaf hash of the tree [0, size), read in index order. */
async function readLeafHashes(db: Database, size: number): Promise<Hash[]> {
  const out: Hash[] = [];
  await db.raw(async (s) => {
    for (let a = 0; a < size; a += 100_000) {
      const rows = await s.query<{ h: Uint8Array }>(`SELECT "leafHash" AS "h" FROM "LedgerLeaf" WHERE "index" >= $1 AND "index" < $2 ORDER BY "index"`, [a, Math.min(size, a + 100_000)]);
      for (const r of rows) out.push(new Uint8Array(r.h));
    }
  });
  if (out.length !== size) fail(`read ${out.length} leaf hashes, expected ${size}`);
  return out;
}

/**
 * Every leaf [0, size) read in index order with its body: SHA-256(0x00 || UTF-8 body) is
 * computed here and must equal the stored leafHash. Returns the hashes packed, 32 bytes each.
 */
async function leafHashesFromBodies(db: Database, size: number): Promise<Uint8Array> {
  const packed = new Uint8Array(size * 32);
  let count = 0;
  await db.raw(async (s) => {
    for (let a = 0; a < size; a += 50_000) {
      const rows = await s.query<{ i: string; b: string; h: Uint8Array }>(
        `SELECT "index"::text AS "i", "body" AS "b", "leafHash" AS "h" FROM "LedgerLeaf" WHERE "index" >= $1 AND "index" < $2 ORDER BY "index"`, [a, Math.min(size, a + 50_000)]);
      rows.forEach((r, k) => {
        if (Number(r.i) !== a + k) fail(`leaf ${a + k} is missing (found ${r.i})`);
        const h = leafHash(utf8.encode(r.b));
        if (!sameBytes(h, new Uint8Array(r.h))) fail(`leaf ${r.i}: stored leafHash differs from SHA-256(0x00 || body)`);
        packed.set(h, (a + k) * 32);
      });
      count += rows.length;
    }
  });
  if (count !== size) fail(`read ${count} leaves, expected ${size}`);
  return packed;
}

/** The signed checkpoint of the whole tree, its signature checked, and its root as bytes. */
async function checkpointOf(db: Database, expectSize: number) {
  const cp = await currentCheckpoint(db.prisma);
  if (!verifyCheckpoint(cp, ledgerSigningKey().publicKey)) fail(`checkpoint of size ${cp.size} has a bad signature`);
  if (cp.size !== expectSize) fail(`checkpoint size ${cp.size}, expected ${expectSize}`);
  return { ...cp, rootBytes: fromHex(cp.root, 32) };
}

/**
 * The tree kept in memory level by level (packed 32-byte hashes), built from leaf hashes by
 * pairing: an independent source of every stored subtree hash, for checking proofs and roots.
 */
class MemoryTree {
  readonly levels: Uint8Array[] = [];
  constructor(leaves: Uint8Array) {
    let level = leaves;
    this.levels.push(level);
    while (level.length >= 64) {
      const count = Math.floor(level.length / 64);
      const up = new Uint8Array(count * 32);
      for (let i = 0; i < count; i++) up.set(nodeHash(level.subarray(64 * i, 64 * i + 32), level.subarray(64 * i + 32, 64 * i + 64)), 32 * i);
      this.levels.push(up);
      level = up;
    }
  }
  get = (s: Subtree): Hash => {
    const h = this.levels[s.level]?.subarray(32 * s.index, 32 * s.index + 32);
    if (!h || h.length !== 32) throw new Error(`no subtree ${s.level}/${s.index} in memory`);
    return h;
  };
  fetch = async (needed: Subtree[]) => needed.map(this.get);
  leaf = (i: number) => this.get({ level: 0, index: i });
  root = (size: number) => treeRoot(size, this.fetch);
  leafList = (size: number): Hash[] => Array.from({ length: size }, (_, i) => this.leaf(i));
}

/**
 * The whole tree is right: every stored leaf hash equals SHA-256(0x00 || body) computed here,
 * the root recomputed in memory from those (by RFC 6962's MTH when `mth`, and from the
 * in-memory subtrees) equals the signed checkpoint's, proofs for `probe` leaves verify against
 * it, and the stored subtrees of the right edge equal the in-memory ones.
 */
async function checkWholeTree(db: Database, size: number, probe: number[], mth = true) {
  const cp = await checkpointOf(db, size);
  const mem = new MemoryTree(await leafHashesFromBodies(db, size));
  if (mth && hex(rootFromLeafHashes(mem.leafList(size))) !== cp.root) fail(`MTH of the ${size} leaves recomputed from their bodies differs from the checkpoint's root`);
  if (hex(await mem.root(size)) !== cp.root) fail(`root of the ${size} leaves recomputed from their bodies differs from the checkpoint's`);
  const edge = decompose(0, size);
  const storedEdge = await fetchSubtrees(db.prisma, edge);
  edge.forEach((s, k) => { if (!sameBytes(storedEdge[k]!, mem.get(s))) fail(`stored subtree ${s.level}/${s.index} differs from the one recomputed`); });
  for (const i of probe) {
    const proof = (await inclusionAt(db.prisma, i, size)).map((h) => fromHex(h, 32));
    verifyInclusion(mem.leaf(i), i, size, proof, cp.rootBytes);
  }
  return { cp, mem };
}

// -------------------------------------------------------------------------------- appends

/** How a transaction queues its events: recordEvent once per event, or recordEvents once for all of them. */
type Via = "recordEvent" | "recordEvents";
type AppendCell = { name: string; perTx: 1 | 100; via: Via; batch: number | null };
type AppendResult = { cell: AppendCell; runs: { totalMs: number; queueMs: number; integrateMs: number }[]; integrateCalls: number[] };

async function appendRun(db: Database, cell: AppendCell, events: number, next: { i: number }) {
  let queueMs = 0, integrateMs = 0;
  const calls: number[] = [];
  const t0 = now();
  const chunk = cell.batch ?? events;
  for (let s = 0; s < events; s += chunk) {
    const m = Math.min(chunk, events - s);
    let t = now();
    for (let k = 0; k < m; k += cell.perTx) {
      const c = Math.min(cell.perTx, m - k);
      if (cell.via === "recordEvent") {
        await db.prisma.$transaction(async (tx) => {
          for (let j = 0; j < c; j++) await recordEvent(tx, orderEvent(next.i++));
        });
      } else {
        await db.prisma.$transaction(async (tx) => recordEvents(tx, Array.from({ length: c }, () => orderEvent(next.i++))));
      }
    }
    queueMs += now() - t;
    if (cell.batch) {
      t = now();
      const { added } = await integrate(db.prisma, cell.batch);
      const dt = now() - t;
      if (added !== m) fail(`integrate(${cell.batch}) added ${added} of ${m} queued events`);
      calls.push(dt);
      integrateMs += dt;
    }
  }
  return { totalMs: now() - t0, queueMs, integrateMs, calls };
}

async function runAppends(name: string, db: Database, opts: LedgerOptions) {
  const events = opts.quick ? 500 : 5000;
  const batches = opts.quick ? [100, 500] : [100, 1000, 5000];
  const cells: AppendCell[] = [];
  for (const [perTx, via] of [[1, "recordEvent"], [100, "recordEvent"], [100, "recordEvents"]] as const) {
    const what = via === "recordEvent" ? `recordEvent ${perTx}/tx` : `recordEvents ${perTx}/tx`;
    cells.push({ name: `${what}, queue only (baseline)`, perTx, via, batch: null });
    for (const b of batches) cells.push({ name: `${what} + integrate(${fmtInt(b)})`, perTx, via, batch: b });
  }
  const next = { i: 0 };
  let leaves = 0;
  const clearQueue = () => db.raw((s) => s.exec(`DELETE FROM "LedgerQueue"`));

  // Warm-up of the whole path, then check its output before anything is timed.
  let t = now();
  const warm = await appendRun(db, { name: "warm-up", perTx: 1, via: "recordEvent", batch: 100 }, 500, next);
  leaves += 500;
  await appendRun(db, { name: "warm-up", perTx: 100, via: "recordEvent", batch: 1000 }, 1000, next);
  await appendRun(db, { name: "warm-up", perTx: 100, via: "recordEvents", batch: 1000 }, 1000, next);
  leaves += 2000;
  await appendRun(db, { name: "warm-up", perTx: 100, via: "recordEvents", batch: null }, 200, next);
  await clearQueue();
  await checkWholeTree(db, leaves, [0, 1, 499, 500, 1500, leaves - 1]);
  log(`${name}: warm-up (${fmtInt(leaves)} events queued and integrated, ${ms(warm.totalMs)} for the first 500) and check in ${ms(now() - t)}: root from bodies = checkpoint root, proofs verify ✓`);

  // Where the time of a queued event goes: one statement's round trip through Prisma vs the raw driver.
  const roundTrip = async (fn: () => Promise<unknown>) => {
    for (let k = 0; k < 20; k++) await fn();
    const xs: number[] = [];
    for (let k = 0; k < 300; k++) { const t1 = now(); await fn(); xs.push(now() - t1); }
    return median(xs);
  };
  const roundTrips = {
    prisma: await roundTrip(() => db.prisma.$queryRaw`SELECT 1`),
    raw: await db.raw((s) => roundTrip(() => s.query("SELECT 1"))),
    tx: await roundTrip(() => db.prisma.$transaction(async (tx) => tx.$queryRaw`SELECT 1`)),
  };

  const results: AppendResult[] = cells.map((cell) => ({ cell, runs: [], integrateCalls: [] }));
  for (let rep = 1; rep <= opts.reps; rep++) { // round robin, so that noise spreads over every cell
    t = now();
    for (const r of results) {
      const run = await appendRun(db, r.cell, events, next);
      r.runs.push(run);
      r.integrateCalls.push(...run.calls);
      if (r.cell.batch) leaves += events;
      else await clearQueue();
    }
    log(`${name}: append round ${rep}/${opts.reps} (${cells.length} cells × ${fmtInt(events)} events) in ${ms(now() - t)}`);
  }
  t = now();
  const [queued] = await db.raw((s) => s.query<{ n: number }>(`SELECT count(*)::int AS "n" FROM "LedgerQueue"`));
  if (queued!.n !== 0) fail(`${queued!.n} events left in the queue`);
  await checkWholeTree(db, leaves, [0, leaves >> 1, leaves - 1]);
  log(`${name}: after the measured runs, all ${fmtInt(leaves)} leaves re-hashed from their bodies: root = checkpoint root ✓ (${ms(now() - t)})`);
  return { events, results, leaves, roundTrips };
}

// ---------------------------------------------------------------------------------- proofs

/** Number of hashes in PATH(index, D[size]) (RFC 6962 §2.1.1), without building it. */
function pathLength(index: number, size: number): number {
  let [lo, hi, k] = [0, size, 0];
  while (hi - lo > 1) {
    let split = 1;
    while (split * 2 < hi - lo) split *= 2;
    if (index < lo + split) hi = lo + split; else lo += split;
    k++;
  }
  return k;
}

async function checkSqlBodies(db: Database, sample: number[]) {
  const rows = await db.raw((s) => s.query<{ i: string; b: string; e: string; c: Date }>(
    `SELECT "index"::text AS "i", "body" AS "b", "entryId"::text AS "e", "createdAt" AS "c" FROM "LedgerLeaf" WHERE "index" = ANY($1::bigint[])`, [sample]));
  if (rows.length !== sample.length) fail(`found ${rows.length} of ${sample.length} sampled leaves`);
  for (const r of rows) {
    const i = Number(r.i), at = new Date(BASE_MS + i);
    const want = eventBody(orderEvent(i), uuidOf(0, i), at);
    if (r.b !== want) fail(`leaf ${i}: the SQL-built body differs from eventBody():\n  sql:  ${r.b}\n  want: ${want}`);
    if (r.e !== uuidOf(0, i) || new Date(r.c).getTime() !== at.getTime()) fail(`leaf ${i}: entryId ${r.e} / createdAt ${String(r.c)} out of order`);
  }
}

type ProofRun = {
  size: number; chunk: number; buildMs: number; fillMs: number; integrateMs: number; integrateCalls: number; checkMs: number; passes: number;
  lookup: number[]; inclusion: number[]; consistency: number[]; storedRoot: number[];
  naiveRootMs: number; readLeavesMs: number; gcMs: number; gcCount: number; gcMaxMs: number;
  inclusionLens: number[]; consistencyLens: number[]; allPathMax: number; allPathMedian: number; atMax: number;
  rssMb: number;
};

async function runProofs(name: string, db: Database, opts: LedgerOptions): Promise<ProofRun> {
  const size = opts.quick ? 10_000 : 1_000_000;
  const chunk = opts.quick ? 2000 : BUILD_CHUNK;
  const checkpoints: { size: number; root: string }[] = [];
  const rss = () => `${Math.round(process.memoryUsage().rss / 1e6)} MB RSS`;

  // Build: bulk-fill the queue, then the app's integrate() in batches of 50,000.
  let fillMs = 0, integrateMs = 0, integrateCalls = 0;
  const t0 = now();
  for (let a = 0; a < size; a += chunk) {
    const b = Math.min(size, a + chunk);
    let t = now();
    await db.raw(async (s) => {
      await s.query(FILL_QUEUE, [a, b]);
      await s.exec(`ANALYZE "LedgerQueue"`); // plan integrate() on the queue's real size: see runQueueStatistics
    });
    fillMs += now() - t;
    t = now();
    const r = await integrate(db.prisma, chunk);
    integrateMs += now() - t;
    integrateCalls++;
    if (r.added !== b - a || r.size !== b) fail(`integrate added ${r.added} (size ${r.size}), expected ${b - a} (size ${b})`);
    if (a === 0 || (checkpoints.length < 3 && b >= size * (checkpoints.length / 3))) { // a few signed tree heads along the way
      const cp = await currentCheckpoint(db.prisma);
      checkpoints.push({ size: cp.size, root: cp.root });
    }
    if ((b / chunk) % 4 === 0 || b === size) log(`${name}: built ${fmtInt(b)} / ${fmtInt(size)} leaves (${ms(now() - t0)}, ${rss()})`);
  }
  const buildMs = now() - t0;
  log(`${name}: built ${fmtInt(size)} leaves in ${ms(buildMs)} (fill queue ${ms(fillMs)}, ${integrateCalls} × integrate(${fmtInt(chunk)}) ${ms(integrateMs)})`);

  // Checks before timing: bodies are eventBody's, stored hashes and the root are right, proofs verify.
  let t = now();
  const rnd = prng(6962);
  const randomIndex = (n: number) => Math.floor(rnd() * n);
  await checkSqlBodies(db, [0, 1, 2, 49, 999, 1000, size >> 1, size - 2, size - 1, ...Array.from({ length: 20 }, () => randomIndex(size))].filter((v, k, a) => a.indexOf(v) === k));
  const edges = [0, 1, size - 1, size - 2, 2 ** (ceilLog2(size) - 1) - 1, Math.min(size - 1, 2 ** (ceilLog2(size) - 1))];
  const { cp, mem } = await checkWholeTree(db, size, edges, false);
  for (const c of checkpoints) {
    if (hex(await mem.root(c.size)) !== c.root) fail(`checkpoint at size ${c.size}: root differs from the one recomputed`);
    if (c.size < size) verifyConsistency(c.size, size, fromHex(c.root, 32), cp.rootBytes, (await consistencyBetween(db.prisma, c.size, size)).map((h) => fromHex(h, 32)));
  }
  // The naive alternative, also the last check: every leaf hash read back, RFC 6962's MTH computed over all of them.
  let t1 = now();
  let hashes: Hash[] | null = await readLeafHashes(db, size);
  const readLeavesMs = now() - t1;
  t1 = now();
  const naiveRoot = hex(rootFromLeafHashes(hashes));
  const naiveRootMs = now() - t1;
  hashes = null;
  if (naiveRoot !== cp.root) fail("rootFromLeafHashes over every stored leaf hash differs from the checkpoint root");
  const checkMs = now() - t;
  log(`${name}: checked in ${ms(checkMs)} (${rss()}): SQL bodies = eventBody(), ${fmtInt(size)} leaf hashes = SHA-256(0x00 || body), MTH of all leaves = checkpoint root, ` +
    `${edges.length} inclusion proofs and ${checkpoints.length - 1} consistency proofs (sizes ${checkpoints.map((c) => fmtInt(c.size)).join(", ")}) verify ✓`);

  // Timing: each operation over the same random arguments, `passes` times, interleaved; GC pauses counted.
  const passes = Math.max(1, opts.reps);
  const idx = Array.from({ length: PROOF_SAMPLES }, () => randomIndex(size));
  const from = Array.from({ length: PROOF_SAMPLES }, () => 1 + randomIndex(size - 1));
  const lookupOne = (i: number) => db.prisma.$queryRaw<{ h: Uint8Array }[]>`SELECT "leafHash" AS "h" FROM "LedgerLeaf" WHERE "index" = ${i}`;
  const ops = {
    lookup: (k: number) => lookupOne(idx[k]!),
    inclusion: (k: number) => inclusionAt(db.prisma, idx[k]!, size),
    consistency: (k: number) => consistencyBetween(db.prisma, from[k]!, size),
    storedRoot: async () => hex(await treeRoot(size, (x) => fetchSubtrees(db.prisma, x))),
  };
  type Op = keyof typeof ops;
  const times = Object.fromEntries(Object.keys(ops).map((k) => [k, [] as number[]])) as Record<Op, number[]>;
  const outs = Object.fromEntries(Object.keys(ops).map((k) => [k, [] as unknown[]])) as Record<Op, unknown[]>;
  for (const op of Object.keys(ops) as Op[]) for (let k = 0; k < 20; k++) await ops[op](k); // warm-up
  let gcMs = 0, gcCount = 0, gcMaxMs = 0;
  const gc = new PerformanceObserver((list) => { for (const e of list.getEntries()) { gcMs += e.duration; gcCount++; gcMaxMs = Math.max(gcMaxMs, e.duration); } });
  gc.observe({ entryTypes: ["gc"] });
  t = now();
  for (let pass = 0; pass < passes; pass++) {
    for (let k = 0; k < PROOF_SAMPLES; k++) {
      for (const op of Object.keys(ops) as Op[]) {
        if (op === "storedRoot" && k % 4) continue;
        const t2 = now();
        const out = await ops[op](k);
        times[op].push(now() - t2);
        if (pass === 0) outs[op][k] = out;
      }
    }
  }
  await new Promise((r) => setTimeout(r, 10)); // let the observer deliver
  gc.disconnect();
  log(`${name}: ${passes} pass(es) × ${PROOF_SAMPLES} lookups, inclusion and consistency proofs timed in ${ms(now() - t)} (GC: ${gcCount} pauses, ${ms(gcMs)})`);

  // Every timed output is right.
  const lookups = outs.lookup as Awaited<ReturnType<typeof lookupOne>>[];
  const inclusions = outs.inclusion as string[][], consistencies = outs.consistency as string[][];
  for (let k = 0; k < PROOF_SAMPLES; k++) {
    const i = idx[k]!, m = from[k]!;
    if (lookups[k]!.length !== 1 || !sameBytes(new Uint8Array(lookups[k]![0]!.h), mem.leaf(i))) fail(`lookup of leaf ${i} returned the wrong hash`);
    verifyInclusion(mem.leaf(i), i, size, inclusions[k]!.map((h) => fromHex(h, 32)), cp.rootBytes);
    verifyConsistency(m, size, await mem.root(m), cp.rootBytes, consistencies[k]!.map((h) => fromHex(h, 32)));
    if (k < 20) { // the same proofs planned and assembled from the in-memory tree are identical
      if ((await inclusionProof(i, size, mem.fetch)).map(hex).join() !== inclusions[k]!.join()) fail(`inclusion proof of leaf ${i} differs from the in-memory one`);
      if ((await consistencyProof(m, size, mem.fetch)).map(hex).join() !== consistencies[k]!.join()) fail(`consistency proof from ${m} differs from the in-memory one`);
    }
  }
  if ((outs.storedRoot as (string | undefined)[]).some((r) => r !== undefined && r !== cp.root)) fail("root from stored subtrees differs from the checkpoint's");

  // Path lengths of every leaf (arithmetic; the sampled proofs have these lengths).
  const lens = new Uint8Array(size);
  for (let i = 0; i < size; i++) lens[i] = pathLength(i, size);
  idx.forEach((i, k) => { if (inclusions[k]!.length !== lens[i]) fail(`proof of leaf ${i} has ${inclusions[k]!.length} hashes, RFC 6962 says ${lens[i]}`); });
  const hist = new Array<number>(64).fill(0);
  for (const l of lens) hist[l]!++;
  const allPathMax = hist.findLastIndex((c) => c > 0), atMax = hist[allPathMax]!;
  let acc = 0, allPathMedian = 0;
  for (let l = 0; l < hist.length; l++) { acc += hist[l]!; if (acc >= size / 2) { allPathMedian = l; break; } }

  return {
    size, chunk, buildMs, fillMs, integrateMs, integrateCalls, checkMs, passes,
    lookup: times.lookup, inclusion: times.inclusion, consistency: times.consistency, storedRoot: times.storedRoot,
    naiveRootMs, readLeavesMs, gcMs, gcCount, gcMaxMs,
    inclusionLens: inclusions.map((p) => p.length), consistencyLens: consistencies.map((p) => p.length),
    allPathMax, allPathMedian, atMax, rssMb: peakRssMb(),
  };
}

// ----------------------------------------------------------------- the queue's statistics

/** integrate()'s move statement, as in server/ledger/log.ts ($1 = tree size, $2 = max); `pick` chooses the queued rows. */
const moveStatement = (pick: string) => `WITH moved AS (
    DELETE FROM "LedgerQueue" WHERE ${pick} RETURNING *)
  INSERT INTO "LedgerLeaf" ("index", "entryId", "type", "actorOrgId", "objectId", "body", "leafHash", "createdAt")
  SELECT $1::bigint + row_number() OVER (ORDER BY "seq") - 1, "entryId", "type", "actorOrgId", "objectId", "body",
    sha256('\\x00'::bytea || convert_to("body", 'UTF8')), "createdAt" FROM moved
  RETURNING "index"::text AS "i", encode("leafHash", 'hex') AS "h"`;
/** integrate()'s former statement (IN (subquery)) and its current one (= ANY(ARRAY(subquery))). */
const MOVE_OLD = moveStatement(`"seq" IN (SELECT "seq" FROM "LedgerQueue" ORDER BY "seq" LIMIT $2)`);
const MOVE_APP = moveStatement(`"seq" = ANY(ARRAY(SELECT "seq" FROM "LedgerQueue" ORDER BY "seq" LIMIT $2))`);

type StatsRow = { state: string; stats: string; integrateMs: number; oldMs: number; currentMs: number; oldPlan: string; currentPlan: string };

/**
 * integrate(batch) under the states of LedgerQueue's planner statistics that occur, on a fresh
 * database whose queue has already been filled and drained once (so its heap has pages):
 * never analyzed; analyzed while empty and never while holding rows (likely on PostgreSQL,
 * whose autovacuum analyzes a queue that integrate() keeps draining: reltuples 0, no column
 * statistics); analyzed while rows wait; analyzed while empty after that. In each state the
 * former and current move statements are timed alone too, in a transaction rolled
 * back; they must move the same rows to the same indexes.
 */
async function runQueueStatistics(name: string, db: Database, batch: number): Promise<StatsRow[]> {
  const rows: StatsRow[] = [];
  let base = 0;
  const fill = async () => { await db.raw((s) => s.query(FILL_QUEUE, [base, base + batch])); base += batch; };
  const analyze = () => db.raw((s) => s.exec(`ANALYZE "LedgerQueue"`));
  if (db.config.kind === "postgres") await db.raw((s) => s.exec(`ALTER TABLE "LedgerQueue" SET (autovacuum_enabled = false)`)); // this section analyzes by itself
  await fill();
  if ((await integrate(db.prisma, batch)).added !== batch) fail("the first batch was not integrated");
  const states: [string, () => Promise<void>][] = [
    ["never analyzed", fill],
    ["analyzed while empty, never with rows", async () => { await analyze(); await fill(); }],
    [`analyzed with ${fmtInt(batch)} queued`, async () => { await fill(); await analyze(); }],
    ["analyzed while empty, after that", async () => { await analyze(); await fill(); }],
  ];
  for (const [state, prepare] of states) {
    await prepare();
    const [st] = await db.raw((s) => s.query<{ t: number; p: number }>(`SELECT reltuples::float8 AS "t", relpages AS "p" FROM pg_class WHERE relname = 'LedgerQueue'`));
    const alone = (sql: string) => db.raw(async (s) => {
      const [size] = await s.query<{ n: string }>(`SELECT (coalesce(max("index"), -1) + 1)::text AS "n" FROM "LedgerLeaf"`);
      const plan = (await s.query<Record<string, string>>(`EXPLAIN ${sql}`, [size!.n, batch])).map((r) => Object.values(r)[0]!.trim());
      await s.exec("BEGIN");
      try {
        const t = now();
        const out = await s.query<{ i: string; h: string }>(sql, [size!.n, batch]);
        return { ms: now() - t, out: out.map((r) => `${r.i}:${r.h}`).sort().join(), plan: plan.find((l) => /Join|Nested Loop|Index Cond/.test(l))?.replace(/^->\s*/, "").replace(/\s*\(cost=.*$/, "") ?? "?" };
      } finally {
        await s.exec("ROLLBACK");
      }
    });
    const old = await alone(MOVE_OLD), current = await alone(MOVE_APP);
    if (old.out !== current.out || old.out.split(",").length !== batch) fail(`the former and current move statements moved different rows (${state})`);
    const t = now();
    const r = await integrate(db.prisma, batch);
    const integrateMs = now() - t;
    if (r.added !== batch) fail(`integrate(${batch}) added ${r.added}`);
    const stats = st!.t < 0 ? `unknown / ${st!.p}` : `${fmtInt(st!.t)} / ${st!.p}`;
    rows.push({ state, stats, integrateMs, oldMs: old.ms, currentMs: current.ms, oldPlan: old.plan, currentPlan: current.plan });
    log(`${name}: queue ${state} (reltuples / relpages ${stats}): integrate(${batch}) ${ms(integrateMs)}; former move statement alone ${ms(old.ms)} (${old.plan}), current ${ms(current.ms)} (${current.plan})`);
  }
  await checkWholeTree(db, base, [0, base - 1]);
  return rows;
}

function statsTable(r: BackendRun): string {
  const batch = fmtInt(r.statsBatch);
  return table(`integrate(${batch}) and LedgerQueue's planner statistics, on ${r.name}`,
    ["queue statistics", "reltuples / relpages", `integrate(${batch})`, "former move statement alone", "current move statement alone", "plan: former → current"],
    r.stats.map((x) => [x.state, x.stats, ms(x.integrateMs), ms(x.oldMs), ms(x.currentMs), `${x.oldPlan} → ${x.currentPlan}`]), [
      `A fresh database; its queue was filled and drained once. Each row: ${batch} events queued by one INSERT … SELECT generate_series, ANALYZE "LedgerQueue" as stated, then timed once.`,
      "former move statement: DELETE … WHERE \"seq\" IN (SELECT \"seq\" … ORDER BY \"seq\" LIMIT $2) … INSERT INTO \"LedgerLeaf\", alone, rolled back.",
      "current (integrate()'s now): the same with WHERE \"seq\" = ANY(ARRAY(SELECT \"seq\" … LIMIT $2)); both move exactly the same rows to the same indexes.",
      "Analyzed while empty and never with rows (reltuples 0 over pages left by deleted rows, no column statistics), the planner expects one row and picks a nested-loop",
      "  semi-join that re-runs the LIMIT subquery for each queued row: quadratic in the batch. On PostgreSQL, autovacuum's first ANALYZE of a drained queue leaves it so",
      "  (it stalled a development run of this benchmark: integrate(50,000) ran for minutes); an ANALYZE that finds rows, or a VACUUM that truncates the queue, ends it.",
    ]);
}

// ------------------------------------------------------------------------------- a backend

type BackendRun = { name: string; appends: Awaited<ReturnType<typeof runAppends>>; statsBatch: number; stats: StatsRow[]; proofs: ProofRun };

async function withDb<T>(name: string, config: DbConfig, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(config);
  const close = onCleanup(`close ${name}`, () => db.close());
  try {
    return await fn(db);
  } finally {
    await close();
  }
}

async function runBackend(name: string, config: () => DbConfig, opts: LedgerOptions): Promise<BackendRun> {
  const appends = await withDb(name, config(), (db) => runAppends(name, db, opts));
  const statsBatch = opts.quick ? 2000 : 5000;
  const stats = await withDb(name, config(), (db) => runQueueStatistics(name, db, statsBatch));
  const proofs = await withDb(name, config(), (db) => runProofs(name, db, opts));
  return { name, appends, statsBatch, stats, proofs };
}

// ------------------------------------------------------------------------------- the report

function appendTable(r: BackendRun, reps: number): string {
  const { events, results } = r.appends;
  const best = (x: AppendResult) => median(x.runs.map((y) => y.totalMs));
  const baseOf = (c: AppendCell) => best(results.find((x) => x.cell.perTx === c.perTx && x.cell.via === c.via && x.cell.batch === null)!);
  const rows = results.map((x) => {
    const total = best(x), base = baseOf(x.cell), rate = (events / total) * 1000;
    return [
      x.cell.name, fmtInt(events),
      ms(median(x.runs.map((y) => y.queueMs))), x.cell.batch ? ms(median(x.runs.map((y) => y.integrateMs))) : "–",
      x.cell.batch ? ms(median(x.integrateCalls)) : "–", x.cell.batch ? ms(Math.max(...x.integrateCalls)) : "–",
      ms(total), fmtInt(Math.round(rate)), x.cell.batch ? ratio(total / base) : "1 (baseline)",
      x.cell.batch ? (rate >= TARGET_APPENDS_PER_S ? "✓" : "✗") : "",
    ];
  });
  return table(`Appends on ${r.name}: ${fmtInt(events)} events per run, median of ${reps} run${reps > 1 ? "s" : ""}`,
    ["variant", "events", "queue", "integrate", "integrate() call: median", "slowest", "total", "events/s", "time vs baseline", `≥ ${fmtInt(TARGET_APPENDS_PER_S)}/s`], rows, [
      "queue: recordEvent(tx, event) inside db.prisma.$transaction, 1 or 100 events per transaction (the app's path). integrate(B): called once per B queued events,",
      "  so the queue never holds more than B. total = queue + integrate, wall time; events/s = events / total. Baseline: the same queueing with no tree (LedgerQueue INSERT alone);",
      "  'time vs baseline' = total / baseline total with the same events per transaction, i.e. what sequencing into the tree adds.",
      "recordEvents: the same events queued by one statement per transaction (server/ledger/events.ts recordEvents, one createMany): what a change that records",
      "  several events, or a batch of changes, uses; one Prisma statement per event is where recordEvent's time goes.",
      `Median round trip of one statement (SELECT 1): ${ms(r.appends.roundTrips.prisma)} through Prisma, ${ms(r.appends.roundTrips.raw)} through the raw driver; ` +
        `an interactive transaction around it (db.prisma.$transaction): ${ms(r.appends.roundTrips.tx)}.`,
      `The tree grew from 2,500 (warm-up) to ${fmtInt(r.appends.leaves)} leaves during these runs; cells ran round-robin, ${reps} round${reps > 1 ? "s" : ""}.`,
    ]);
}

function proofTables(r: BackendRun): string {
  const p = r.proofs;
  const bound = 32 * ceilLog2(p.size);
  const base = pct(p.lookup, 50);
  const line = (label: string, xs: number[], target: boolean) => [label, String(xs.length), ms(pct(xs, 50)), ms(pct(xs, 95)), ms(Math.max(...xs)), ratio(pct(xs, 50) / base),
    target ? (pct(xs, 95) < TARGET_PROOF_MS ? "✓ p95" : pct(xs, 50) < TARGET_PROOF_MS ? "✓ p50, ✗ p95" : "✗") : ""];
  const timing = table(`Proofs on ${r.name}: ${fmtInt(p.size)} leaves, built in ${ms(p.buildMs)}`,
    ["operation", "n", "p50", "p95", "max", "p50 vs PK lookup", `< ${TARGET_PROOF_MS} ms`], [
      line("primary-key lookup of one leaf hash (baseline)", p.lookup, false),
      line("inclusionAt(db, index, size)", p.inclusion, true),
      line("consistencyBetween(db, from, size)", p.consistency, true),
      line("root from stored subtrees (treeRoot + fetchSubtrees)", p.storedRoot, false),
      ["naive: rootFromLeafHashes over all leaf hashes in memory", "1", ms(p.naiveRootMs), "", "", ratio(p.naiveRootMs / base), ""],
      ["  (+ reading all leaf hashes from the database first)", "1", ms(p.readLeavesMs), "", "", ratio(p.readLeavesMs / base), ""],
    ], [
      `Build: LedgerQueue filled by INSERT … SELECT generate_series (${fmtInt(p.chunk)} canonical event bodies per statement, then ANALYZE "LedgerQueue"; ${ms(p.fillMs)} in all), each followed by the app's`,
      `  integrate(db, ${fmtInt(p.chunk)}) (${p.integrateCalls} calls, ${ms(p.integrateMs)}: leaf hashes in SQL, ~${fmtInt(p.size)} LedgerNode rows). Checks before timing: ${ms(p.checkMs)}.`,
      `Wall time through db.prisma at ${PROOF_SAMPLES} random leaf indexes / old sizes (same seed on every backend), ${p.passes} pass${p.passes > 1 ? "es" : ""} after 20 warm-up calls each,`,
      `  operations interleaved; nearest-rank percentiles. GC during the timed passes: ${p.gcCount} pauses, ${ms(p.gcMs)} in all, longest ${ms(p.gcMaxMs)}.`,
      "inclusionAt / consistencyBetween: 2 statements (treeSize's max(index), then leaf and node hashes in one UNION ALL).",
      "Every proof returned was verified (core/ledger verifyInclusion / verifyConsistency) against the signed checkpoint's root and against roots recomputed in memory from the bodies.",
      "Baseline for the ratio: SELECT \"leafHash\" … WHERE \"index\" = $1 through the same client (one round trip, one index probe).",
    ]);
  const maxOf = (lens: number[]) => 32 * Math.max(...lens);
  const sizes = table(`Proof sizes at ${fmtInt(p.size)} leaves (32-byte hashes; bound 32·⌈log2 n⌉ = 32 × ${ceilLog2(p.size)} = ${bound} B)`,
    ["proof", "typical (median)", "min", "max", "over all leaves", "max vs 32·⌈log2 n⌉"], [
      [`inclusion, ${PROOF_SAMPLES} random leaves`, bytes(32 * median(p.inclusionLens)), bytes(32 * Math.min(...p.inclusionLens)), bytes(maxOf(p.inclusionLens)),
        `median ${32 * p.allPathMedian} B, max ${32 * p.allPathMax} B (${(100 * p.atMax / p.size).toFixed(1)} % of leaves)`,
        Math.max(maxOf(p.inclusionLens), 32 * p.allPathMax) <= bound ? "✓ ≤ bound" : "✗ over"],
      [`consistency, ${PROOF_SAMPLES} random old sizes`, bytes(32 * median(p.consistencyLens)), bytes(32 * Math.min(...p.consistencyLens)), bytes(maxOf(p.consistencyLens)), "",
        maxOf(p.consistencyLens) <= bound ? "≤ bound" : `+${maxOf(p.consistencyLens) - bound} B (no target)`],
    ], [
      "RFC 6962 inclusion paths are ⌈log2 n⌉ hashes long for leaves in the left, complete part of the tree and shorter towards the right edge, whose subtrees are smaller",
      "  ('over all leaves': every leaf's path length, computed arithmetically). A consistency proof may be a hash longer than ⌈log2 n⌉ (old right edge + new siblings).",
    ]);
  return timing + sizes;
}

// --------------------------------------------------------------------------------- the run

export async function runLedgerBenchmark(opts: LedgerOptions): Promise<string> {
  const loadAtStart = loadavg()[0]!;
  const runs: BackendRun[] = [];
  runs.push(await runBackend("PGlite (embedded, in memory)", () => ({ kind: "pglite", dir: null }), opts));
  const bin = opts.pglite ? null : findPostgresBin();
  if (bin) {
    const server = await startThrowawayPostgres(bin, { prefix: "bench-ledger-pg-" });
    const stop = onCleanup("stop the PostgreSQL server", () => server.stop());
    try {
      const version = bin.split("/").at(-2);
      // Each phase gets a fresh database on the same server.
      const admin = new pg.Client({ connectionString: server.url });
      await admin.connect();
      const configs: DbConfig[] = [];
      try {
        for (const dbName of ["ledger_appends", "ledger_statistics", "ledger_proofs"]) {
          await admin.query(`CREATE DATABASE ${dbName}`);
          configs.push({ kind: "postgres", url: server.url.replace(/\/postgres$/, `/${dbName}`) });
        }
      } finally {
        await admin.end();
      }
      runs.push(await runBackend(`PostgreSQL ${version} (throwaway server, fsync off)`, () => configs.shift()!, opts));
    } finally {
      await stop();
    }
  } else {
    log(opts.pglite ? "--pglite: PostgreSQL skipped" : "no PostgreSQL binaries under /usr/lib/postgresql: PostgreSQL skipped");
  }

  const out: string[] = [];
  for (const r of runs) out.push(appendTable(r, opts.reps));
  for (const r of runs) out.push(statsTable(r));
  for (const r of runs) out.push(proofTables(r));

  const verdicts: string[] = [];
  for (const r of runs) {
    const rate = (x: AppendResult) => (r.appends.events / median(x.runs.map((y) => y.totalMs))) * 1000;
    const bestOf = (f: (c: AppendCell) => boolean) => r.appends.results.filter((x) => x.cell.batch && f(x.cell)).reduce((a, b) => (rate(a) >= rate(b) ? a : b));
    const verdictOf = (x: AppendResult) => `${fmtInt(Math.round(rate(x)))}/s (${x.cell.name}) → ${rate(x) >= TARGET_APPENDS_PER_S ? "PASS" : "FAIL"}`;
    verdicts.push(`${r.name}:`,
      `  appends, recordEvent per event, best: ${verdictOf(bestOf((c) => c.via === "recordEvent"))}`,
      `  appends, one event per transaction, best: ${verdictOf(bestOf((c) => c.perTx === 1))}`,
      `  appends, batched queueing (recordEvents), best: ${verdictOf(bestOf((c) => c.via === "recordEvents"))} (target ≥ ${fmtInt(TARGET_APPENDS_PER_S)}/s with batching)`);
    const incl = pct(r.proofs.inclusion, 95), cons = pct(r.proofs.consistency, 95);
    const maxIncl = 32 * Math.max(r.proofs.allPathMax, ...r.proofs.inclusionLens), bound = 32 * ceilLog2(r.proofs.size);
    verdicts.push(`  inclusion proof at ${fmtInt(r.proofs.size)} leaves: p95 ${ms(incl)} → ${incl < TARGET_PROOF_MS ? "PASS" : "FAIL"}; consistency p95 ${ms(cons)} → ${cons < TARGET_PROOF_MS ? "PASS" : "FAIL"} (target < ${TARGET_PROOF_MS} ms)`,
      `  inclusion proof size: max ${maxIncl} B ${maxIncl <= bound ? "≤" : ">"} 32·⌈log2 n⌉ = ${bound} B → ${maxIncl <= bound ? "PASS" : "FAIL"}`);
  }
  out.push(`\nVerdict:\n${verdicts.map((v) => `  ${v}`).join("\n")}`);
  out.push(`\n(${availableParallelism()} cores, load average ${loadAtStart.toFixed(2)} at the start and ${loadavg()[0]!.toFixed(2)} at the end, Node ${process.version}, peak RSS of this process ${Math.round(Math.max(...runs.map((r) => r.proofs.rssMb)))} MB)`);
  return out.join("\n");
}
