/**
 * A person's own signing key, bound to their subject reference at each holder's node.
 *
 * The person's browser makes a non-extractable P-256 key and proves to the holder's node,
 * with a MAC under the activation code the holder gave them, that the key is theirs
 * (core/statements.ts bindingMac). The node keeps the binding; the marketplace only relays,
 * records where the person is linked, and puts the node's salted binding hash on the ledger.
 * From then on the node accepts a consent or a records request about that person only when
 * that key signed it.
 */
import { z } from "zod";
import { bindSubjectResponse, type BindSubjectRequest } from "@/core/protocol";
import { canonicalJson } from "@/core/canonical-json";
import { signingPublicJwk } from "@/core/statements";
import type { PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";
import { recordEvent } from "../ledger/events";
import { callNode, freshFields } from "../nodes/client";
import type { NodeCall } from "../nodes/client";

export const bindSubjectKeyInput = z.object({
  nodeId: z.uuid(),
  publicJwk: z.record(z.string(), z.unknown()),
  mac: z.string().regex(/^[0-9a-f]{64}$/, { error: "The activation proof is a 64-digit hex MAC." }),
});

/** The person's subject reference, or a refusal when their identity is not verified. */
export async function ownSubjectRef(db: PrismaClient, userId: string) {
  const me = await db.subjectIdentity.findUnique({ where: { userId } });
  if (!me) throw new AppError("FORBIDDEN", "IDENTITY_NOT_VERIFIED", "Your identity is not verified: no holder knows you yet.");
  return me.subjectRef;
}

export async function bindSubjectKey(db: PrismaClient, o: { userId: string; call?: NodeCall } & z.input<typeof bindSubjectKeyInput>) {
  const input = bindSubjectKeyInput.parse(o);
  const subjectRef = await ownSubjectRef(db, o.userId);
  const jwk = signingPublicJwk.safeParse(input.publicJwk);
  if (!jwk.success) throw new AppError("BAD_INPUT", "BAD_SIGNING_KEY", "The key is not a P-256 public signing key.");
  const node = await db.computationNode.findUnique({ where: { id: input.nodeId } });
  if (!node?.active) throw new AppError("NOT_FOUND", "NODE_NOT_FOUND", "No active holder node has this id.");
  const request: BindSubjectRequest = { type: "bind-subject", ...freshFields(node), subjectRef, publicJwk: jwk.data, mac: input.mac };
  const { payload } = await callNode(node, "/v1/subject/bind", request, bindSubjectResponse, { call: o.call });
  if (payload.nodeId !== node.signingKey) throw new AppError("UNAVAILABLE", "BAD_NODE_ANSWER", "The node answered for another node.");
  return db.$transaction(async (tx) => {
    const ledgerEntryId = await recordEvent(tx, { type: "subject.key.bound", actorOrgId: node.organisationId, refs: { nodeId: node.id }, data: { bindingHash: payload.bindingHash } });
    await tx.subjectKeyBinding.upsert({
      where: { userId_nodeId_thumbprint: { userId: o.userId, nodeId: node.id, thumbprint: payload.thumbprint } },
      create: { userId: o.userId, nodeId: node.id, thumbprint: payload.thumbprint, publicJwk: canonicalJson(jwk.data), bindingHash: payload.bindingHash, ledgerEntryId },
      update: { bindingHash: payload.bindingHash, ledgerEntryId },
    });
    return { thumbprint: payload.thumbprint, bindingHash: payload.bindingHash };
  });
}

/** The holders' nodes that keep person-level records, and whether this person has linked a key there. */
export async function subjectNodes(db: PrismaClient, userId: string) {
  const resources = (await db.dataResource.findMany({ where: { status: "ACTIVE", nodeId: { not: null } }, include: { holder: { select: { name: true, nameZh: true } } } }))
    .filter((r) => (r.fields as { name: string }[]).some((f) => f.name === "subject_ref"));
  const nodes = await db.computationNode.findMany({ where: { id: { in: [...new Set(resources.map((r) => r.nodeId!))] }, active: true }, orderBy: { name: "asc" } });
  const bindings = await db.subjectKeyBinding.findMany({ where: { userId }, select: { nodeId: true, thumbprint: true } });
  return nodes.map((n) => {
    const holder = resources.find((r) => r.nodeId === n.id)!.holder;
    return { nodeId: n.id, nodeKey: n.signingKey, name: n.name, holder: holder.name, holderZh: holder.nameZh, keys: bindings.filter((b) => b.nodeId === n.id).map((b) => b.thumbprint) };
  });
}
