/**
 * The buyer's own authorisation of its queries, and the evidence a node asks for.
 *
 * A buyer registers a P-256 signing key (made in its browser, non-extractable, or by the SDK);
 * the registration goes on the ledger with the public key (`buyer.key.registered`), where the
 * buyer's own ledger view shows every key registered in its name. Each query is signed by that
 * key over {query id, product, plan hash, HE key hash, ε} (core/statements.ts); the signature is
 * recorded in `query.accepted`. The nodes check the signature and both ledger entries
 * themselves (computation/node/evidence.ts): the marketplace relays evidence it cannot make.
 */
import type { LedgerEntryProof, QueryEvidence } from "@/core/protocol";
import { type SignedCheckpoint } from "@/core/ledger";
import { canonicalJson } from "@/core/canonical-json";
import { signingKeyThumbprint, signingPublicJwk, verifyStatement, type QueryAuthorization } from "@/core/statements";
import type { PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";
import { recordEvent } from "../ledger/events";
import { currentCheckpoint, inclusionAt, integrateAll } from "../ledger/log";

/** Register a buyer's query-signing public key, on the ledger. Idempotent for the same key and buyer. */
export async function registerBuyerSigningKey(db: PrismaClient, o: { buyerOrgId: string; publicJwk: unknown }) {
  let thumbprint: string;
  try {
    thumbprint = await signingKeyThumbprint(o.publicJwk);
  } catch {
    throw new AppError("BAD_INPUT", "BAD_SIGNING_KEY", "The key is not a P-256 public signing key (a private key, with d, is never accepted).");
  }
  const jwk = signingPublicJwk.parse(o.publicJwk);
  const existing = await db.buyerSigningKey.findUnique({ where: { thumbprint } });
  if (existing) {
    if (existing.buyerOrgId !== o.buyerOrgId) throw new AppError("CONFLICT", "KEY_TAKEN", "This key is registered by another organisation.");
    return { thumbprint, createdAt: existing.createdAt, retiredAt: existing.retiredAt };
  }
  return db.$transaction(async (tx) => {
    const ledgerEntryId = await recordEvent(tx, { type: "buyer.key.registered", actorOrgId: o.buyerOrgId, refs: { thumbprint }, data: { ...jwk } });
    const k = await tx.buyerSigningKey.create({ data: { buyerOrgId: o.buyerOrgId, publicJwk: canonicalJson(jwk), thumbprint, ledgerEntryId } });
    return { thumbprint, createdAt: k.createdAt, retiredAt: k.retiredAt };
  });
}

export async function listBuyerSigningKeys(db: PrismaClient, buyerOrgId: string) {
  return db.buyerSigningKey.findMany({ where: { buyerOrgId }, orderBy: { createdAt: "desc" }, select: { thumbprint: true, createdAt: true, retiredAt: true } });
}

export async function retireBuyerSigningKey(db: PrismaClient, o: { buyerOrgId: string; thumbprint: string }) {
  await db.$transaction(async (tx) => {
    const moved = await tx.buyerSigningKey.updateMany({ where: { buyerOrgId: o.buyerOrgId, thumbprint: o.thumbprint, retiredAt: null }, data: { retiredAt: new Date() } });
    if (moved.count !== 1) throw new AppError("NOT_FOUND", "KEY_NOT_FOUND", "No current signing key of yours has this thumbprint.");
    await recordEvent(tx, { type: "buyer.key.retired", actorOrgId: o.buyerOrgId, refs: { thumbprint: o.thumbprint } });
  });
  return { ok: true as const };
}

/** Check a buyer's signature over its statement before accepting the query (the nodes check it again). */
export async function checkBuyerSignature(db: PrismaClient, o: { statement: QueryAuthorization; signature: string; signingKey: string }) {
  const key = await db.buyerSigningKey.findUnique({ where: { thumbprint: o.signingKey } });
  if (!key || key.buyerOrgId !== o.statement.buyerOrgId || key.retiredAt) {
    throw new AppError("FORBIDDEN", "UNKNOWN_SIGNING_KEY", "This signing key is not a current key of your organisation: register it first.");
  }
  if (!(await verifyStatement(JSON.parse(key.publicJwk), o.statement, o.signature))) {
    throw new AppError("BAD_INPUT", "BAD_SIGNATURE", "The signature does not match this query, its plan, key and ε.");
  }
  return key;
}

/** A checkpoint signed within the last minute (nodes refuse ones older than five). */
export async function freshCheckpoint(db: PrismaClient): Promise<SignedCheckpoint> {
  const cp = await currentCheckpoint(db);
  return Date.now() - cp.timestamp > 60_000 ? currentCheckpoint(db, { force: true }) : cp;
}

/** A ledger entry with its inclusion proof in the tree of `size` leaves. */
export async function entryProofAt(db: PrismaClient, entryId: string, size: number): Promise<LedgerEntryProof> {
  let leaf = await db.ledgerLeaf.findUnique({ where: { entryId }, select: { index: true, body: true } });
  if (!leaf) {
    await integrateAll(db);
    leaf = await db.ledgerLeaf.findUnique({ where: { entryId }, select: { index: true, body: true } });
  }
  if (!leaf) throw new AppError("NOT_FOUND", "UNKNOWN_LEAF", "A ledger entry the nodes need is missing.");
  const index = Number(leaf.index);
  return { index, body: leaf.body, proof: await inclusionAt(db, index, size) };
}

/** Every supervision entry about these targets (organisations or products) in the tree of `size`, with proofs. */
export async function supervisionProofs(db: PrismaClient, targets: string[], size: number): Promise<LedgerEntryProof[]> {
  const rows = await db.$queryRaw<{ index: bigint; body: string }[]>`SELECT "index", "body" FROM "LedgerLeaf"
    WHERE "type" IN ('supervision.suspended', 'supervision.lifted') AND "index" < ${size}
      AND ("body"::jsonb #>> '{refs,targetId}') = ANY(${targets}::text[]) ORDER BY "index"`;
  return Promise.all(rows.map(async (r) => ({ index: Number(r.index), body: r.body, proof: await inclusionAt(db, Number(r.index), size) })));
}

/** What a node needs to see that the buyer authorised this query and that it is on the ledger. */
export async function queryEvidence(db: PrismaClient, job: { acceptedEntryId: string | null; signature: string | null; signingKey: string | null }, statement: QueryAuthorization, size: number): Promise<QueryEvidence> {
  if (!job.acceptedEntryId || !job.signature || !job.signingKey) throw new Error("This query carries no buyer signature: it was accepted before queries were signed, and no node will run it.");
  const key = await db.buyerSigningKey.findUniqueOrThrow({ where: { thumbprint: job.signingKey } });
  return {
    statement, signature: job.signature,
    entry: await entryProofAt(db, job.acceptedEntryId, size),
    keyEntry: await entryProofAt(db, key.ledgerEntryId, size),
  };
}
