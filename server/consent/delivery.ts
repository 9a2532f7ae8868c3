/**
 * Delivering a digital envelope: one use of the consent is spent atomically, the holder's node
 * checks the consent itself, reads the record in its own domain and seals it to the buyer's
 * key; the marketplace relays the envelope to the buyer and keeps only its hash and the
 * nullifier (on the ledger). A failed delivery gives the use back; nothing is released.
 */
import { randomBytes } from "node:crypto";
import { decodeJwt } from "jose";
import { envelopeResponse, subjectRecordsResponse, type EnvelopeRequest, type SubjectRecordsRequest } from "@/computation/protocol";
import { ed25519PublicFromBase64, signPayload, verifyPayload } from "@/computation/signing";
import { envelopeHash } from "@/sdk/envelope";
import type { PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";
import { marketSigningKey } from "../keys";
import { recordEvent } from "../ledger/events";
import { httpNodeCall, type NodeCall } from "../queries/jobs";
import { returnConsentUse, spendConsent } from "./consents";

export async function deliverEnvelope(db: PrismaClient, o: { requestId: string; buyerOrgId: string; call?: NodeCall }) {
  const r = await db.consentRequest.findUnique({ where: { id: o.requestId } });
  if (!r || r.buyerOrgId !== o.buyerOrgId) throw new AppError("NOT_FOUND", "REQUEST_NOT_FOUND", "No consent request of yours has this id.");
  const resource = await db.dataResource.findUniqueOrThrow({ where: { id: r.resourceId } });
  const node = resource.nodeId ? await db.computationNode.findUnique({ where: { id: resource.nodeId } }) : null;
  if (!node?.active || !resource.dataset) throw new AppError("UNAVAILABLE", "SOURCE_UNAVAILABLE", "The holder's computation node is not available.");

  const spent = await db.$transaction((tx) => spendConsent(tx, { requestId: r.id, buyerOrgId: o.buyerOrgId }));
  try {
    const ekt = decodeJwt(spent.token).ekt as string;
    const key = await db.envelopeKey.findUnique({ where: { thumbprint: ekt } });
    if (!key || key.retiredAt) throw new AppError("CONFLICT", "KEY_RETIRED", "The envelope key this consent names was retired: ask the person again.");
    const issuedAt = Date.now();
    const request: EnvelopeRequest = {
      type: "envelope", requestId: r.id, nodeId: node.signingKey, dataset: resource.dataset, consent: spent.token, buyerOrgId: r.buyerOrgId,
      purpose: r.purpose, fields: r.fields, buyerKey: JSON.parse(key.publicJwk) as Record<string, unknown>, issuedAt, expiresAt: issuedAt + 60_000, nonce: randomBytes(18).toString("base64url"),
    };
    const res = await (o.call ?? httpNodeCall)(node.url, signPayload("market-request", request, marketSigningKey().privateKey), AbortSignal.timeout(30_000), "/v1/envelope")
      .catch((e: Error) => { throw new AppError("UNAVAILABLE", "NODE_UNREACHABLE", `The holder's node did not answer: ${e.message}`); });
    if (res.status !== 200) {
      const err = (res.json as { error?: { code?: string; message?: string } } | null)?.error;
      throw new AppError(res.status === 404 ? "NOT_FOUND" : "CONFLICT", err?.code ?? "NODE_REFUSED", `The holder's node refused: ${err?.message ?? res.status}`);
    }
    const signed = res.json as { payload: unknown; signature: unknown };
    if (!verifyPayload("node-response", signed, ed25519PublicFromBase64(node.signingKey))) throw new AppError("UNAVAILABLE", "BAD_NODE_SIGNATURE", "The envelope is not signed by the holder's node.");
    const answer = envelopeResponse.parse(signed.payload);
    if (answer.requestId !== r.id || envelopeHash(answer.envelope) !== answer.envelopeHash) throw new AppError("UNAVAILABLE", "BAD_ENVELOPE", "The node's answer does not match this request.");
    await db.$transaction(async (tx) => {
      await recordEvent(tx, { type: "consent.spent", objectId: r.id, refs: { buyerOrgId: r.buyerOrgId, resourceId: r.resourceId }, data: { nullifier: spent.nullifier, purpose: r.purpose } });
      const ledgerEntryId = await recordEvent(tx, { type: "envelope.delivered", actorOrgId: node.organisationId, objectId: r.id, refs: { buyerOrgId: r.buyerOrgId }, data: { envelopeHash: answer.envelopeHash } });
      await tx.envelopeDelivery.create({ data: { requestId: r.id, envelopeHash: answer.envelopeHash, keyThumbprint: ekt, ledgerEntryId } });
    });
    return { envelope: answer.envelope, envelopeHash: answer.envelopeHash };
  } catch (e) {
    await db.$transaction((tx) => returnConsentUse(tx, r.id));
    throw e;
  }
}

/**
 * What the holders keep about a person, asked of their nodes by the person's identifier (the
 * marketplace stores no list): per person-level resource, whether its node has a record. A node
 * that does not answer in time is shown as unavailable.
 */
export async function subjectRecords(db: PrismaClient, subjectRef: string, call: NodeCall = httpNodeCall) {
  const resources = (await db.dataResource.findMany({ where: { status: "ACTIVE", nodeId: { not: null } }, include: { holder: { select: { name: true } } } }))
    .filter((r) => (r.fields as { name: string }[]).some((f) => f.name === "subject_ref"));
  const nodes = await db.computationNode.findMany({ where: { id: { in: [...new Set(resources.map((r) => r.nodeId!))] }, active: true } });
  const answers = new Map<string, string[] | null>();
  await Promise.all(nodes.map(async (n) => {
    const issuedAt = Date.now();
    const request: SubjectRecordsRequest = { type: "subject-records", nodeId: n.signingKey, subjectRef, issuedAt, expiresAt: issuedAt + 30_000, nonce: randomBytes(18).toString("base64url") };
    try {
      const res = await call(n.url, signPayload("market-request", request, marketSigningKey().privateKey), AbortSignal.timeout(3000), "/v1/subject-records");
      const signed = res.json as { payload: unknown; signature: unknown };
      if (res.status !== 200 || !verifyPayload("node-response", signed, ed25519PublicFromBase64(n.signingKey))) throw new Error(String(res.status));
      const answer = subjectRecordsResponse.parse(signed.payload);
      answers.set(n.id, answer.subjectRef === subjectRef ? answer.datasets : null);
    } catch {
      answers.set(n.id, null);
    }
  }));
  return resources.flatMap((r) => {
    const datasets = answers.get(r.nodeId!);
    if (datasets === undefined) return [];
    if (datasets === null) return [{ resourceId: r.id, resource: r.name, holder: r.holder.name, available: false }];
    return datasets.includes(r.dataset!) ? [{ resourceId: r.id, resource: r.name, holder: r.holder.name, available: true }] : [];
  });
}
