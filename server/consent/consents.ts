/**
 * Individual data with one-time consent. A buyer asks for named fields of one subject's record
 * in one resource, for a purpose, for a time and a number of uses; the subject approves (a
 * consent statement signed in their browser by their own key, bound at the holder's node, with
 * a single-use nullifier the node keeps) or refuses; the
 * subject can revoke until it is spent; spending a use is atomic, so two concurrent deliveries
 * cannot both succeed. The marketplace keeps references, states and hashes, never a record.
 *
 *   PENDING ─approve→ APPROVED ─last use spent→ SPENT      PENDING ─refuse→ REFUSED
 *   APPROVED ─revoke→ REVOKED                              (past validUntil: refused as EXPIRED)
 */
import { z } from "zod";
import { envelopePublicJwk, keyThumbprint } from "@/core/envelope";
import { canonicalJson } from "@/core/canonical-json";
import type { Prisma, PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";
import { consentStatement, verifyStatement, type ConsentStatement } from "@/core/statements";
import { recordEvent, textHash } from "../ledger/events";
import { activeSuspension, assertNotSuspended } from "../ledger/supervision";

type Tx = Prisma.TransactionClient;
const MAX_DAYS = 90;

/** Register a buyer's envelope public key (the private key never leaves the buyer). Registering a new key retires none: a buyer may rotate by registering, then retiring the old one. */
export async function registerEnvelopeKey(db: PrismaClient, o: { buyerOrgId: string; publicJwk: unknown }) {
  let thumbprint: string;
  try {
    thumbprint = await keyThumbprint(o.publicJwk);
  } catch (e) {
    throw new AppError("BAD_INPUT", "BAD_ENVELOPE_KEY", (e as Error).message);
  }
  const jwk = envelopePublicJwk.parse(o.publicJwk);
  const existing = await db.envelopeKey.findUnique({ where: { thumbprint } });
  if (existing) {
    if (existing.buyerOrgId !== o.buyerOrgId) throw new AppError("CONFLICT", "KEY_TAKEN", "This key is registered by another organisation.");
    return existing;
  }
  return db.envelopeKey.create({ data: { buyerOrgId: o.buyerOrgId, publicJwk: canonicalJson(jwk), thumbprint } });
}

export async function retireEnvelopeKey(db: PrismaClient, o: { buyerOrgId: string; thumbprint: string }) {
  const moved = await db.envelopeKey.updateMany({ where: { buyerOrgId: o.buyerOrgId, thumbprint: o.thumbprint, retiredAt: null }, data: { retiredAt: new Date() } });
  if (moved.count !== 1) throw new AppError("NOT_FOUND", "UNKNOWN_KEY", "No current envelope key of yours has this thumbprint.");
  return { ok: true as const };
}

export const consentRequestInput = z.object({
  subjectRef: z.string().trim().regex(/^[A-Za-z0-9_-]{4,64}$/, { error: "A subject is named by its opaque identifier (4–64 letters, digits, - or _)." }),
  resourceId: z.uuid(),
  fields: z.array(z.string().min(1).max(63)).min(1, { error: "Ask for at least one field." }).max(50),
  purpose: z.string().trim().min(2).max(200),
  validDays: z.number().int().min(1).max(MAX_DAYS).default(7),
  uses: z.number().int().min(1).max(10).default(1),
});

export async function requestConsent(db: PrismaClient, o: { buyerOrgId: string; userId: string; now?: Date } & z.input<typeof consentRequestInput>) {
  const input = consentRequestInput.parse(o);
  const now = o.now ?? new Date();
  await assertNotSuspended(db, { buyerOrgId: o.buyerOrgId });
  if (!(await db.subjectIdentity.findUnique({ where: { subjectRef: input.subjectRef } }))) {
    throw new AppError("NOT_FOUND", "UNKNOWN_SUBJECT", "No person with this identifier uses the marketplace: they cannot be asked.");
  }
  const resource = await db.dataResource.findUnique({ where: { id: input.resourceId } });
  if (!resource || resource.status !== "ACTIVE" || !resource.nodeId || !resource.dataset) throw new AppError("NOT_FOUND", "RESOURCE_NOT_FOUND", "No active resource served by a computation node has this id.");
  const known = new Set((resource.fields as { name: string }[]).map((f) => f.name));
  const unknown = input.fields.filter((f) => !known.has(f));
  if (unknown.length) throw new AppError("BAD_INPUT", "FIELD_NOT_IN_RESOURCE", `Not fields of ${resource.name}: ${unknown.join(", ")}.`);
  if (!(await db.envelopeKey.count({ where: { buyerOrgId: o.buyerOrgId, retiredAt: null } }))) {
    throw new AppError("BAD_INPUT", "NO_ENVELOPE_KEY", "Register an envelope key first: records are sealed to it.");
  }
  return db.$transaction(async (tx) => {
    const r = await tx.consentRequest.create({
      data: { buyerOrgId: o.buyerOrgId, requestedBy: o.userId, subjectRef: input.subjectRef, resourceId: resource.id, fields: [...new Set(input.fields)],
        purpose: input.purpose, validUntil: new Date(now.getTime() + input.validDays * 86_400_000), uses: input.uses, createdAt: now },
    });
    return { id: r.id, status: r.status };
  });
}

/** Requests for the signed-in person (by their subject identity). */
async function ownRequest(tx: Tx | PrismaClient, userId: string, requestId: string) {
  const me = await tx.subjectIdentity.findUnique({ where: { userId } });
  const r = await tx.consentRequest.findUnique({ where: { id: requestId } });
  if (!me || !r || r.subjectRef !== me.subjectRef) throw new AppError("NOT_FOUND", "REQUEST_NOT_FOUND", "No request about you has this id.");
  return r;
}

/**
 * What the person is asked to sign for a request, all but the nonce (their browser adds it):
 * the buyer, the buyer's current envelope key (its fingerprint is shown to the person), the
 * holder's node and dataset, the fields, the purpose, the expiry and the uses.
 */
export async function consentDraft(db: PrismaClient | Tx, o: { userId: string; requestId: string }) {
  const r = await ownRequest(db, o.userId, o.requestId);
  const resource = await db.dataResource.findUniqueOrThrow({ where: { id: r.resourceId } });
  const node = resource.nodeId ? await db.computationNode.findUnique({ where: { id: resource.nodeId } }) : null;
  if (!node || !resource.dataset) throw new AppError("UNAVAILABLE", "SOURCE_UNAVAILABLE", "The holder's computation node is not available.");
  const key = await db.envelopeKey.findFirst({ where: { buyerOrgId: r.buyerOrgId, retiredAt: null }, orderBy: { createdAt: "desc" } });
  if (!key) throw new AppError("CONFLICT", "NO_ENVELOPE_KEY", "The buyer has no envelope key any more: nothing could be sealed to it.");
  const draft: Omit<ConsentStatement, "nonce"> = {
    type: "consent", requestId: r.id, subjectRef: r.subjectRef, buyerOrgId: r.buyerOrgId, envelopeKey: key.thumbprint, nodeId: node.signingKey,
    dataset: resource.dataset, fields: r.fields, purpose: r.purpose, expiresAt: r.validUntil.getTime(), uses: r.uses,
  };
  return { draft, nodeId: node.id, request: r };
}

/** The subject approves (their own signature over the consent statement) or refuses. */
export async function decideConsent(db: PrismaClient, o: { userId: string; requestId: string; decision: "approve" | "refuse"; reason?: string; statement?: unknown; signature?: string; now?: Date }) {
  const now = o.now ?? new Date();
  return db.$transaction(async (tx) => {
    const r = await ownRequest(tx, o.userId, o.requestId);
    if (r.status !== "PENDING") throw new AppError("CONFLICT", "ALREADY_DECIDED", "You already answered this request.");
    if (r.validUntil <= now) throw new AppError("CONFLICT", "CONSENT_EXPIRED", "This request has expired.");
    if (o.decision === "refuse") {
      await tx.consentRequest.update({ where: { id: r.id }, data: { status: "REFUSED", decidedAt: now, refusal: o.reason ?? null } });
      await recordEvent(tx, { type: "consent.refused", objectId: r.id, refs: { buyerOrgId: r.buyerOrgId, resourceId: r.resourceId }, data: { purpose: r.purpose } });
      return { status: "REFUSED" as const };
    }
    // A person cannot grant what the supervisor has stopped: the request stays open to refuse.
    if (await activeSuspension(tx, r.buyerOrgId)) {
      throw new AppError("FORBIDDEN", "REQUESTER_SUSPENDED", "The supervisor has suspended the organisation asking: it cannot receive your records now. You can refuse the request.");
    }
    const parsed = consentStatement.safeParse(o.statement);
    if (!parsed.success || !o.signature) throw new AppError("BAD_INPUT", "CONSENT_NOT_SIGNED", "An approval is your signed consent statement: sign it with your key.");
    const { draft, nodeId } = await consentDraft(tx, { userId: o.userId, requestId: o.requestId });
    const { nonce, ...signed } = parsed.data;
    if (canonicalJson(signed) !== canonicalJson(draft)) throw new AppError("BAD_INPUT", "CONSENT_MISMATCH", "The signed consent does not match this request (buyer, key, fields, purpose, expiry or uses).");
    const keys = await tx.subjectKeyBinding.findMany({ where: { userId: o.userId, nodeId } });
    let verified = false;
    for (const k of keys) if (await verifyStatement(JSON.parse(k.publicJwk), parsed.data, o.signature)) verified = true;
    if (!verified) throw new AppError("FORBIDDEN", "KEY_NOT_LINKED", "This signature is not by a key you linked at this holder: link your key first.");
    await tx.consentRequest.update({ where: { id: r.id }, data: { status: "APPROVED", decidedAt: now, nullifier: nonce, usesLeft: r.uses, statement: parsed.data, signature: o.signature } });
    await recordEvent(tx, {
      type: "consent.granted", objectId: r.id, refs: { buyerOrgId: r.buyerOrgId, resourceId: r.resourceId },
      data: { purpose: r.purpose, fieldsHash: textHash(r.fields.join(",")), uses: r.uses, validUntil: r.validUntil.toISOString(), envelopeKey: draft.envelopeKey },
    });
    return { status: "APPROVED" as const };
  });
}

/** The subject withdraws a consent not yet spent. */
export async function revokeConsent(db: PrismaClient, o: { userId: string; requestId: string }) {
  return db.$transaction(async (tx) => {
    const r = await ownRequest(tx, o.userId, o.requestId);
    const moved = await tx.consentRequest.updateMany({ where: { id: r.id, status: "APPROVED" }, data: { status: "REVOKED" } });
    if (moved.count !== 1) throw new AppError("CONFLICT", r.status === "SPENT" ? "CONSENT_SPENT" : "NOT_REVOCABLE", r.status === "SPENT" ? "This consent was already used: it cannot be withdrawn." : "Only a consent given and not yet used can be withdrawn.");
    await recordEvent(tx, { type: "consent.revoked", objectId: r.id, refs: { buyerOrgId: r.buyerOrgId } });
    return { status: "REVOKED" as const };
  });
}

/**
 * Use one use of a consent, atomically (one conditional UPDATE): of two concurrent deliveries
 * exactly one gets it. Returns the person's signed statement and nullifier to deliver with. Throws the precise reason otherwise.
 */
export async function spendConsent(tx: Tx, o: { requestId: string; buyerOrgId: string; now?: Date }) {
  const now = o.now ?? new Date();
  const rows = await tx.$queryRaw<{ statement: ConsentStatement; signature: string; nullifier: string; usesLeft: number }[]>`
    UPDATE "ConsentRequest" SET "usesLeft" = "usesLeft" - 1,
      "status" = CASE WHEN "usesLeft" - 1 = 0 THEN 'SPENT'::"ConsentStatus" ELSE "status" END
    WHERE "id" = ${o.requestId}::uuid AND "buyerOrgId" = ${o.buyerOrgId}::uuid AND "status" = 'APPROVED' AND "usesLeft" > 0 AND "validUntil" > ${now}
    RETURNING "statement", "signature", "nullifier", "usesLeft"`;
  if (rows[0]) return rows[0];
  const r = await tx.consentRequest.findUnique({ where: { id: o.requestId } });
  if (!r || r.buyerOrgId !== o.buyerOrgId) throw new AppError("NOT_FOUND", "REQUEST_NOT_FOUND", "No consent request of yours has this id.");
  if (r.status === "SPENT") throw new AppError("CONFLICT", "CONSENT_SPENT", "This consent has been used: ask the person again.");
  if (r.status === "REVOKED") throw new AppError("FORBIDDEN", "CONSENT_REVOKED", "The person withdrew this consent.");
  if (r.status === "PENDING") throw new AppError("FORBIDDEN", "AWAITING_CONSENT", "The person has not answered yet.");
  if (r.status === "REFUSED") throw new AppError("FORBIDDEN", "CONSENT_REFUSED", "The person refused.");
  throw new AppError("FORBIDDEN", "CONSENT_EXPIRED", "This consent has expired.");
}

/** Give a use back when the delivery failed (nothing was released). */
export async function returnConsentUse(tx: Tx, requestId: string) {
  await tx.$executeRaw`UPDATE "ConsentRequest" SET "usesLeft" = "usesLeft" + 1, "status" = 'APPROVED'
    WHERE "id" = ${requestId}::uuid AND ("status" = 'SPENT' OR "status" = 'APPROVED') AND "usesLeft" < "uses"`;
}

/** Resources whose records are kept per person (keyed by subject_ref) and served by a node: what a buyer can ask for. */
export async function listPersonResources(db: PrismaClient) {
  const rows = await db.dataResource.findMany({ where: { status: "ACTIVE", nodeId: { not: null } }, orderBy: { name: "asc" }, take: 500,
    select: { id: true, name: true, nameZh: true, fields: true, holder: { select: { name: true } } } });
  return rows.flatMap((r) => {
    const fields = (r.fields as { name: string }[]).map((f) => f.name);
    return fields.includes("subject_ref") ? [{ id: r.id, name: r.name, nameZh: r.nameZh, holder: r.holder.name, fields: fields.filter((f) => f !== "subject_ref") }] : [];
  });
}

/** A buyer's envelope keys, newest first, retired ones included. */
export function listEnvelopeKeys(db: PrismaClient, o: { buyerOrgId: string }) {
  return db.envelopeKey.findMany({ where: { buyerOrgId: o.buyerOrgId }, orderBy: { createdAt: "desc" }, select: { thumbprint: true, createdAt: true, retiredAt: true } });
}

/** A buyer's consent requests, newest first. */
export function listConsentRequests(db: PrismaClient, o: { buyerOrgId: string }) {
  return db.consentRequest.findMany({
    where: { buyerOrgId: o.buyerOrgId }, orderBy: { createdAt: "desc" }, take: 100,
    select: { id: true, subjectRef: true, resourceId: true, fields: true, purpose: true, validUntil: true, uses: true, usesLeft: true, status: true, createdAt: true, decidedAt: true },
  });
}
