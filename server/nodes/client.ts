/**
 * One way to ask a holder's node something: sign the request with the market key (the node
 * checks it, but releases nothing on that signature alone), send it, and accept only an answer
 * signed by the node's registered key that parses as expected. Refusals come back as AppError
 * with the node's reason code.
 */
import { randomBytes } from "node:crypto";
import { sealedBody, sealRequest, SEALED_TYPE } from "@/core/transport";
import { consistencyBetween, currentCheckpoint } from "../ledger/log";
import type { z } from "zod";
import { ed25519PublicFromBase64, signPayload, verifyPayload } from "@/core/signing";
import { AppError } from "../errors";
import { marketSigningKey } from "../keys";
import type { LedgerHead } from "@/core/protocol";
import type { SignedCheckpoint } from "@/core/ledger";
import type { PrismaClient } from "../db/generated/client";

type NodeRef = { url: string; signingKey: string; name: string; agreementKey: string };

export type NodeCall = (url: string, body: unknown, signal: AbortSignal, path?: "/v1/aggregate" | "/v1/contribution" | "/v1/envelope" | "/v1/subject-records" | "/v1/subject/bind" | "/v1/holder/enrol" | "/v1/policy" | "/v1/commitment" | "/v1/audit/chain" | "/v1/audit/prove", sealTo?: string) => Promise<{ status: number; json: unknown }>;

/**
 * POST to a node. With the node's registered X25519 key the body is sealed to it and the answer
 * opened here (core/transport.ts): nothing readable crosses the wire. Without one (a
 * test's stand-in), plain JSON, which a node accepts only on loopback.
 */
export const httpNodeCall: NodeCall = async (url, body, signal, path = "/v1/aggregate", sealTo) => {
  const endpoint = `${url.replace(/\/$/, "")}${path}`;
  if (!sealTo) {
    const res = await fetch(endpoint, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal });
    return { status: res.status, json: await res.json().catch(() => null) };
  }
  const sealed = sealRequest(sealTo, JSON.stringify(body));
  const res = await fetch(endpoint, { method: "POST", headers: { "content-type": SEALED_TYPE }, body: JSON.stringify(sealed.body), signal });
  const answer = sealedBody.safeParse(await res.json().catch(() => null));
  if (!answer.success) return { status: res.status, json: null };
  try {
    return { status: res.status, json: JSON.parse(sealed.open(answer.data)) as unknown };
  } catch {
    return { status: res.status, json: null }; // altered on the way: reported as a malformed answer
  }
};

/**
 * A checkpoint (the current one unless given), with a consistency proof from `fromSize` (none
 * from 0, or when fromSize is beyond it: the node will say).
 */
export async function ledgerHeadFor(db: PrismaClient, fromSize: number, given?: SignedCheckpoint): Promise<LedgerHead> {
  const checkpoint = given ?? await currentCheckpoint(db);
  const proof = fromSize > 0 && fromSize <= checkpoint.size ? await consistencyBetween(db, fromSize, checkpoint.size) : [];
  return { checkpoint, fromSize, proof };
}

type Path = Parameters<NodeCall>[3];

/** Fresh request envelope fields: addressee, validity and a random nonce. */
export function freshFields(node: { signingKey: string }, validityMs = 60_000) {
  const issuedAt = Date.now();
  return { nodeId: node.signingKey, issuedAt, expiresAt: issuedAt + validityMs, nonce: randomBytes(18).toString("base64url") };
}

/** How often a witnessed request is sent again when the node reports another witnessed size. */
export const WITNESS_TRIES = 5;

/**
 * Our record of the size a node has witnessed only grows: with several workers the answers
 * arrive out of order, and a smaller size written last would make the next request start stale.
 */
export async function recordWitnessed(db: PrismaClient, nodeId: string, size: number) {
  await db.$executeRaw`UPDATE "ComputationNode" SET "witnessedSize" = ${BigInt(size)}
    WHERE "id" = ${nodeId}::uuid AND ("witnessedSize" IS NULL OR "witnessedSize" < ${BigInt(size)})`;
}

