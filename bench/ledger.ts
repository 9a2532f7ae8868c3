/**
 * Benchmark of the transparency ledger (server/ledger/log.ts, server/ledger/events.ts), on the
 * embedded database (PGlite in memory) and, when the binaries are installed, on a throwaway
 * PostgreSQL server:
 *
 * 1. Appends: events queued the way the app queues them (`recordEvent(tx, e)` inside a
 *    transaction: one event per transaction, or 100 per transaction), then sequenced into the
 *    tree with `integrate(db, B)` for B ∈ {100, 1000, 5000}. Baseline: the same queueing
 *    without the tree (the LedgerQueue INSERT alone). Target: ≥ 2,000 appends/s on PGlite.
 * 2. Proofs at 10^6 leaves: LedgerQueue bulk-filled with canonical event bodies by one
 *    `INSERT … SELECT generate_series` per 50,000 events, each followed by the app's own
 *    `integrate(db, 50_000)`; then `inclusionAt` and `consistencyBetween` for 200 random
 *    arguments each (p50 / p95; target < 5 ms), proof sizes against 32·⌈log2 n⌉.
 *    Baseline: one primary-key lookup of a leaf hash through the same client.
 * 3. Checks before anything is timed, and on every timed output: the tree's root recomputed
 *    in memory from every leaf's body must equal the signed checkpoint's root, proofs must
 *    verify with sdk/ledger.ts. A wrong result fails the run (CheckFailed).
 */
import { availableParallelism, loadavg } from "node:os";
import pg from "pg";
import {
  consistencyProof, decompose, hex, inclusionProof, leafHash, nodeHash, rootFromLeafHashes, treeRoot, verifyCheckpoint,
  verifyConsistency, verifyInclusion, fromHex, type Hash, type Subtree,
} from "@/sdk/ledger";
import { openDatabase, type Database, type DbConfig } from "@/server/db/client";
import { eventBody, recordEvent, type LedgerEvent } from "@/server/ledger/events";
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

