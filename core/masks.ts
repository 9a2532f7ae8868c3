/**
 * Secure aggregation of the per-group counts with pairwise masks (Bonawitz et al. style,
 * without dropout recovery).
 *
 * Why: the marketplace must know each group's total count to enforce k-anonymity before
 * anything is decrypted, but must not learn any single holder's counts. Every pair of
 * nodes agrees a secret by X25519; both expand it into the same keystream of 64-bit masks;
 * the node whose id sorts lower adds the masks, the other subtracts them. Each node's
 * vector is then uniformly random to anyone without its keys, and the masks cancel in
 * the sum of all nodes' vectors (mod 2^64).
 *
 * Derivation, per pair and query: key = HKDF-SHA256(ikm = X25519(self, peer),
 * salt = UTF-8 queryId, info = "qc-market/v1/count-mask" ‖ len‖lowId ‖ len‖highId (u32 BE
 * lengths of the UTF-8 ids, ids ordered by UTF-8 bytes), 32 bytes); keystream =
 * AES-256-CTR(key, IV = 0) over zero bytes, read as u64 little-endian, one per slot. A key
 * is used for one query only, so the fixed IV is safe.
 *
 * Caveat: if one node's answer is missing, the others' masks do not cancel and the sum is
 * garbage; the marketplace must then rerun the query without that node (new queryId).
 */
import { createCipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, KeyObject } from "node:crypto";
import { aggregateRequest, aggregateResponse } from "./protocol";

const MOD = 1n << 64n;
const MASK64 = MOD - 1n;
const LABEL = Buffer.from("qc-market/v1/count-mask", "utf8");
/** DER prefixes of X25519 keys: PKCS#8 private key and SPKI public key (RFC 8410) */
const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");

/** A node's X25519 private key: a KeyObject, raw 32 bytes, PKCS#8 DER, or base64 of either. */
export type X25519PrivateKeyInput = KeyObject | Uint8Array | string;

export function x25519PrivateKey(key: X25519PrivateKeyInput): KeyObject {
  if (key instanceof KeyObject) {
    if (key.type !== "private" || key.asymmetricKeyType !== "x25519") throw new Error("Not an X25519 private key");
    return key;
  }
  const bytes = typeof key === "string" ? Buffer.from(key, "base64") : Buffer.from(key);
  const der = bytes.length === 32 ? Buffer.concat([PKCS8_PREFIX, bytes]) : bytes;
  const k = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  if (k.asymmetricKeyType !== "x25519") throw new Error("Not an X25519 private key");
  return k;
}

/** A peer's public key from base64 of its 32 raw bytes. */
export function x25519PublicKey(base64: string): KeyObject {
  const raw = Buffer.from(base64, "base64");
  if (raw.length !== 32 || raw.toString("base64") !== base64.replace(/\s/g, "")) throw new Error("An X25519 public key is base64 of 32 raw bytes");
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
}

/** base64 of the 32 raw bytes of an X25519 public key */
export function x25519PublicBase64(key: KeyObject): string {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  return pub.export({ format: "der", type: "spki" }).subarray(SPKI_PREFIX.length).toString("base64");
}

/** A fresh key pair: base64 raw public key, base64 PKCS#8 DER private key, and the KeyObject. */
export function generateX25519(): { publicKey: string; privateKey: string; privateKeyObject: KeyObject } {
  const { privateKey } = generateKeyPairSync("x25519");
  return {
    publicKey: x25519PublicBase64(privateKey),
    privateKey: privateKey.export({ format: "der", type: "pkcs8" }).toString("base64"),
    privateKeyObject: privateKey,
  };
}

const utf8 = (s: string) => Buffer.from(s, "utf8");
/** The order that decides who adds: UTF-8 bytes, the same on every node. */
const idOrder = (a: string, b: string) => Buffer.compare(utf8(a), utf8(b));

function lengthPrefixed(s: string): Buffer {
  const b = utf8(s);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

/** The n masks shared by two nodes for one query. */
function pairMasks(shared: Buffer, queryId: string, a: string, b: string, n: number): BigUint64Array {
  const [lo, hi] = idOrder(a, b) < 0 ? [a, b] : [b, a];
  const info = Buffer.concat([LABEL, lengthPrefixed(lo), lengthPrefixed(hi)]);
  const key = Buffer.from(hkdfSync("sha256", shared, utf8(queryId), info, 32));
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  const stream = Buffer.concat([cipher.update(Buffer.alloc(8 * n)), cipher.final()]);
  const out = new BigUint64Array(n);
  for (let i = 0; i < n; i++) out[i] = stream.readBigUInt64LE(8 * i);
  return out;
}

export interface MaskCountsOptions {
  queryId: string;
  self: { nodeId: string; x25519PrivateKey: X25519PrivateKeyInput };
  /** every node taking part (this node may be among them; it is skipped) */
  peers: { nodeId: string; x25519: string }[];
  counts: bigint[];
}

/** This node's counts plus its pairwise masks, mod 2^64, as decimal strings. */
export function maskCounts(opts: MaskCountsOptions): string[] {
  const queryId = aggregateRequest.shape.queryId.parse(opts.queryId);
  const peers = aggregateRequest.shape.peers.parse(opts.peers);
  const { nodeId } = opts.self;
  const privateKey = x25519PrivateKey(opts.self.x25519PrivateKey);
  const ownPublic = x25519PublicBase64(privateKey);
  const ids = new Set<string>();
  for (const p of peers) {
    if (ids.has(p.nodeId)) throw new Error(`Peer ${p.nodeId} is listed twice`);
    ids.add(p.nodeId);
    if (p.nodeId === nodeId && p.x25519 !== ownPublic) throw new Error("The peer list gives this node an agreement key that is not its own");
  }
  // Signed: a noisy count may be below zero; the sum is read back as signed 64-bit.
  for (const c of opts.counts) if (c < -(MOD >> 1n) || c >= MOD >> 1n) throw new Error("A count is outside the signed 64-bit range");

  const acc = opts.counts.slice();
  for (const p of peers) {
    if (p.nodeId === nodeId) continue;
    const shared = diffieHellman({ privateKey, publicKey: x25519PublicKey(p.x25519) });
    if (shared.every((b) => b === 0)) throw new Error(`Peer ${p.nodeId} has a degenerate X25519 key`);
    const masks = pairMasks(shared, queryId, nodeId, p.nodeId, acc.length);
    const add = idOrder(nodeId, p.nodeId) < 0;
    for (let i = 0; i < acc.length; i++) acc[i] = add ? acc[i]! + masks[i]! : acc[i]! - masks[i]!;
  }
  return acc.map((v) => BigInt.asUintN(64, v).toString());
}

/**
 * The marketplace's side: sum every node's masked counts mod 2^64, read as signed 64-bit.
 * With honest nodes the result is the true total per group (a negative or absurd value
 * means a node's answer is missing or forged).
 */
export function unmaskSum(maskedPerNode: string[][]): bigint[] {
  if (maskedPerNode.length === 0) return [];
  const n = maskedPerNode[0]!.length;
  const sums = new Array<bigint>(n).fill(0n);
  for (const masked of maskedPerNode) {
    const values = aggregateResponse.shape.maskedCounts.parse(masked);
    if (values.length !== n) throw new Error("Masked count vectors differ in length");
    values.forEach((s, i) => {
      const v = BigInt(s);
      if (v >= MOD) throw new Error("A masked count is not below 2^64");
      sums[i] = (sums[i]! + v) & MASK64;
    });
  }
  return sums.map((s) => BigInt.asIntN(64, s));
}
