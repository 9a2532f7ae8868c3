/**
 * The buyer's BFV key pair in the browser. The secret key is kept at rest only sealed under the
 * buyer's passphrase (app/_lib/sealed-secret.ts: PBKDF2-SHA-256, AES-256-GCM, bound to the public
 * key and the HE parameters) in IndexedDB (app/_lib/keystore.ts); opened, it lives in the page's
 * memory until the page closes or the buyer locks it. The export file is the sealed record, never
 * the open key. Keys kept in localStorage by earlier versions are moved here, sealed, once the
 * buyer chooses a passphrase.
 */
import { canonicalJson } from "@/core/canonical-json";
import { HE_PARAMS, PLAIN_MODULUS } from "@/core/he/params";
import { getItem, putItem } from "./keystore";
import { openSecret, sealSecret, sealedSecret, SealedSecretError, type SealedSecret } from "./sealed-secret";

const ITEM = "he-keys";
/** Where earlier versions kept the key pair in the clear. */
export const LEGACY_STORE = "qc-market-he-keys";

export type OpenKeys = { publicKey: string; secretKey: string };
export type StoredHeKey = { sealed: SealedSecret; createdAt: string };

/** SHA-256 (hex) of the BFV parameters: a sealed key names the parameters it was made for. */
export async function heParamsHash(): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalJson({ ...HE_PARAMS, plainModulus: PLAIN_MODULUS.toString() }));
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export const loadStoredKey = () => getItem<StoredHeKey>(ITEM).then((v) => v ?? null);

/** Seal a key pair under `passphrase` and keep it (replacing any earlier one); the legacy clear copy goes. */
export async function sealAndStore(keys: OpenKeys, passphrase: string, createdAt = new Date().toISOString()): Promise<StoredHeKey> {
  const stored = { sealed: await sealSecret(keys.secretKey, passphrase, { publicKey: keys.publicKey, paramsHash: await heParamsHash() }), createdAt };
  await putItem(ITEM, stored);
  localStorage.removeItem(LEGACY_STORE);
  return stored;
}

/** Open the stored key with the passphrase (SealedSecretError WRONG_PASSPHRASE otherwise). */
export async function unlockKey(stored: StoredHeKey, passphrase: string): Promise<OpenKeys> {
  if (stored.sealed.paramsHash !== await heParamsHash()) throw new SealedSecretError("MALFORMED", "This key was made for other HE parameters.");
  return { publicKey: stored.sealed.publicKey, secretKey: await openSecret(stored.sealed, passphrase) };
}

/** Keep an imported sealed key file (checked by opening it with the passphrase first). */
export async function importSealed(text: string, passphrase: string): Promise<{ stored: StoredHeKey; keys: OpenKeys }> {
  let json: unknown;
  try { json = JSON.parse(text); } catch { throw new SealedSecretError("MALFORMED", "This file is not JSON."); }
  const parsed = sealedSecret.safeParse(json);
  if (!parsed.success) throw new SealedSecretError("MALFORMED", "This is not a sealed key file (version 1, PBKDF2-SHA-256).");
  const stored = { sealed: parsed.data, createdAt: new Date().toISOString() };
  const keys = await unlockKey(stored, passphrase);
  await putItem(ITEM, stored);
  return { stored, keys };
}

/** A key pair an earlier version left in localStorage in the clear, if any. */
export function legacyKeys(): OpenKeys | null {
  const raw = localStorage.getItem(LEGACY_STORE);
  if (!raw) return null;
  try {
    const k = JSON.parse(raw) as Partial<OpenKeys>;
    return typeof k.publicKey === "string" && typeof k.secretKey === "string" ? { publicKey: k.publicKey, secretKey: k.secretKey } : null;
  } catch {
    return null;
  }
}

/** The sealed record as a file to download (the only export there is). */
export const sealedFile = (stored: StoredHeKey) => new Blob([JSON.stringify(stored.sealed)], { type: "application/json" });