/** Bodies of leaves [0, size), hashed in JS (SHA-256(0x00 || UTF-8 body)). */
async function leafHashesFromBodies(db: Database, size: number): Promise<Hash[]> {
  const out: Hash[] = [];
  await db.raw(async (s) => {
    for (let a = 0; a < size; a += 50_000) {
      const rows = await s.query<{ b: string }>(`SELECT "body" AS "b" FROM "LedgerLeaf" WHERE "index" >= $1 AND "index" < $2 ORDER BY "index"`, [a, Math.min(size, a + 50_000)]);
      for (const r of rows) out.push(leafHash(utf8.encode(r.b)));
    }
  });
  if (out.length !== size) fail(`read ${out.length} leaf bodies, expected ${size}`);
  return out;
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
  constructor(leaves: Hash[]) {
    let level = new Uint8Array(leaves.length * 32);
    leaves.forEach((h, i) => level.set(h, i * 32));
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
}

/**
 * The whole tree is right: every stored leaf hash equals SHA-256(0x00 || body) computed here,
 * the root recomputed in memory from those equals the signed checkpoint's, proofs for `probe`
 * leaves verify against it, and each stored subtree of the right edge equals the in-memory one.
 */
async function checkWholeTree(db: Database, size: number, probe: number[]): Promise<{ cp: Awaited<ReturnType<typeof checkpointOf>>; mem: MemoryTree; leafHashes: Hash[] }> {
  const cp = await checkpointOf(db, size);
  const fromBodies = await leafHashesFromBodies(db, size);
  const stored = await readLeafHashes(db, size);
  for (let i = 0; i < size; i++) if (!sameBytes(stored[i]!, fromBodies[i]!)) fail(`leaf ${i}: stored leafHash differs from SHA-256(0x00 || body)`);
  if (hex(rootFromLeafHashes(fromBodies)) !== cp.root) fail(`root recomputed from ${size} bodies differs from the checkpoint's`);
  const mem = new MemoryTree(fromBodies);
  const edge = decompose(0, size);
  const storedEdge = await fetchSubtrees(db.prisma, edge);
  edge.forEach((s, k) => { if (hex(storedEdge[k]!) !== hex(mem.get(s))) fail(`stored subtree ${s.level}/${s.index} differs from the one recomputed`); });
  for (const i of probe) {
    const proof = (await inclusionAt(db.prisma, i, size)).map((h) => fromHex(h, 32));
    verifyInclusion(fromBodies[i]!, i, size, proof, cp.rootBytes);
  }
  return { cp, mem, leafHashes: fromBodies };
}

// -------------------------------------------------------------------------------- appends

type AppendCell = { name: string; perTx: 1 | 100; batch: number | null };
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
      await db.prisma.$transaction(async (tx) => {
        for (let j = 0; j < c; j++) await recordEvent(tx, orderEvent(next.i++));
      });
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
  const events = opts.quick ? 1000 : 5000;
  const batches = opts.quick ? [100, 1000] : [100, 1000, 5000];
  const cells: AppendCell[] = [];
  for (const perTx of [1, 100] as const) {
    cells.push({ name: `queue only (baseline), ${perTx} event${perTx > 1 ? "s" : ""}/tx`, perTx, batch: null });
    for (const b of batches) cells.push({ name: `queue ${perTx}/tx + integrate(${fmtInt(b)})`, perTx, batch: b });
  }
  const next = { i: 0 };
  let leaves = 0;
  const clearQueue = () => db.raw((s) => s.exec(`DELETE FROM "LedgerQueue"`));

  // Warm-up of the whole path, then check its output before anything is timed.
  let t = now();
  const warm = await appendRun(db, { name: "warm-up", perTx: 1, batch: 100 }, 500, next);
  leaves += 500;
  await appendRun(db, { name: "warm-up", perTx: 100, batch: 1000 }, 1000, next);
  leaves += 1000;
  await appendRun(db, { name: "warm-up", perTx: 100, batch: null }, 200, next);
  await clearQueue();
  await checkWholeTree(db, leaves, [0, 1, 499, 500, leaves - 1]);
  log(`${name}: warm-up (${fmtInt(leaves)} events queued and integrated, ${ms(warm.totalMs)} for the first 500) and check in ${ms(now() - t)}: root from bodies = checkpoint root, proofs verify ✓`);

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
  return { events, results, leaves };
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
  size: number; chunk: number; buildMs: number; fillMs: number; integrateMs: number; integrateCalls: number; checkMs: number;
  lookup: number[]; inclusion: number[]; consistency: number[]; storedRoot: number[];
  naiveRootMs: number; readLeavesMs: number;
  inclusionLens: number[]; consistencyLens: number[]; allPathMax: number; allPathMedian: number; atMax: number;
  rssMb: number;
};