/**
 * A request that carries the ledger head the node witnesses: built for the size the node last
 * saw; if our record of that size is stale the node says which it has, and we retry from it.
 */
export async function callWitnessed<T>(db: PrismaClient, node: NodeRef & { id: string; witnessedSize: bigint | null }, path: Path, checkpoint: SignedCheckpoint,
  build: (ledger: LedgerHead) => unknown, schema: z.ZodType<T>, o: { call?: NodeCall; timeoutMs?: number } = {}) {
  let fromSize = Number(node.witnessedSize ?? 0n);
  for (let attempt = 0; ; attempt++) {
    try {
      const answer = await callNode(node, path, build(await ledgerHeadFor(db, fromSize, checkpoint)), schema, o);
      await recordWitnessed(db, node.id, checkpoint.size);
      return answer;
    } catch (e) {
      const size = (e as AppError & { size?: number }).size;
      if (attempt + 1 >= WITNESS_TRIES || !(e instanceof AppError) || (e.reason !== "WITNESS_FROM" && e.reason !== "WITNESS_BEHIND") || typeof size !== "number") throw e;
      fromSize = size;
    }
  }
}

/**
 * Sign (unless `signed: false`: a statement someone else signed), send, and accept only a 200
 * whose body is signed by the node's registered key and parses with `schema`. Everything else is
 * an AppError: NODE_UNREACHABLE, the node's own refusal code (with the witnessed `size` when it
 * sent one), BAD_NODE_SIGNATURE or BAD_NODE_ANSWER. `signal` lets a caller abort a round; the
 * timeout applies either way.
 */
export async function callNode<T>(node: NodeRef, path: Path, request: unknown, schema: z.ZodType<T>,
  o: { call?: NodeCall; timeoutMs?: number; signal?: AbortSignal; signed?: boolean } = {}): Promise<{ payload: T; signature: string }> {
  const body = o.signed === false ? request : signPayload("market-request", request, marketSigningKey().privateKey);
  const timeout = AbortSignal.timeout(o.timeoutMs ?? 30_000);
  const res = await (o.call ?? httpNodeCall)(node.url, body, o.signal ? AbortSignal.any([o.signal, timeout]) : timeout, path, node.agreementKey)
    .catch((e: Error) => { throw new AppError("UNAVAILABLE", "NODE_UNREACHABLE", `Node ${node.name} did not answer: ${e.message}`); });
  if (res.status !== 200) {
    const err = (res.json as { error?: { code?: string; message?: string; size?: number } } | null)?.error;
    const code = res.status === 404 ? "NOT_FOUND" : res.status >= 500 ? "UNAVAILABLE" : res.status === 400 ? "BAD_INPUT" : res.status === 409 ? "CONFLICT" : "FORBIDDEN";
    throw Object.assign(new AppError(code, err?.code ?? "NODE_REFUSED", `Node ${node.name} refused (${err?.code ?? res.status}): ${err?.message ?? "no reason given"}`), { size: err?.size });
  }
  return verifiedAnswer(node, res.json, schema);
}

/** A node's signed answer (any body), checked against the node's registered key and parsed with `schema`. */
export function verifiedAnswer<T>(node: { name: string; signingKey: string }, json: unknown, schema: z.ZodType<T>): { payload: T; signature: string } {
  const signed = json as { payload: unknown; signature: unknown } | null;
  if (!signed || typeof signed !== "object" || !verifyPayload("node-response", signed, ed25519PublicFromBase64(node.signingKey))) {
    throw new AppError("UNAVAILABLE", "BAD_NODE_SIGNATURE", `Node ${node.name}'s answer is not signed by its registered key.`);
  }
  const parsed = schema.safeParse(signed.payload);
  if (!parsed.success) throw new AppError("UNAVAILABLE", "BAD_NODE_ANSWER", `Node ${node.name} answered something unexpected (${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}).`);
  return { payload: parsed.data, signature: signed.signature as string };
}
