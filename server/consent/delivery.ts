/**
 * Delivering a digital envelope: one use of the consent is spent atomically, the holder's node
 * checks the consent itself, reads the record in its own domain and seals it to the buyer's
 * key; the marketplace relays the envelope to the buyer and keeps only its hash and the
 * nullifier (on the ledger). A failed delivery gives the use back; nothing is released.
 */
import { envelopeResponse, subjectRecordsResponse, type EnvelopeRequest, type LedgerHead, type SubjectRecordsRequest } from "@/core/protocol";
import { envelopeHash } from "@/core/envelope";
import { subjectRecordsStatement } from "@/core/statements";
import type { PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";
import { recordEvent } from "../ledger/events";
import { freshCheckpoint, supervisionProofs } from "../queries/authorization";
import { callNode, callWitnessed, freshFields } from "../nodes/client";
import type { NodeCall } from "../nodes/client";
import { returnConsentUse, spendConsent } from "./consents";
import { ownSubjectRef } from "./subject-keys";
import { assertNotSuspended } from "../ledger/supervision";

export async function deliverEnvelope(db: PrismaClient, o: { requestId: string; buyerOrgId: string; call?: NodeCall }) {
  const r = await db.consentRequest.findUnique({ where: { id: o.requestId } });
  if (!r || r.buyerOrgId !== o.buyerOrgId) throw new AppError("NOT_FOUND", "REQUEST_NOT_FOUND", "No consent request of yours has this id.");
  // Refused here first; the holder's node refuses it again on the supervisor's ledger entry.
  await assertNotSuspended(db, { buyerOrgId: o.buyerOrgId });
  const resource = await db.dataResource.findUniqueOrThrow({ where: { id: r.resourceId } });
  const node = resource.nodeId ? await db.computationNode.findUnique({ where: { id: resource.nodeId } }) : null;
  if (!node?.active || !resource.dataset) throw new AppError("UNAVAILABLE", "SOURCE_UNAVAILABLE", "The holder's computation node is not available.");

  const spent = await db.$transaction((tx) => spendConsent(tx, { requestId: r.id, buyerOrgId: o.buyerOrgId }));
  try {
    const ekt = spent.statement.envelopeKey;
    const key = await db.envelopeKey.findUnique({ where: { thumbprint: ekt } });
    if (!key || key.retiredAt) throw new AppError("CONFLICT", "KEY_RETIRED", "The envelope key this consent names was retired: ask the person again.");
    // The node witnesses the ledger and sees the supervisor's suspensions of this buyer for itself.
    const checkpoint = await freshCheckpoint(db);
    const supervision = await supervisionProofs(db, [r.buyerOrgId], checkpoint.size);
    const build = (ledger: LedgerHead): EnvelopeRequest => ({
      type: "envelope", requestId: r.id, ...freshFields(node), consent: { statement: spent.statement, signature: spent.signature },
      buyerKey: JSON.parse(key.publicJwk) as Record<string, unknown>, ledger, supervision,
    });
    const { payload: answer, signature } = await callWitnessed(db, node, "/v1/envelope", checkpoint, build, envelopeResponse, { call: o.call });
    if (answer.requestId !== r.id || answer.nodeId !== node.signingKey || envelopeHash(answer.envelope) !== answer.envelopeHash) throw new AppError("UNAVAILABLE", "BAD_ENVELOPE", "The node's answer does not match this request.");
    await db.$transaction(async (tx) => {
      await recordEvent(tx, { type: "consent.spent", objectId: r.id, refs: { buyerOrgId: r.buyerOrgId, resourceId: r.resourceId }, data: { nullifier: spent.nullifier, purpose: r.purpose } });
      const ledgerEntryId = await recordEvent(tx, { type: "envelope.delivered", actorOrgId: node.organisationId, objectId: r.id, refs: { buyerOrgId: r.buyerOrgId }, data: { envelopeHash: answer.envelopeHash } });
      await tx.envelopeDelivery.create({ data: { requestId: r.id, envelopeHash: answer.envelopeHash, keyThumbprint: ekt, ledgerEntryId } });
    });
    // The node's signed answer goes to the buyer as is: its browser checks the node's signature before opening.
    return { envelope: answer.envelope, envelopeHash: answer.envelopeHash, signed: { payload: answer, signature }, nodeKey: node.signingKey };
  } catch (e) {
    await db.$transaction((tx) => returnConsentUse(tx, r.id));
    throw e;
  }
}

/**
 * What the holders keep about a person, asked of the nodes where the person linked a key, by a
 * request their browser signed for each node (the marketplace stores no list and cannot ask on
 * its own). A node that does not answer in time is shown as unavailable.
 */
export async function subjectRecords(db: PrismaClient, o: { userId: string; requests: { nodeId: string; statement: unknown; signature: string }[]; call?: NodeCall }) {
  const subjectRef = await ownSubjectRef(db, o.userId);
  const resources = (await db.dataResource.findMany({ where: { status: "ACTIVE", nodeId: { in: o.requests.map((q) => q.nodeId) } }, include: { holder: { select: { name: true } } } }))
    .filter((r) => (r.fields as { name: string }[]).some((f) => f.name === "subject_ref"));
  const nodes = await db.computationNode.findMany({ where: { id: { in: [...new Set(resources.map((r) => r.nodeId!))] }, active: true } });
  const answers = new Map<string, string[] | null>();
  await Promise.all(nodes.map(async (n) => {
    const q = o.requests.find((x) => x.nodeId === n.id)!;
    const st = subjectRecordsStatement.safeParse(q.statement);
    if (!st.success || st.data.subjectRef !== subjectRef || st.data.nodeId !== n.signingKey) throw new AppError("BAD_INPUT", "BAD_STATEMENT", "A records request is not yours or not for this holder.");
    const request: SubjectRecordsRequest = { type: "subject-records", ...freshFields(n, 30_000), request: { statement: st.data, signature: q.signature } };
    try {
      const { payload } = await callNode(n, "/v1/subject-records", request, subjectRecordsResponse, { call: o.call, timeoutMs: 3000 });
      answers.set(n.id, payload.subjectRef === subjectRef ? payload.datasets : null);
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
