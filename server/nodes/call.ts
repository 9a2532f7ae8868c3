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
import { httpNodeCall, type NodeCall } from "../queries/jobs";

type NodeRef = { url: string; signingKey: string; name: string };
type Path = Parameters<NodeCall>[3];

/** Fresh request envelope fields: addressee, validity and a random nonce. */
export function freshFields(node: { signingKey: string }, validityMs = 60_000) {
  const issuedAt = Date.now();
  return { nodeId: node.signingKey, issuedAt, expiresAt: issuedAt + validityMs, nonce: randomBytes(18).toString("base64url") };
}

export async function callNode<T>(node: NodeRef, path: Path, request: unknown, schema: z.ZodType<T>, o: { call?: NodeCall; timeoutMs?: number; signed?: boolean } = {}): Promise<{ payload: T; signature: string }> {
  const body = o.signed === false ? request : signPayload("market-request", request, marketSigningKey().privateKey);
  const res = await (o.call ?? httpNodeCall)(node.url, body, AbortSignal.timeout(o.timeoutMs ?? 30_000), path)
    .catch((e: Error) => { throw new AppError("UNAVAILABLE", "NODE_UNREACHABLE", `The holder's node ${node.name} did not answer: ${e.message}`); });
  if (res.status !== 200) {
    const err = (res.json as { error?: { code?: string; message?: string } } | null)?.error;
    const code = res.status === 404 ? "NOT_FOUND" : res.status >= 500 ? "UNAVAILABLE" : res.status === 400 ? "BAD_INPUT" : res.status === 409 ? "CONFLICT" : "FORBIDDEN";
    throw new AppError(code, err?.code ?? "NODE_REFUSED", `The holder's node refused (${err?.code ?? res.status}): ${err?.message ?? "no reason given"}`);
  }
  const signed = res.json as { payload: unknown; signature: unknown } | null;
  if (!signed || !verifyPayload("node-response", signed, ed25519PublicFromBase64(node.signingKey))) {
    throw new AppError("UNAVAILABLE", "BAD_NODE_SIGNATURE", `The answer is not signed by ${node.name}'s registered key.`);
  }
  const parsed = schema.safeParse(signed.payload);
  if (!parsed.success) throw new AppError("UNAVAILABLE", "BAD_NODE_ANSWER", `${node.name} answered something unexpected.`);
  return { payload: parsed.data, signature: signed.signature as string };
}
