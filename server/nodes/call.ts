/**
 * One way to ask a holder's node something: sign the request with the market key (the node
 * checks it, but releases nothing on that signature alone), send it, and accept only an answer
 * signed by the node's registered key that parses as expected. Refusals come back as AppError
 * with the node's reason code.
 */
import { randomBytes } from "node:crypto";
import type { z } from "zod";
import { ed25519PublicFromBase64, signPayload, verifyPayload } from "@/computation/signing";
import { AppError } from "../errors";
import { marketSigningKey } from "../keys";
import { httpNodeCall, ledgerHeadFor, type NodeCall } from "../queries/jobs";
import type { LedgerHead } from "@/computation/protocol";
import type { SignedCheckpoint } from "@/sdk/ledger";
import type { PrismaClient } from "../db/generated/client";

type NodeRef = { url: string; signingKey: string; name: string; agreementKey: string };
type Path = Parameters<NodeCall>[3];

/** Fresh request envelope fields: addressee, validity and a random nonce. */
export function freshFields(node: { signingKey: string }, validityMs = 60_000) {
  const issuedAt = Date.now();
  return { nodeId: node.signingKey, issuedAt, expiresAt: issuedAt + validityMs, nonce: randomBytes(18).toString("base64url") };
}

/**
 * A request that carries the ledger head the node witnesses: built for the size the node last
 * saw; if our record of that size is stale the node says which it has, and we retry once.
 */
export async function callWitnessed<T>(db: PrismaClient, node: NodeRef & { id: string; witnessedSize: bigint | null }, path: Path, checkpoint: SignedCheckpoint,
  build: (ledger: LedgerHead) => unknown, schema: z.ZodType<T>, o: { call?: NodeCall; timeoutMs?: number } = {}) {
  let fromSize = Number(node.witnessedSize ?? 0n);
  for (let attempt = 0; ; attempt++) {
    try {
      const answer = await callNode(node, path, build(await ledgerHeadFor(db, fromSize, checkpoint)), schema, o);
      await db.computationNode.update({ where: { id: node.id }, data: { witnessedSize: BigInt(checkpoint.size) } });
      return answer;
    } catch (e) {
      const size = (e as AppError & { size?: number }).size;
      if (attempt > 0 || !(e instanceof AppError) || (e.reason !== "WITNESS_FROM" && e.reason !== "WITNESS_BEHIND") || typeof size !== "number") throw e;
      fromSize = size;
    }
  }
}

export async function callNode<T>(node: NodeRef, path: Path, request: unknown, schema: z.ZodType<T>, o: { call?: NodeCall; timeoutMs?: number; signed?: boolean } = {}): Promise<{ payload: T; signature: string }> {
  const body = o.signed === false ? request : signPayload("market-request", request, marketSigningKey().privateKey);
  const res = await (o.call ?? httpNodeCall)(node.url, body, AbortSignal.timeout(o.timeoutMs ?? 30_000), path, node.agreementKey)
    .catch((e: Error) => { throw new AppError("UNAVAILABLE", "NODE_UNREACHABLE", `The holder's node ${node.name} did not answer: ${e.message}`); });
  if (res.status !== 200) {
    const err = (res.json as { error?: { code?: string; message?: string; size?: number } } | null)?.error;
    const code = res.status === 404 ? "NOT_FOUND" : res.status >= 500 ? "UNAVAILABLE" : res.status === 400 ? "BAD_INPUT" : res.status === 409 ? "CONFLICT" : "FORBIDDEN";
    throw Object.assign(new AppError(code, err?.code ?? "NODE_REFUSED", `The holder's node refused (${err?.code ?? res.status}): ${err?.message ?? "no reason given"}`), { size: err?.size });
  }
  const signed = res.json as { payload: unknown; signature: unknown } | null;
  if (!signed || !verifyPayload("node-response", signed, ed25519PublicFromBase64(node.signingKey))) {
    throw new AppError("UNAVAILABLE", "BAD_NODE_SIGNATURE", `The answer is not signed by ${node.name}'s registered key.`);
  }
  const parsed = schema.safeParse(signed.payload);
  if (!parsed.success) throw new AppError("UNAVAILABLE", "BAD_NODE_ANSWER", `${node.name} answered something unexpected.`);
  return { payload: parsed.data, signature: signed.signature as string };
}