async function runProofs(name: string, db: Database, opts: LedgerOptions): Promise<ProofRun> {
  const size = opts.quick ? 10_000 : 1_000_000;
  const chunk = opts.quick ? 2000 : BUILD_CHUNK;
  const checkpoints: { size: number; root: string }[] = [];

  // Build: bulk-fill the queue, then the app's integrate() in batches of 50,000.
  let fillMs = 0, integrateMs = 0, integrateCalls = 0;
  const t0 = now();
  for (let a = 0; a < size; a += chunk) {
    const b = Math.min(size, a + chunk);
    let t = now();
    await db.raw((s) => s.query(FILL_QUEUE, [a, b]));
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
    if ((b / chunk) % 4 === 0 || b === size) log(`${name}: built ${fmtInt(b)} / ${fmtInt(size)} leaves (${ms(now() - t0)})`);
  }
  const buildMs = now() - t0;
  log(`${name}: built ${fmtInt(size)} leaves in ${ms(buildMs)} (fill queue ${ms(fillMs)}, ${integrateCalls} × integrate(${fmtInt(chunk)}) ${ms(integrateMs)})`);

  // Checks before timing: bodies are eventBody's, stored hashes and the root are right, proofs verify.
  let t = now();
  const rnd = prng(6962);
  const randomIndex = (n: number) => Math.floor(rnd() * n);
  await checkSqlBodies(db, [0, 1, 2, 49, 999, 1000, size >> 1, size - 2, size - 1, ...Array.from({ length: 20 }, () => randomIndex(size))].filter((v, k, a) => a.indexOf(v) === k));
  const edges = [0, 1, size - 1, size - 2, 2 ** (ceilLog2(size) - 1) - 1, Math.min(size - 1, 2 ** (ceilLog2(size) - 1))];
  const { cp, mem, leafHashes } = await checkWholeTree(db, size, edges);
  for (const c of checkpoints) {
    if (hex(await mem.root(c.size)) !== c.root) fail(`checkpoint at size ${c.size}: root differs from the one recomputed`);
    if (c.size < size) verifyConsistency(c.size, size, fromHex(c.root, 32), cp.rootBytes, (await consistencyBetween(db.prisma, c.size, size)).map((h) => fromHex(h, 32)));
  }
  const checkMs = now() - t;
  log(`${name}: checked in ${ms(checkMs)}: SQL bodies = eventBody(), ${fmtInt(size)} leaf hashes = SHA-256(0x00 || body), root from all leaves = checkpoint root, ` +
    `${edges.length} inclusion proofs and ${checkpoints.length - 1} consistency proofs (sizes ${checkpoints.map((c) => fmtInt(c.size)).join(", ")}) verify ✓`);

  // Baseline for the ratio: one primary-key lookup of a leaf hash, through the same client.
  const idx = Array.from({ length: PROOF_SAMPLES }, () => randomIndex(size));
  const from = Array.from({ length: PROOF_SAMPLES }, () => 1 + randomIndex(size - 1));
  const lookupOne = (i: number) => db.prisma.$queryRaw<{ h: Uint8Array }[]>`SELECT "leafHash" AS "h" FROM "LedgerLeaf" WHERE "index" = ${i}`;
  const timeEach = async <T,>(args: number[], fn: (x: number) => Promise<T>) => {
    for (const x of args.slice(0, 20)) await fn(x); // warm-up
    const times: number[] = [], outs: T[] = [];
    for (const x of args) { const t1 = now(); outs.push(await fn(x)); times.push(now() - t1); }
    return { times, outs };
  };
  const lookup = await timeEach(idx, lookupOne);
  lookup.outs.forEach((r, k) => { if (r.length !== 1 || hex(new Uint8Array(r[0]!.h)) !== hex(mem.leaf(idx[k]!))) fail(`lookup of leaf ${idx[k]} returned the wrong hash`); });
  const inclusion = await timeEach(idx, (i) => inclusionAt(db.prisma, i, size));
  inclusion.outs.forEach((p, k) => verifyInclusion(mem.leaf(idx[k]!), idx[k]!, size, p.map((h) => fromHex(h, 32)), cp.rootBytes));
  const consistency = await timeEach(from, (m) => consistencyBetween(db.prisma, m, size));
  for (let k = 0; k < from.length; k++) verifyConsistency(from[k]!, size, await mem.root(from[k]!), cp.rootBytes, consistency.outs[k]!.map((h) => fromHex(h, 32)));
  // The same proofs planned and assembled in memory must be identical (same hashes, same order).
  for (let k = 0; k < 20; k++) {
    if ((await inclusionProof(idx[k]!, size, mem.fetch)).map(hex).join() !== inclusion.outs[k]!.join()) fail(`inclusion proof of leaf ${idx[k]} differs from the in-memory one`);
    if ((await consistencyProof(from[k]!, size, mem.fetch)).map(hex).join() !== consistency.outs[k]!.join()) fail(`consistency proof from ${from[k]} differs from the in-memory one`);
  }
  const storedRoot = await timeEach(idx.slice(0, 50), async () => hex(await treeRoot(size, (s) => fetchSubtrees(db.prisma, s))));
  if (storedRoot.outs.some((r) => r !== cp.root)) fail("root from stored subtrees differs from the checkpoint's");
  log(`${name}: ${PROOF_SAMPLES} lookups, inclusion and consistency proofs timed; every one verified ✓`);

  // The naive alternative: the root recomputed from every leaf hash (read, then hashed in memory).
  t = now();
  const hashes = await readLeafHashes(db, size);
  const readLeavesMs = now() - t;
  t = now();
  const naiveRoot = hex(rootFromLeafHashes(hashes));
  const naiveRootMs = now() - t;
  if (naiveRoot !== cp.root || leafHashes.length !== size) fail("rootFromLeafHashes differs from the checkpoint root");

  // Path lengths of every leaf (arithmetic; the sampled proofs above have these lengths).
  const lens = new Uint8Array(size);
  for (let i = 0; i < size; i++) lens[i] = pathLength(i, size);
  idx.forEach((i, k) => { if (inclusion.outs[k]!.length !== lens[i]) fail(`proof of leaf ${i} has ${inclusion.outs[k]!.length} hashes, RFC 6962 says ${lens[i]}`); });
  let allPathMax = 0, atMax = 0;
  const hist = new Array<number>(64).fill(0);
  for (const l of lens) { hist[l]!++; allPathMax = Math.max(allPathMax, l); }
  atMax = hist[allPathMax]!;
  let acc = 0, allPathMedian = 0;
  for (let l = 0; l < hist.length; l++) { acc += hist[l]!; if (acc >= size / 2) { allPathMedian = l; break; } }

  return {
    size, chunk, buildMs, fillMs, integrateMs, integrateCalls, checkMs,
    lookup: lookup.times, inclusion: inclusion.times, consistency: consistency.times, storedRoot: storedRoot.times,
    naiveRootMs, readLeavesMs,
    inclusionLens: inclusion.outs.map((p) => p.length), consistencyLens: consistency.outs.map((p) => p.length),
    allPathMax, allPathMedian, atMax, rssMb: peakRssMb(),
  };
}

