/**
 * Statements a party signs with its own key, and the one way to sign and check them.
 *
 * A statement is a small JSON object with a `type`. Its signature is ECDSA P-256 / SHA-256
 * (WebCrypto, r‖s, base64url) over `qc-market/v1/statement/<type>\n<canonical JSON>`, so a
 * signature made for one kind of statement can never pass as another. WebCrypto runs the
 * same in the browser (where the private key is non-extractable), the buyer SDK and the
 * holder's node, so the bytes signed and the bytes checked come from this file alone.
 *
 * Who signs what (docs/architecture.md, "Threat model"):
 *   query-authorization   the buyer, for one query: the plan, its HE key and ε, before any node computes
 *   consent               the person, for one use of named fields by one buyer's envelope key
 *   subject-records       the person, to learn which datasets of a holder keep a record about them
 *   node-policy           the holder, to change its node's policy (applied by the node itself)
 */
import { calculateJwkThumbprint } from "jose";
import { z } from "zod";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { canonicalJson } from "./canonical-json";

const b64url32 = z.string().regex(/^[A-Za-z0-9_-]{43}$/);
/** A public P-256 signing key (JWK). A private key (with `d`) is refused by `.strict()`. */
export const signingPublicJwk = z.object({ kty: z.literal("EC"), crv: z.literal("P-256"), x: b64url32, y: b64url32 }).strict();
export type SigningPublicJwk = z.infer<typeof signingPublicJwk>;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const thumbprint = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

export const queryAuthorization = z.object({
  type: z.literal("query-authorization"),
  queryId: z.uuid(),
  productId: z.uuid(),
  buyerOrgId: z.uuid(),
  /** SHA-256 of the canonical JSON of the product-level plan (planHash) */
  planHash: hex64,
  /** SHA-256 of the buyer's BFV public key as sent (base64 text) */
  heKeyHash: hex64,
  epsilon: z.number().min(0).max(100),
}).strict();
export type QueryAuthorization = z.infer<typeof queryAuthorization>;

export const consentStatement = z.object({
  type: z.literal("consent"),
  requestId: z.uuid(),
  subjectRef: z.string().regex(/^[A-Za-z0-9_-]{4,64}$/),
  buyerOrgId: z.uuid(),
  /** RFC 7638 thumbprint of the buyer's envelope key: the record may be sealed to it only */
  envelopeKey: thumbprint,
  /** the holder's node (its Ed25519 id) and the dataset there */
  nodeId: z.string().min(40).max(60),
  dataset: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  fields: z.array(z.string().min(1).max(63)).min(1).max(50),
  purpose: z.string().min(2).max(200),
  /** ms since the epoch */
  expiresAt: z.number().int().positive(),
  uses: z.number().int().min(1).max(10),
  /** single-use nullifier, chosen by the person's browser */
  nonce: z.string().regex(/^[A-Za-z0-9_-]{22,64}$/),
}).strict();
export type ConsentStatement = z.infer<typeof consentStatement>;

export const subjectRecordsStatement = z.object({
  type: z.literal("subject-records"),
  subjectRef: z.string().regex(/^[A-Za-z0-9_-]{4,64}$/),
  nodeId: z.string().min(40).max(60),
  issuedAt: z.number().int().positive(),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{22,64}$/),
}).strict();
export type SubjectRecordsStatement = z.infer<typeof subjectRecordsStatement>;

export type Statement = QueryAuthorization | ConsentStatement | SubjectRecordsStatement | { type: "node-policy"; [k: string]: unknown };

const ALG = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIG = { name: "ECDSA", hash: "SHA-256" } as const;

const message = (s: Statement) => new TextEncoder().encode(`qc-market/v1/statement/${s.type}\n${canonicalJson(s)}`);
const toB64url = (b: Uint8Array) => btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
function fromB64url(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return new Uint8Array([...bin].map((c) => c.charCodeAt(0)));
}

