/**
 * The holder's own policy at its node, seen and changed from the holder's console. The node
 * publishes its policy signed with its own key; a change is a statement signed by a key the
 * holder enrolled at the node from its browser (with the node's enrolment code), which the
 * marketplace relays and the node applies itself. The marketplace can neither forge nor block
 * a change unseen: the console shows the node's own signed answer.
 */
import { z } from "zod";
import type { EnrolHolderRequest } from "@/core/protocol";
import { signingPublicJwk } from "@/core/statements";
import type { PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";
import { callNode, freshFields, verifiedAnswer, type NodeCall } from "./client";

const policyDoc = z.object({ type: z.literal("node-policy"), nodeId: z.string(), policies: z.record(z.string(), z.unknown().nullable()), holderKeys: z.array(z.string()), accounts: z.record(z.string(), z.object({ spent: z.number(), periodDays: z.number().int() })).optional() });
export type NodePolicyDocument = { payload: z.infer<typeof policyDoc>; signature: string };

/** A node's policy document, checked against its registered key. */
export async function fetchNodePolicy(node: { url: string; signingKey: string; name: string }): Promise<NodePolicyDocument> {
  const res = await fetch(`${node.url.replace(/\/$/, "")}/v1/policy`, { signal: AbortSignal.timeout(5000) })
    .catch((e: Error) => { throw new AppError("UNAVAILABLE", "NODE_UNREACHABLE", `The node ${node.name} did not answer: ${e.message}`); });
  const { payload, signature } = verifiedAnswer(node, await res.json().catch(() => null), policyDoc);
  if (payload.nodeId !== node.signingKey) throw new AppError("UNAVAILABLE", "BAD_NODE_ANSWER", `${node.name} sent another node's policy.`);
  return { payload, signature };
}

/** The holder's nodes, each with its signed policy (or why it is unavailable) and the products that use it, approved at the node or not. */
export async function holderNodePolicies(db: PrismaClient, holderOrgId: string) {
  const nodes = await db.computationNode.findMany({ where: { organisationId: holderOrgId, active: true }, orderBy: { name: "asc" } });
  return Promise.all(nodes.map(async (n) => {
    const uses = await db.productSource.findMany({ where: { nodeId: n.id }, include: { product: { select: { id: true, name: true, nameZh: true, slug: true, status: true, sources: { select: { node: { select: { signingKey: true, name: true } } } } } } } });
    let doc: NodePolicyDocument | null = null;
    let error: string | null = null;
    try { doc = await fetchNodePolicy(n); } catch (e) { error = (e as Error).message; }
    const products = uses.map((u) => {
      const policy = doc?.payload.policies[u.dataset] as { products?: Record<string, { sources: string[] }> } | null | undefined;
      const sources = u.product.sources.map((s) => s.node.signingKey);
      const approved = policy?.products?.[u.product.id]?.sources.slice().sort().join() === sources.slice().sort().join();
      return { productId: u.product.id, name: u.product.name, nameZh: u.product.nameZh, status: u.product.status, dataset: u.dataset, sources, sourceNames: u.product.sources.map((s) => s.node.name), approved };
    });
    return { nodeId: n.id, name: n.name, nodeKey: n.signingKey, document: doc, error, products };
  }));
}

async function ownNode(db: PrismaClient, holderOrgId: string, nodeId: string) {
  const node = await db.computationNode.findUnique({ where: { id: nodeId } });
  if (!node || node.organisationId !== holderOrgId || !node.active) throw new AppError("NOT_FOUND", "NODE_NOT_FOUND", "No active node of yours has this id.");
  return node;
}

export const enrolHolderKeyInput = z.object({ nodeId: z.uuid(), publicJwk: z.record(z.string(), z.unknown()), mac: z.string().regex(/^[0-9a-f]{64}$/) });

/** Relay a browser key's enrolment (the node checks the MAC under its own code). */
export async function enrolHolderKey(db: PrismaClient, o: { holderOrgId: string; call?: NodeCall } & z.input<typeof enrolHolderKeyInput>) {
  const input = enrolHolderKeyInput.parse(o);
  const node = await ownNode(db, o.holderOrgId, input.nodeId);
  const jwk = signingPublicJwk.safeParse(input.publicJwk);
  if (!jwk.success) throw new AppError("BAD_INPUT", "BAD_SIGNING_KEY", "The key is not a P-256 public signing key.");
  const request: EnrolHolderRequest = { type: "enrol-holder", ...freshFields(node), publicJwk: jwk.data, mac: input.mac };
  const { payload } = await callNode(node, "/v1/holder/enrol", request, z.object({ type: z.literal("holder-enrolled"), nodeId: z.string(), thumbprint: z.string() }), { call: o.call });
  return { thumbprint: payload.thumbprint };
}

export const applyNodePolicyInput = z.object({ nodeId: z.uuid(), statement: z.record(z.string(), z.unknown()), signature: z.string().max(200) });

/** Relay a policy change the holder signed in its browser; the node verifies and applies it. */
export async function applyNodePolicy(db: PrismaClient, o: { holderOrgId: string; call?: NodeCall } & z.input<typeof applyNodePolicyInput>) {
  const input = applyNodePolicyInput.parse(o);
  const node = await ownNode(db, o.holderOrgId, input.nodeId);
  const { payload } = await callNode(node, "/v1/policy", { statement: input.statement, signature: input.signature },
    z.object({ type: z.literal("policy-applied"), nodeId: z.string(), dataset: z.string(), version: z.number().int() }), { call: o.call, signed: false });
  return { dataset: payload.dataset, version: payload.version };
}