// ------------------------------------------------------------------------------- a backend

type BackendRun = { name: string; appends: Awaited<ReturnType<typeof runAppends>>; proofs: ProofRun };

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
  const proofs = await withDb(name, config(), (db) => runProofs(name, db, opts));
  return { name, appends, proofs };
}

// ------------------------------------------------------------------------------- the report

function appendTable(r: BackendRun, reps: number): string {
  const { events, results } = r.appends;
  const best = (x: AppendResult) => median(x.runs.map((y) => y.totalMs));
  const baseOf = (perTx: number) => best(results.find((x) => x.cell.perTx === perTx && x.cell.batch === null)!);
  const rows = results.map((x) => {
    const total = best(x), base = baseOf(x.cell.perTx), rate = (events / total) * 1000;
    return [
      x.cell.name, fmtInt(events),
      ms(median(x.runs.map((y) => y.queueMs))), x.cell.batch ? ms(median(x.runs.map((y) => y.integrateMs))) : "–",
      x.cell.batch ? ms(median(x.integrateCalls)) : "–",
      ms(total), fmtInt(Math.round(rate)), x.cell.batch ? ratio(total / base) : "1 (baseline)",
      x.cell.batch ? (rate >= TARGET_APPENDS_PER_S ? "✓" : "✗") : "",
    ];
  });
  return table(`Appends on ${r.name}: ${fmtInt(events)} events per run, median of ${reps} run${reps > 1 ? "s" : ""}`,
    ["variant", "events", "queue", "integrate", "per integrate() call", "total", "events/s", "time vs baseline", `≥ ${fmtInt(TARGET_APPENDS_PER_S)}/s`], rows, [
      "queue: recordEvent(tx, event) inside db.prisma.$transaction, 1 or 100 events per transaction (the app's path). integrate(B): called once per B queued events,",
      "  so the queue never holds more than B. total = queue + integrate, wall time; events/s = events / total. Baseline: the same queueing with no tree (LedgerQueue INSERT alone);",
      "  'time vs baseline' = total / baseline total with the same events per transaction, i.e. what sequencing into the tree adds.",
      `The tree grew from 1,500 (warm-up) to ${fmtInt(r.appends.leaves)} leaves during these runs; cells ran round-robin.`,
    ]);
}

