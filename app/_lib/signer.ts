/**
 * The browser's own signing keys (ECDSA P-256, non-extractable, in IndexedDB):
 *  - the buyer's query-signing key, registered for its organisation on the ledger;
 *  - a person's key, linked at each holder's node with the holder's activation code.
 */
import { generateSigningKey, publicJwkOf, signingKeyThumbprint, type SigningPublicJwk } from "@/core/statements";
import { addKey, getKeys, type StoredKey } from "./keystore";

export async function newKey(store: string): Promise<StoredKey & { publicJwk: SigningPublicJwk }> {
  const pair = await generateSigningKey(false);
  const publicJwk = await publicJwkOf(pair.publicKey);
  const key = { pair, thumbprint: await signingKeyThumbprint(publicJwk), createdAt: new Date().toISOString() };
  await addKey(store, key);
  return { ...key, publicJwk };
}

/** A key of this browser that the server lists as current; otherwise a new one, registered with `register`. */
export async function currentKey(store: string, registered: string[], register: (publicJwk: SigningPublicJwk) => Promise<unknown>): Promise<StoredKey> {
  const mine = await getKeys(store);
  const usable = mine.find((k) => registered.includes(k.thumbprint));
  if (usable) return usable;
  const key = await newKey(store);
  await register(key.publicJwk);
  return key;
}

export { getKeys };
export const QUERY_SIGNER = "query-signer";
export const PERSON_KEY = "person-key";
