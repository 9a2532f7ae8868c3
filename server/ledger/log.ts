/**
 * The transparency ledger's tree, kept in the database (RFC 6962 / 9162).
 *
 * - Events wait in LedgerQueue (written by the transaction that made the change).
 * - `integrate` moves a batch of them into LedgerLeaf under one advisory lock, giving them
 *   consecutive indexes, and stores the hash of every newly complete aligned subtree in
 *   LedgerNode. One lock, one order: many writers never lose or duplicate a leaf.
 * - Proofs and roots are assembled from at most ~2·log2(n) stored subtree hashes fetched in
 *   one round trip, so they cost the same at a million leaves as at a thousand.
 * - Checkpoints (signed tree heads) are issued on demand and on a schedule by the worker.
 */
import { sign } from "node:crypto";
import {
  checkpointMessage, consistencyProof, decompose, fromHex, hex, inclusionProof, nodeHash, toBase64, treeRoot,
  type Checkpoint, type Hash, type SignedCheckpoint, type Subtree,
} from "@/core/ledger";
import type { PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";
import { ledgerSigningKey } from "../keys";

/** The ledger's name in its checkpoints. */
export const LEDGER_ORIGIN = process.env.LEDGER_ORIGIN ?? "quancheng-market/ledger";
const LOCK = 0x1ed9e7; // pg_advisory_xact_lock key of the integrator
const MAX_RANGE = 1000;

type Db = PrismaClient | Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

export async function treeSize(db: Db): Promise<number> {
  const [row] = await db.$queryRaw<{ n: bigint | null }[]>`SELECT max("index") + 1 AS "n" FROM "LedgerLeaf"`;
  return Number(row?.n ?? 0n);
}

/** Stored hashes of complete subtrees, in the order asked; a missing one means a damaged ledger. */
export async function fetchSubtrees(db: Db, needed: Subtree[]): Promise<Hash[]> {
  if (needed.length === 0) return [];
  // One round trip: leaf hashes (level 0) and inner nodes together.
  const rows = await db.$queryRaw<{ l: number; i: string; h: string }[]>`
    SELECT 0 AS "l", "index"::text AS "i", encode("leafHash", 'hex') AS "h" FROM "LedgerLeaf"
      WHERE "index" = ANY(${needed.filter((s) => s.level === 0).map((s) => String(s.index))}::bigint[])
    UNION ALL
    SELECT n."level", n."index"::text, encode(n."hash", 'hex') FROM "LedgerNode" n
      JOIN unnest(${needed.map((s) => s.level)}::int[], ${needed.map((s) => String(s.index))}::bigint[]) AS w("level", "index")
      ON n."level" = w."level" AND n."index" = w."index" AND w."level" > 0`;
  const found = new Map<string, string>();
  for (const r of rows) found.set(`${r.l}:${r.i}`, r.h);
  return needed.map((s) => {
    const h = found.get(`${s.level}:${s.index}`);
    if (!h) throw new AppError("UNAVAILABLE", "LEDGER_DAMAGED", `The ledger is missing the hash of subtree ${s.level}/${s.index}: it has been damaged.`);
    return fromHex(h, 32);
  });
}

/**
 * Sequence up to `max` queued events. Returns how many were added and the new size.
 * Safe to call from any number of processes at once.
 */
export async function integrate(db: PrismaClient, max = 5000): Promise<{ added: number; size: number }> {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCK})`;
    const size = await treeSize(tx);
    // Move the oldest queued events into the tree, numbered on from `size`; the leaf hash is SHA-256(0x00 || body).
    // (ANY(ARRAY(…)) rather than IN (…): with stale statistics of an emptied queue the planner
    // re-ran an IN subquery per queued row, which made a batch quadratic; see docs/performance.md.)
    const moved = await tx.$queryRaw<{ i: string; h: string }[]>`WITH moved AS (
        DELETE FROM "LedgerQueue" WHERE "seq" = ANY(ARRAY(SELECT "seq" FROM "LedgerQueue" ORDER BY "seq" LIMIT ${max})) RETURNING *)
      INSERT INTO "LedgerLeaf" ("index", "entryId", "type", "actorOrgId", "objectId", "body", "leafHash", "createdAt")
      SELECT ${size}::bigint + row_number() OVER (ORDER BY "seq") - 1, "entryId", "type", "actorOrgId", "objectId", "body",
        sha256('\\x00'::bytea || convert_to("body", 'UTF8')), "createdAt" FROM moved
      RETURNING "index"::text AS "i", encode("leafHash", 'hex') AS "h"`;
    if (moved.length === 0) return { added: 0, size };
    moved.sort((a, b) => Number(a.i) - Number(b.i));
    const nodes = newNodes(size, moved.map((r) => fromHex(r.h, 32)), await fetchSubtrees(tx, decompose(0, size)));
    for (let k = 0; k < nodes.length; k += 5000) {
      const part = nodes.slice(k, k + 5000);
      await tx.$executeRaw`INSERT INTO "LedgerNode" ("level", "index", "hash")
        SELECT l, i, decode(h, 'hex') FROM unnest(${part.map((n) => n.level)}::int[], ${part.map((n) => String(n.index))}::bigint[], ${part.map((n) => hex(n.hash))}::text[]) AS t(l, i, h)`;
    }
    return { added: moved.length, size: size + moved.length };
  }, { timeout: 60_000 });
}

/** Integrate everything queued (in batches). */
export async function integrateAll(db: PrismaClient): Promise<number> {
  for (;;) {
    const { added, size } = await integrate(db);
    if (added === 0) return size;
  }
}

/**
 * The complete subtrees above level 0 made by appending `leaves` to a tree of `size` leaves.
 * `frontier` holds the old tree's complete subtrees (decompose(0, size)), one per set bit of size.
 */
export function newNodes(size: number, leaves: Hash[], frontier: Hash[]): { level: number; index: number; hash: Hash }[] {
  const old = new Map(decompose(0, size).map((s, k) => [s.level, frontier[k]!]));
  const out: { level: number; index: number; hash: Hash }[] = [];
  let start = size; // index of row[0] at this level: floor(size / 2^level)
  let row = leaves; // hashes of complete nodes [start, start + row.length)
  for (let level = 0; row.length > 0; level++) {
    // An odd start has an old left sibling: the frontier's subtree at this level.
    if (start % 2 === 1) { row = [old.get(level)!, ...row]; start -= 1; }
    const parents: Hash[] = [];
    for (let k = 0; k + 1 < row.length; k += 2) parents.push(nodeHash(row[k]!, row[k + 1]!));
    start /= 2;
    parents.forEach((hash, k) => out.push({ level: level + 1, index: start + k, hash }));
    row = parents;
  }
  return out;
}

function signCheckpoint(cp: Checkpoint): SignedCheckpoint {
  return { ...cp, signature: toBase64(sign(null, checkpointMessage(cp), ledgerSigningKey().privateKey)) };
}

type CheckpointRow = { size: bigint; root: Uint8Array; timestamp: Date; signature: string };
const toSigned = (r: CheckpointRow): SignedCheckpoint => ({ origin: LEDGER_ORIGIN, size: Number(r.size), root: hex(r.root), timestamp: r.timestamp.getTime(), signature: r.signature });

export async function latestCheckpoint(db: PrismaClient): Promise<SignedCheckpoint | null> {
  const row = await db.ledgerCheckpoint.findFirst({ orderBy: { id: "desc" } });
  return row ? toSigned(row) : null;
}

/** Sequence what is queued and sign a tree head for it, unless the latest one already covers it. */
export async function currentCheckpoint(db: PrismaClient, opts: { force?: boolean } = {}): Promise<SignedCheckpoint> {
  await integrateAll(db);
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCK})`;
    const size = await treeSize(tx);
    const last = await tx.ledgerCheckpoint.findFirst({ orderBy: { id: "desc" } });
    if (last && Number(last.size) === size && !opts.force) return toSigned(last);
    const root = await treeRoot(size, (s) => fetchSubtrees(tx, s));
    const cp = signCheckpoint({ origin: LEDGER_ORIGIN, size, root: hex(root), timestamp: Date.now() });
    await tx.$executeRaw`INSERT INTO "LedgerCheckpoint" ("size", "root", "timestamp", "signature", "publicKey")
      VALUES (${size}, decode(${cp.root}, 'hex'), ${new Date(cp.timestamp)}, ${cp.signature}, ${ledgerSigningKey().publicKey})`;
    return cp;
  });
}

