/**
 * Submitting a query the buyer itself authorised, the same way from the browser, the SDK and
 * the CLI: ask the marketplace for the plan, check that the plan hashes to what it says (what is
 * signed is what the nodes will be shown), sign {query id, product, plan hash, HE key hash, ε}
 * with the buyer's own key, and submit. The nodes refuse any plan, key or ε that differs.
 */
import { planHash, sha256Hex, signStatement, type QueryAuthorization } from "./statements";

/** The buyer's query-signing key: a (non-extractable, in the browser) private key and its registered thumbprint. */
export type QuerySigner = { privateKey: CryptoKey; thumbprint: string };

type Api<Q> = {
  buyer: {
    prepareQuery: { query(i: { productId: string; query: Q }): Promise<{ plan: Record<string, unknown>; planHash: string; epsilon: number; buyerOrgId: string }> };
    submitQuery: { mutate(i: { productId: string; query: Q; publicKey: string; queryId: string; signature: string; signingKey: string; idempotencyKey?: string }): Promise<{ id: string; status: string; epsilon: number }> };
  };
};

export async function submitSignedQuery<Q>(api: Api<Q>, o: { productId: string; query: Q; publicKey: string; signer: QuerySigner; idempotencyKey?: string }) {
  const prepared = await api.buyer.prepareQuery.query({ productId: o.productId, query: o.query });
  if (planHash(prepared.plan) !== prepared.planHash) throw new Error("The marketplace's plan does not hash to the hash it gave: not signing it.");
  const statement: QueryAuthorization = {
    type: "query-authorization", queryId: crypto.randomUUID(), productId: o.productId, buyerOrgId: prepared.buyerOrgId,
    planHash: prepared.planHash, heKeyHash: sha256Hex(o.publicKey), epsilon: prepared.epsilon,
  };
  const signature = await signStatement(o.signer.privateKey, statement);
  const submitted = await api.buyer.submitQuery.mutate({
    productId: o.productId, query: o.query, publicKey: o.publicKey, queryId: statement.queryId, signature, signingKey: o.signer.thumbprint,
    ...(o.idempotencyKey ? { idempotencyKey: o.idempotencyKey } : {}),
  });
  // The caller keeps the signed plan hash with the job id and checks the plan the job comes back with (sdk/decode.ts checkSignedPlan).
  return { ...submitted, planHash: statement.planHash };
}
