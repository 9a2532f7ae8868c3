/**
 * Keys that must never be readable by a script: WebCrypto key pairs made non-extractable and
 * kept in IndexedDB (which stores a CryptoKey as an opaque object). A page script can still use
 * them to sign while the page is open, but cannot read them out or send them anywhere.
 */
const DB = "qc-market-keys";
const STORE = "keys";

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error("IndexedDB is not available"));
  });
}

function run<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest): Promise<T> {
  return open().then((db) => new Promise<T>((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const req = fn(tx.objectStore(STORE));
    tx.oncomplete = () => { db.close(); resolve(req.result as T); };
    tx.onerror = () => { db.close(); reject(tx.error ?? new Error("IndexedDB failed")); };
  }));
}

export type StoredKey = { pair: CryptoKeyPair; thumbprint: string; createdAt: string };

export const getKeys = (name: string) => run<StoredKey[] | undefined>("readonly", (s) => s.get(name)).then((v) => v ?? []);
export async function addKey(name: string, key: StoredKey) {
  const all = await getKeys(name);
  await run("readwrite", (s) => s.put([...all.filter((k) => k.thumbprint !== key.thumbprint), key], name));
}

/** Small records kept beside the keys (same database): e.g. the plan hash a buyer signed, by job id. */
export const getItem = <T>(name: string) => run<T | undefined>("readonly", (s) => s.get(name));
export const putItem = (name: string, value: unknown) => run("readwrite", (s) => s.put(value, name));
export const deleteItem = (name: string) => run("readwrite", (s) => s.delete(name));

/** The plan hash this browser signed for a job (core/signed-query.ts), checked before decoding its result. */
export const rememberSignedPlan = (jobId: string, planHash: string) => putItem(`signed-plan:${jobId}`, planHash);
export const signedPlanOf = (jobId: string) => getItem<string>(`signed-plan:${jobId}`);