/**
 * The checkpoint anonymous readers get (GET /api/ledger/checkpoint). When nothing was appended
 * since the newest stored checkpoint (no queued entry, the same tree size) it is served as it is:
 * three reads, no ledger lock, no signature. Otherwise currentCheckpoint integrates and signs, so
 * a reader still always gets a checkpoint covering every entry made before its request.
 */
export async function servedCheckpoint(db: PrismaClient): Promise<SignedCheckpoint> {
  const [last, queued, size] = await Promise.all([
    db.ledgerCheckpoint.findFirst({ orderBy: { id: "desc" } }),
    db.ledgerQueue.findFirst({ select: { seq: true } }),
    treeSize(db),
  ]);
  if (last && !queued && Number(last.size) === size) return toSigned(last);
  return currentCheckpoint(db);
}

export function checkSizes(o: { index?: number; from?: number; size: number }, treeSz: number) {
  if (o.size > treeSz) throw new AppError("BAD_INPUT", "BAD_TREE_SIZE", `The ledger has ${treeSz} leaves; no tree of size ${o.size} exists yet.`);
  if (o.index !== undefined && o.index >= o.size) throw new AppError("BAD_INPUT", "BAD_INDEX", `Leaf ${o.index} is not in a tree of ${o.size} leaves.`);
  if (o.from !== undefined && o.from > o.size) throw new AppError("BAD_INPUT", "BAD_TREE_SIZE", `A consistency proof goes from a smaller tree to a larger one (${o.from} > ${o.size}).`);
}