function proofTables(r: BackendRun): string {
  const p = r.proofs;
  const bound = 32 * ceilLog2(p.size);
  const base = median(p.lookup);
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
      `Build: LedgerQueue filled by INSERT … SELECT generate_series (${fmtInt(p.chunk)} canonical event bodies per statement, ${ms(p.fillMs)} in all), each followed by the app's`,
      `  integrate(db, ${fmtInt(p.chunk)}) (${p.integrateCalls} calls, ${ms(p.integrateMs)}: leaf hashes in SQL, ~${fmtInt(p.size)} LedgerNode rows). Checks before timing: ${ms(p.checkMs)}.`,
      `Wall time through db.prisma of ${PROOF_SAMPLES} calls each at random leaf indexes / old sizes (same seed on every backend), after 20 warm-up calls; nearest-rank percentiles.`,
      "Each call reads the tree size (max(index)) then fetches ≤ ~2·log2(n) stored hashes in one round trip (two queries in parallel). Every proof returned was verified",
      "  (sdk/ledger verifyInclusion / verifyConsistency) against the signed checkpoint's root and against roots recomputed in memory from the leaves' bodies.",
      "Baseline for the ratio: SELECT \"leafHash\" … WHERE \"index\" = $1 through the same client (one round trip, one index probe).",
    ]);
  const sizeRow = (label: string, lens: number[], all?: string) => [label, bytes(32 * median(lens)), bytes(32 * Math.min(...lens)), bytes(32 * Math.max(...lens)), all ?? "", `${bound} B`,
    32 * Math.max(...lens) <= bound ? "✓ ≤ bound" : `✗ +${32 * Math.max(...lens) - bound} B`];
  const sizes = table(`Proof sizes at ${fmtInt(p.size)} leaves (32-byte hashes; bound 32·⌈log2 n⌉ = 32 × ${ceilLog2(p.size)} = ${bound} B)`,
    ["proof", "typical (median)", "min", "max", "over all leaves", "bound", "max vs bound"], [
      sizeRow(`inclusion, ${PROOF_SAMPLES} random leaves`, p.inclusionLens,
        `median ${32 * p.allPathMedian} B, max ${32 * p.allPathMax} B (${(100 * p.atMax / p.size).toFixed(1)} % of leaves)`),
      sizeRow(`consistency, ${PROOF_SAMPLES} random old sizes`, p.consistencyLens),
    ], [
      "RFC 6962 inclusion paths are ⌈log2 n⌉ hashes long for leaves in the left, complete part of the tree and shorter towards the right edge, whose subtrees are smaller.",
      "A consistency proof can be up to ~2 hashes longer than log2 n (it carries both the old tree's right edge and the new siblings).",
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
        for (const dbName of ["ledger_appends", "ledger_proofs"]) {
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
  for (const r of runs) out.push(proofTables(r));

  const verdicts: string[] = [];
  for (const r of runs) {
    const e2e = r.appends.results.filter((x) => x.cell.batch);
    const rate = (x: AppendResult) => (r.appends.events / median(x.runs.map((y) => y.totalMs))) * 1000;
    const bestCell = e2e.reduce((a, b) => (rate(a) >= rate(b) ? a : b));
    const single = e2e.filter((x) => x.cell.perTx === 1).reduce((a, b) => (rate(a) >= rate(b) ? a : b));
    const incl = pct(r.proofs.inclusion, 95), cons = pct(r.proofs.consistency, 95);
    const maxIncl = 32 * Math.max(r.proofs.allPathMax, ...r.proofs.inclusionLens), bound = 32 * ceilLog2(r.proofs.size);
    verdicts.push(`${r.name}:`,
      `  appends: best ${fmtInt(Math.round(rate(bestCell)))}/s (${bestCell.cell.name}), ${fmtInt(Math.round(rate(single)))}/s with one event per transaction (${single.cell.name}) → ` +
      `${rate(bestCell) >= TARGET_APPENDS_PER_S ? "PASS" : "FAIL"} with batching, ${rate(single) >= TARGET_APPENDS_PER_S ? "PASS" : "FAIL"} one per transaction (target ≥ ${fmtInt(TARGET_APPENDS_PER_S)}/s)`,
      `  inclusion proof at ${fmtInt(r.proofs.size)} leaves: p95 ${ms(incl)} → ${incl < TARGET_PROOF_MS ? "PASS" : "FAIL"}; consistency p95 ${ms(cons)} → ${cons < TARGET_PROOF_MS ? "PASS" : "FAIL"} (target < ${TARGET_PROOF_MS} ms)`,
      `  inclusion proof size: max ${maxIncl} B ${maxIncl <= bound ? "≤" : ">"} 32·⌈log2 n⌉ = ${bound} B → ${maxIncl <= bound ? "PASS" : "FAIL"}`);
  }
  out.push(`\nVerdict:\n${verdicts.map((v) => `  ${v}`).join("\n")}`);
  out.push(`\n(${availableParallelism()} cores, load average ${loadAtStart.toFixed(2)} at the start and ${loadavg()[0]!.toFixed(2)} at the end, Node ${process.version}, peak RSS of this process ${Math.round(Math.max(...runs.map((r) => r.proofs.rssMb)))} MB)`);
  return out.join("\n");
}
