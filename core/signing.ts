/**
 * Signed messages between the marketplace and computation nodes: Ed25519 over a
 * canonical JSON encoding (sorted keys, no whitespace; numbers as JSON writes them), with
 * a purpose prefix so a signature made for one kind of message can never be replayed as
 * another. Freshness (expiry, nonce) is the receiver's job; see node/server.ts.
 */
import { canonicalJson } from "./canonical-json";
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";

export type Purpose = "market-request" | "node-response";

const message = (purpose: Purpose, payload: unknown) => Buffer.from(`qc-market/v1/${purpose}\n${canonicalJson(payload)}`, "utf8");

export interface Signed<T> { payload: T; signature: string }

export function signPayload<T>(purpose: Purpose, payload: T, privateKey: KeyObject): Signed<T> {
  return { payload, signature: sign(null, message(purpose, payload), privateKey).toString("base64") };
}

/** True only for a valid Ed25519 signature by `publicKey` over exactly this payload and purpose. */
export function verifyPayload(purpose: Purpose, signed: { payload: unknown; signature: unknown }, publicKey: KeyObject): boolean {
  if (typeof signed.signature !== "string" || signed.signature.length > 200) return false;
  const sig = Buffer.from(signed.signature, "base64");
  if (sig.length !== 64) return false;
  try {
    return verify(null, message(purpose, signed.payload), publicKey, sig);
  } catch {
    return false;
  }
}

/** Ed25519 keys travel as base64 of the raw 32-byte public key (what gets registered). */
export function ed25519PublicFromBase64(b64: string): KeyObject {
  const raw = Buffer.from(b64, "base64");
  if (raw.length !== 32) throw new Error("An Ed25519 public key is 32 bytes (base64).");
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") }, format: "jwk" });
}

export function publicKeyToBase64(key: KeyObject): string {
  const jwk = key.export({ format: "jwk" }) as { x?: string };
  if (!jwk.x) throw new Error("not an OKP public key");
  return Buffer.from(jwk.x, "base64url").toString("base64");
}

export function generateEd25519(): { privatePem: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privatePem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(), publicKey: publicKeyToBase64(publicKey) };
}

export const privateKeyFromPem = (pem: string) => createPrivateKey(pem);
