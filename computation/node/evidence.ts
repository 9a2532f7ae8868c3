/**
 * Evidence a node checks for itself before it computes or releases anything: ledger entries
 * proven included under a checkpoint the node has just witnessed, and signatures made by the
 * buyer's or the person's own key. The marketplace relays this evidence; it cannot make it.
 *
 *   checkQueryEvidence   the buyer signed {query, product, plan hash, HE key hash, ε} with a
 *                        key registered on the ledger, and the query is on the ledger as signed
 *   activeSuspensions    the supervisor's suspensions (ledger entries) in force for these targets
 */
import { fromHex, leafHash, LedgerProofError, verifyInclusion, type SignedCheckpoint } from "@/core/ledger";
import { planHash, queryAuthorization, sha256Hex, signingKeyThumbprint, signingPublicJwk, verifyStatement, type QueryAuthorization } from "@/core/statements";
import type { LedgerEntryProof, QueryEvidence } from "@/core/protocol";

/** A checkpoint older than this is not fresh enough to show that a query is public. */
export const CHECKPOINT_MAX_AGE_MS = 5 * 60_000;

export class EvidenceRefusal extends Error {
  constructor(readonly code: string, message: string) { super(message); this.name = "EvidenceRefusal"; }
}
const refuse = (code: string, message: string): never => { throw new EvidenceRefusal(code, message); };

type LeafBody = { v: number; id: string; type: string; at: string; actor: string; object?: string; refs?: Record<string, string>; data?: Record<string, unknown> };

/** The entry's body, once its inclusion under the checkpoint is proven. */
export function provenEntry(e: LedgerEntryProof, checkpoint: SignedCheckpoint): LeafBody {
  try {
    verifyInclusion(leafHash(new TextEncoder().encode(e.body)), e.index, checkpoint.size, e.proof.map((h) => fromHex(h, 32)), fromHex(checkpoint.root, 32));
  } catch (err) {
    if (err instanceof LedgerProofError) refuse("NOT_ON_LEDGER", `Ledger entry ${e.index} is not proven under the checkpoint of size ${checkpoint.size}: ${err.message}.`);
    throw err;
  }
  try {
    return JSON.parse(e.body) as LeafBody;
  } catch {
    return refuse("NOT_ON_LEDGER", `Ledger entry ${e.index} is not an event.`);
  }
}

export function checkFreshCheckpoint(checkpoint: SignedCheckpoint, now: number) {
  if (now - checkpoint.timestamp > CHECKPOINT_MAX_AGE_MS) refuse("CHECKPOINT_STALE", "The ledger checkpoint is more than five minutes old.");
}

/**
 * Check that the buyer authorised exactly this query and that it is on the ledger. Returns
 * the statement (whose buyer and ε the node charges).
 */
export async function checkQueryEvidence(ev: QueryEvidence, checkpoint: SignedCheckpoint, req: { queryId: string; productId: string; plan: unknown; publicKey: string }): Promise<QueryAuthorization> {
  const parsed = queryAuthorization.safeParse(ev.statement);
  if (!parsed.success) refuse("NOT_AUTHORISED", "The query carries no well-formed authorisation by the buyer.");
  const s = parsed.data!;
  if (s.queryId !== req.queryId || s.productId !== req.productId) refuse("NOT_AUTHORISED", "The buyer's authorisation is for another query.");
  const entry = provenEntry(ev.entry, checkpoint);
  const d = entry.data ?? {};
  if (entry.type !== "query.accepted" || entry.object !== s.queryId) refuse("NOT_ON_LEDGER", "The ledger entry given is not this query's acceptance.");
  // What the ledger says the buyer signed is what must be computed: another plan or key is refused.
  if (d.planHash !== planHash(req.plan) || s.planHash !== d.planHash) refuse("PLAN_CHANGED", "The plan is not the one the buyer signed.");
  if (d.heKeyHash !== sha256Hex(req.publicKey) || s.heKeyHash !== d.heKeyHash) refuse("PLAN_CHANGED", "The encryption key is not the one the buyer signed.");
  if (entry.actor !== s.buyerOrgId || entry.refs?.productId !== s.productId || d.epsilon !== s.epsilon || d.signature !== ev.signature) {
    refuse("NOT_ON_LEDGER", "The ledger does not record this query as the buyer signed it.");
  }
  const keyEntry = provenEntry(ev.keyEntry, checkpoint);
  const jwk = signingPublicJwk.safeParse({ kty: keyEntry.data?.kty, crv: keyEntry.data?.crv, x: keyEntry.data?.x, y: keyEntry.data?.y });
  if (keyEntry.type !== "buyer.key.registered" || keyEntry.actor !== s.buyerOrgId || !jwk.success || keyEntry.refs?.thumbprint !== d.buyerKey
    || (await signingKeyThumbprint(jwk.data)) !== d.buyerKey) {
    refuse("NOT_AUTHORISED", "The signing key is not one the buyer registered on the ledger.");
  }
  if (!(await verifyStatement(jwk.data, s, ev.signature))) refuse("BAD_BUYER_SIGNATURE", "The buyer's signature does not verify.");
  return s;
}

/**
 * The suspensions in force for any of `targets` (organisation or product ids), from the
 * supervision entries relayed with a request. Each must be proven on the ledger; a
 * suspension is lifted only by a later `supervision.lifted` of the same suspension.
 */
export function activeSuspensions(entries: LedgerEntryProof[], checkpoint: SignedCheckpoint, targets: string[]): string[] {
  const open = new Map<string, string>();
  for (const e of [...entries].sort((a, b) => a.index - b.index)) {
    const body = provenEntry(e, checkpoint);
    const target = body.refs?.targetId;
    if (!body.object || !target || !targets.includes(target)) continue;
    if (body.type === "supervision.suspended") open.set(body.object, target);
    else if (body.type === "supervision.lifted") open.delete(body.object);
  }
  return [...new Set(open.values())];
}
