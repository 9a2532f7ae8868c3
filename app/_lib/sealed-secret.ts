/**
 * A secret (the buyer's BFV secret key) encrypted at rest under a passphrase: PBKDF2-SHA-256
 * (≥ 600,000 iterations, OWASP 2023) with a random 16-byte salt derives an AES-256-GCM key; a
 * random 12-byte IV; the public key and the HE parameters hash are bound as additional data, so
 * a sealed secret cannot be paired with another public key unnoticed. Pure WebCrypto: runs in
 * the browser and in Node (tests). The same JSON is the export file.
 */
import { z } from "zod";

export const MIN_ITERATIONS = 600_000;
export const MIN_PASSPHRASE = 10;

export const sealedSecret = z.object({
  version: z.literal(1),
  kdf: z.literal("PBKDF2-SHA-256"),
  iterations: z.number().int(),
  salt: z.string(),
  iv: z.string(),
  ciphertext: z.string(),
  publicKey: z.string(),
  paramsHash: z.string(),
}).strict();
export type SealedSecret = z.infer<typeof sealedSecret>;

export class SealedSecretError extends Error {
  constructor(readonly code: "WEAK_PASSPHRASE" | "WRONG_PASSPHRASE" | "MALFORMED" | "TOO_FEW_ITERATIONS", message: string) { super(message); this.name = "SealedSecretError"; }
}

const b64 = (b: Uint8Array) => { let s = ""; for (const x of b) s += String.fromCharCode(x); return btoa(s); };
const unb64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const aad = (publicKey: string, paramsHash: string) => new TextEncoder().encode(JSON.stringify(["qc-sealed-secret/1", publicKey, paramsHash]));

async function deriveKey(passphrase: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey("raw", new TextEncoder().encode(passphrase.normalize("NFC")), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt: salt as BufferSource, iterations }, base, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

export async function sealSecret(secret: string, passphrase: string, bind: { publicKey: string; paramsHash: string }, iterations = MIN_ITERATIONS): Promise<SealedSecret> {
  if (passphrase.length < MIN_PASSPHRASE) throw new SealedSecretError("WEAK_PASSPHRASE", `A passphrase has at least ${MIN_PASSPHRASE} characters.`);
  if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS) throw new SealedSecretError("TOO_FEW_ITERATIONS", `At least ${MIN_ITERATIONS} PBKDF2 iterations.`);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await deriveKey(passphrase, salt, iterations);
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad(bind.publicKey, bind.paramsHash) }, key, new TextEncoder().encode(secret)));
  return { version: 1, kdf: "PBKDF2-SHA-256", iterations, salt: b64(salt), iv: b64(iv), ciphertext: b64(ct), publicKey: bind.publicKey, paramsHash: bind.paramsHash };
}

/** Open a sealed secret (a stored record or an imported file). Wrong passphrase or any tampering → WRONG_PASSPHRASE; the sealed copy is untouched. */
export async function openSecret(sealed: unknown, passphrase: string): Promise<string> {
  const p = sealedSecret.safeParse(sealed);
  if (!p.success) throw new SealedSecretError("MALFORMED", "This is not a sealed key file (version 1, PBKDF2-SHA-256).");
  const s = p.data;
  if (s.iterations < MIN_ITERATIONS) throw new SealedSecretError("TOO_FEW_ITERATIONS", `The file uses ${s.iterations} PBKDF2 iterations; at least ${MIN_ITERATIONS} are required.`);
  let salt: Uint8Array, iv: Uint8Array, ct: Uint8Array;
  try { salt = unb64(s.salt); iv = unb64(s.iv); ct = unb64(s.ciphertext); } catch { throw new SealedSecretError("MALFORMED", "The sealed key file is not valid base64."); }
  if (salt.length !== 16 || iv.length !== 12) throw new SealedSecretError("MALFORMED", "The sealed key file has a wrong salt or IV length.");
  const key = await deriveKey(passphrase, salt, s.iterations);
  try {
    const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: iv as BufferSource, additionalData: aad(s.publicKey, s.paramsHash) }, key, ct as BufferSource);
    return new TextDecoder().decode(pt);
  } catch {
    throw new SealedSecretError("WRONG_PASSPHRASE", "Wrong passphrase, or the sealed key was altered: nothing was changed.");
  }
}
