/**
 * The buyer SDK: sign in, list products, submit an encrypted query, wait for it, and
 * decrypt the result locally. The HE secret key never leaves this process.
 *
 *   const m = await MarketplaceClient.signIn("http://localhost:3000", email, password);
 *   const keys = await generateKeys();
 *   const rows = await m.query({ product: "hospital-claims-by-district-age", query, keys });
 */
import { createTRPCClient, httpLink } from "@trpc/client";
import superjson from "superjson";
import { decryptVector } from "@/core/he";
import { vectorLength } from "@/core/protocol";
import type { AppRouter } from "../server/api/root";
import type { BuyerQuery } from "../server/queries/policy";
import { checkSignedPlan, decodeResult, type PlannedQuery, type ResultRow } from "./decode";
import { submitSignedQuery } from "@/core/signed-query";
import { importPrivateJwk, signingKeyThumbprint, type SigningPublicJwk } from "@/core/statements";

/** The buyer's query-signing key as the SDK keeps it (a JWK pair in the key file; the browser keeps a non-extractable key instead). */
export type SigningKeyFile = { publicJwk: SigningPublicJwk; privateJwk: JsonWebKey };

/** A finished query: its job, the plan hash the buyer signed, and the decrypted, decoded rows. */
export type QueryOutcome = {
  id: string;
  /** ε this query spent, and the buyer's budget on the product afterwards */
  epsilon: number;
  budget: { total: number; spent: number } | null;
  planned: PlannedQuery;
  signedPlanHash: string;
  rows: ResultRow[];
};

/** Sign in with email and password (next-auth's credentials flow); the session's Cookie header. */
export async function signInCookie(baseUrl: string, email: string, password: string): Promise<string> {
  const base = baseUrl.replace(/\/$/, "");
  const csrfRes = await fetch(`${base}/api/auth/csrf`).catch((e: Error) => { throw new Error(`Cannot reach the marketplace at ${base}: ${e.message}`); });
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const jar = new Map<string, string>();
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) { const [pair] = c.split(";"); const i = pair!.indexOf("="); jar.set(pair!.slice(0, i), pair!.slice(i + 1)); }
  };
  keep(csrfRes);
  const res = await fetch(`${base}/api/auth/callback/credentials`, {
    method: "POST", redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") },
    body: new URLSearchParams({ csrfToken, email, password, json: "true" }),
  });
  keep(res);
  if (![...jar.keys()].some((k) => k.endsWith("next-auth.session-token"))) throw new Error("Sign-in failed: wrong email or password.");
  return [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
}

export class MarketplaceClient {
  private readonly api;

  private constructor(readonly baseUrl: string, cookie: string) {
    this.api = createTRPCClient<AppRouter>({
      links: [httpLink({ url: `${baseUrl}/api/trpc`, transformer: superjson, headers: () => ({ cookie }) })],
    });
  }

  /** Sign in with email and password (next-auth's credentials flow) and keep the session cookie. */
  static async signIn(baseUrl: string, email: string, password: string): Promise<MarketplaceClient> {
    const base = baseUrl.replace(/\/$/, "");
    return new MarketplaceClient(base, await signInCookie(base, email, password));
  }

  /**
   * Submit (signed with the buyer's own key, registered first if new: the registration goes on
   * the ledger), wait, decrypt, decode. Throws with the marketplace's reason if refused or failed.
   */
  async query(opts: { product: string; query: BuyerQuery; keys: { publicKey: string; secretKey: string; signing: SigningKeyFile }; onProgress?: (p: number) => void }): Promise<QueryOutcome> {
    const products = await this.api.buyer.products.query();
    const product = products.find((p) => p.slug === opts.product || p.id === opts.product);
    if (!product) throw new Error(`No listed product "${opts.product}". Listed: ${products.map((p) => p.slug).join(", ") || "none"}.`);
    const thumbprint = await signingKeyThumbprint(opts.keys.signing.publicJwk);
    const registered = await this.api.buyer.signingKeys.query();
    if (!registered.some((k) => k.thumbprint === thumbprint && !k.retiredAt)) await this.api.buyer.registerSigningKey.mutate({ publicJwk: opts.keys.signing.publicJwk });
    const signer = { privateKey: await importPrivateJwk(opts.keys.signing.privateJwk), thumbprint };
    const { id, planHash: signedPlanHash } = await submitSignedQuery(this.api, { productId: product.id, query: opts.query, publicKey: opts.keys.publicKey, signer, idempotencyKey: crypto.randomUUID() });
    for (;;) {
      const job = await this.api.buyer.query.query({ jobId: id });
      opts.onProgress?.(job.progress);
      if (job.status === "FAILED") throw new Error(`The query failed: ${job.error}`);
      if (job.status === "SUCCEEDED" && job.result) {
        const planned = checkSignedPlan(job.planned, signedPlanHash); // refuse a plan other than the one signed
        const vector = await decryptVector(opts.keys.secretKey, job.result.ciphertexts, vectorLength(planned.plan));
        const budget = job.budget ? { total: job.budget.total, spent: job.budget.spent } : null;
        return { id: job.id, epsilon: job.epsilon, budget, planned, signedPlanHash, rows: decodeResult(planned, vector, job.result.suppressed) };
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