/** A fresh random nonce for a statement (32 bytes, base64url): a consent's nullifier, a request's freshness. */
export const newNonce = () => toB64url(crypto.getRandomValues(new Uint8Array(32)));

/** SHA-256 (hex) of a string's UTF-8 bytes. */
/** The last large input's hash: a query's HE key (~0.5 MB) is hashed at submit, at dispatch and by each node. */
let lastLarge: { text: string; hash: string } | null = null;
export const sha256Hex = (s: string) => {
  if (s.length > 65_536 && lastLarge?.text === s) return lastLarge.hash;
  const hash = bytesToHex(sha256(new TextEncoder().encode(s)));
  if (s.length > 65_536) lastLarge = { text: s, hash };
  return hash;
};
/** What the buyer signs for a plan: the SHA-256 of its canonical JSON. */
export const planHash = (plan: unknown) => sha256Hex(canonicalJson(plan));

/** A new signing key pair. In the browser keep `extractable` false: the private key can then never be read out. */
export async function generateSigningKey(extractable = false): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(ALG, extractable, ["sign", "verify"]);
}

export async function publicJwkOf(key: CryptoKey): Promise<SigningPublicJwk> {
  const { kty, crv, x, y } = await crypto.subtle.exportKey("jwk", key);
  return signingPublicJwk.parse({ kty, crv, x, y });
}

/** RFC 7638 thumbprint of a public signing key: its name on the ledger. */
export async function signingKeyThumbprint(jwk: unknown): Promise<string> {
  const k = signingPublicJwk.parse(jwk);
  await crypto.subtle.importKey("jwk", k, ALG, true, ["verify"]); // refuses a point off the curve
  return calculateJwkThumbprint(k, "sha256");
}

export async function signStatement(privateKey: CryptoKey, statement: Statement): Promise<string> {
  return toB64url(new Uint8Array(await crypto.subtle.sign(SIG, privateKey, message(statement))));
}

/** True only for a valid signature by `jwk` over exactly this statement. Never throws. */
export async function verifyStatement(jwk: unknown, statement: Statement, signature: string): Promise<boolean> {
  try {
    const key = await crypto.subtle.importKey("jwk", signingPublicJwk.parse(jwk), ALG, false, ["verify"]);
    const sig = fromB64url(signature);
    if (sig.length !== 64) return false;
    return await crypto.subtle.verify(SIG, key, sig, message(statement));
  } catch {
    return false;
  }
}

/** A key file for the SDK and CLIs (a JWK pair); the browser keeps a non-extractable CryptoKey instead. */
export async function exportKeyPair(pair: CryptoKeyPair): Promise<{ publicJwk: SigningPublicJwk; privateJwk: JsonWebKey }> {
  return { publicJwk: await publicJwkOf(pair.publicKey), privateJwk: await crypto.subtle.exportKey("jwk", pair.privateKey) };
}
export async function importPrivateJwk(jwk: JsonWebKey): Promise<CryptoKey> {
  return crypto.subtle.importKey("jwk", jwk, ALG, false, ["sign"]);
}

/**
 * The proof a person gives when binding their key at a holder's node: HMAC-SHA256 keyed by the
 * activation code the holder handed them (at a counter, by post, in the holder's own app),
 * over the node, their subject reference and the key's thumbprint. The marketplace relays it
 * but, never seeing the code, cannot bind a key of its own.
 */
export const bindingMac = (activationCode: string, o: { nodeId: string; subjectRef: string; thumbprint: string }) => codeMac("bind-subject", activationCode, o);

/** The same proof for a holder enrolling a browser key at its own node, with the enrolment code the node printed. */
export const enrolmentMac = (code: string, o: { nodeId: string; thumbprint: string }) => codeMac("enrol-holder", code, o);

async function codeMac(purpose: string, code: string, o: object): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(code.trim().toUpperCase()), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, enc.encode(`qc-market/v1/${purpose}\n${canonicalJson(o)}`));
  return bytesToHex(new Uint8Array(mac));
}
