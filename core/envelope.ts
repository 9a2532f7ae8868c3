/**
 * Digital envelopes: a holder's node seals one person's record to a buyer's public key
 * (JWE compact, ECDH-ES key agreement on P-256, A256GCM content encryption, `jose`); only the
 * buyer's private key opens it. Runs unchanged in the browser, the SDK and the node.
 */
import { calculateJwkThumbprint, CompactEncrypt, compactDecrypt, importJWK, type JWK } from "jose";
import { z } from "zod";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { zodText } from "./zod-text";

const b64url32 = z.string().regex(/^[A-Za-z0-9_-]{43}$/, { error: "A P-256 coordinate is 32 bytes, base64url (43 characters)." });

/** A buyer's envelope public key: EC P-256 only, and never a private key. */
export const envelopePublicJwk = z.object({ kty: z.literal("EC", { error: "An envelope key is an EC key." }), crv: z.literal("P-256", { error: "An envelope key is on the P-256 curve." }), x: b64url32, y: b64url32 })
  .strict();
export type EnvelopePublicJwk = z.infer<typeof envelopePublicJwk>;

export class EnvelopeError extends Error {
  constructor(readonly code: "BAD_KEY" | "CANNOT_OPEN" | "MALFORMED", message: string) { super(message); this.name = "EnvelopeError"; }
}

/** RFC 7638 thumbprint: the key's stable name (the JWE header's kid). Throws BAD_KEY on an unusable key. */
export async function keyThumbprint(jwk: unknown): Promise<string> {
  if (typeof jwk === "object" && jwk !== null && "d" in jwk) throw new EnvelopeError("BAD_KEY", "This is a private key: register the public key only (never the private part d).");
  const parsed = envelopePublicJwk.safeParse(jwk);
  if (!parsed.success) throw new EnvelopeError("BAD_KEY", zodText(parsed.error, 1));
  try {
    await importJWK(parsed.data, "ECDH-ES"); // rejects points not on the curve
  } catch (e) {
    throw new EnvelopeError("BAD_KEY", `The key is not a usable P-256 public key: ${(e as Error).message}`);
  }
  return calculateJwkThumbprint(parsed.data, "sha256");
}

/** Seal a JSON value to a public key. */
export async function sealEnvelope(content: unknown, jwk: EnvelopePublicJwk): Promise<string> {
  const kid = await keyThumbprint(jwk);
  const key = await importJWK(jwk, "ECDH-ES");
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(content)))
    .setProtectedHeader({ alg: "ECDH-ES", enc: "A256GCM", kid, cty: "application/json" })
    .encrypt(key);
}

/** Open an envelope with the buyer's private key (a CryptoKey, a KeyObject, or a private JWK). Throws CANNOT_OPEN for another key or a tampered envelope. */
export async function openEnvelope(jwe: string, privateKey: CryptoKey | JWK | Uint8Array | object): Promise<unknown> {
  if (typeof jwe !== "string" || jwe.length > 2_000_000 || jwe.split(".").length !== 5) throw new EnvelopeError("MALFORMED", "An envelope is a compact JWE (five base64url parts).");
  const key = "kty" in (privateKey as object) ? await importJWK(privateKey as JWK, "ECDH-ES") : (privateKey as CryptoKey);
  let plaintext: Uint8Array;
  try {
    ({ plaintext } = await compactDecrypt(jwe, key, { keyManagementAlgorithms: ["ECDH-ES"], contentEncryptionAlgorithms: ["A256GCM"] }));
  } catch (e) {
    throw new EnvelopeError("CANNOT_OPEN", `This envelope does not open with this key, or it was altered (${(e as Error).message}).`);
  }
  return JSON.parse(new TextDecoder().decode(plaintext));
}

/** What the marketplace keeps of an envelope it relayed: SHA-256 of the compact JWE. */
export const envelopeHash = (jwe: string) => bytesToHex(sha256(new TextEncoder().encode(jwe)));