/** Audit path of leaf `index` in the tree of `size` leaves (hex, bottom-up). */
export async function inclusionAt(db: PrismaClient, index: number, size: number): Promise<string[]> {
  checkSizes({ index, size }, await treeSize(db));
  return (await inclusionProof(index, size, (s) => fetchSubtrees(db, s))).map(hex);
}

export async function consistencyBetween(db: PrismaClient, from: number, size: number): Promise<string[]> {
  checkSizes({ from, size }, await treeSize(db));
  if (from === 0) return [];
  return (await consistencyProof(from, size, (s) => fetchSubtrees(db, s))).map(hex);
}

/** An entry with its proof against the current checkpoint. */
export async function entryWithProof(db: PrismaClient, entryId: string) {
  let leaf = await db.ledgerLeaf.findUnique({ where: { entryId } });
  if (!leaf && (await db.ledgerQueue.count({ where: { entryId } }))) {
    await integrateAll(db);
    leaf = await db.ledgerLeaf.findUnique({ where: { entryId } });
  }
  if (!leaf) throw new AppError("NOT_FOUND", "UNKNOWN_LEAF", "No ledger entry has this id.");
  const checkpoint = await currentCheckpoint(db);
  const index = Number(leaf.index);
  return { index, body: leaf.body, leafHash: hex(leaf.leafHash), checkpoint, proof: await inclusionAt(db, index, checkpoint.size) };
}

/** Leaves [start, end) in order, at most MAX_RANGE of them. */
export async function leavesRange(db: PrismaClient, start: number, end: number) {
  const size = await treeSize(db);
  if (end <= start) throw new AppError("BAD_INPUT", "BAD_RANGE", "The range is empty: end must be greater than start.");
  if (end - start > MAX_RANGE) throw new AppError("BAD_INPUT", "BAD_RANGE", `At most ${MAX_RANGE} leaves per request.`);
  if (end > size) throw new AppError("BAD_INPUT", "BAD_RANGE", `The ledger has ${size} leaves.`);
  const rows = await db.ledgerLeaf.findMany({ where: { index: { gte: BigInt(start), lt: BigInt(end) } }, orderBy: { index: "asc" }, select: { index: true, body: true } });
  return rows.map((r) => ({ index: Number(r.index), body: r.body }));
}

/** Every checkpoint issued, oldest first (for verifiers), paged by id. */
export async function checkpointsAfter(db: PrismaClient, afterId = 0, limit = 500) {
  const rows = await db.ledgerCheckpoint.findMany({ where: { id: { gt: BigInt(afterId) } }, orderBy: { id: "asc" }, take: Math.min(limit, 1000) });
  return rows.map((r) => ({ id: Number(r.id), ...toSigned(r) }));
}
