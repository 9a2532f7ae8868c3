/**
 * The verifying client of the marketplace's transparency log: an RFC 6962 / RFC 9162 Merkle
 * tree over SHA-256 (leaf prefix 0x00, node prefix 0x01) and Ed25519-signed checkpoints.
 *
 * The server stores only hashes of complete aligned subtrees. This module plans which of them
 * a root or proof needs, assembles the root or proof from them, and verifies proofs and
 * checkpoints. It runs unchanged in the browser, in Node and in the CLI.
 *
 * Sizes and indices are non-negative safe integers (up to 2^53 − 1); all tree arithmetic is
 * done with division, never with 32-bit bit operators.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { canonicalJson } from "./canonical-json";

/** A SHA-256 digest: always 32 bytes. */
export type Hash = Uint8Array;

const HASH_BYTES = 32;

/**
 * Why a proof, hash or encoding was rejected:
 * MALFORMED (wrong length or encoding), BAD_SIZE (invalid tree size or range),
 * BAD_INDEX (invalid leaf index, or index ≥ size), MISMATCH (well-formed but the hashes disagree).
 */
export class LedgerProofError extends Error {
  constructor(readonly code: "MALFORMED" | "BAD_SIZE" | "BAD_INDEX" | "MISMATCH", message: string) {
    super(message);
    this.name = "LedgerProofError";
  }
}

// ---------------------------------------------------------------------------------------------
// Hashing

/** The hash of a leaf: SHA-256(0x00 || leafInput). */
export function leafHash(leafInput: Uint8Array): Hash {
  return sha256(concatBytes(Uint8Array.of(0), leafInput));
}

/** The hash of an interior node: SHA-256(0x01 || left || right). Throws MALFORMED unless both are 32 bytes. */
export function nodeHash(left: Hash, right: Hash): Hash {
  assertHash(left, "left child");
  assertHash(right, "right child");
  return sha256(concatBytes(Uint8Array.of(1), left, right));
}

/** The root of the empty tree: SHA-256 of the empty string. */
export function emptyRoot(): Hash {
  return sha256(new Uint8Array(0));
}

/** MTH(D[0:n]) (RFC 6962 §2.1) of the leaves with these leaf hashes; emptyRoot() when there are none. */
export function rootFromLeafHashes(leaves: Hash[]): Hash {
  if (leaves.length === 0) return emptyRoot();
  leaves.forEach((h, i) => assertHash(h, `leaf hash ${i}`));
  // Pairing level by level, promoting an unpaired last node, yields exactly RFC 6962's MTH.
  let level = leaves;
  while (level.length > 1) {
    const next: Hash[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
}

// ---------------------------------------------------------------------------------------------
// Planning: which stored subtrees make up a range

/** A complete aligned subtree: level L, index i covers leaves [i·2^L, (i+1)·2^L). Level 0 = one leaf. */
export type Subtree = { level: number; index: number };

/**
 * The complete aligned subtrees, left to right, whose hashes fold right to left
 * (h = last; h = nodeHash(sub[k], h) for k descending) into MTH(D[start:end)).
 *
 * Accepted ranges: 0 ≤ start < end safe integers with start a multiple of the largest power of
 * two ≤ end − start. Every range RFC 6962's recursive split produces (in any tree size) is
 * one of them. An empty range (start = end) has no subtrees: []. Anything else throws BAD_SIZE.
 */
export function decompose(start: number, end: number): Subtree[] {
  assertSize(start, "range start");
  assertSize(end, "range end");
  if (start > end) throw new LedgerProofError("BAD_SIZE", `range [${start}, ${end}) ends before it starts`);
  if (start === end) return [];
  if (start % largestPowerOfTwoAtMost(end - start) !== 0) {
    throw new LedgerProofError("BAD_SIZE", `range [${start}, ${end}) is not an RFC 6962 subtree range`);
  }
  const subtrees: Subtree[] = [];
  for (let at = start; at < end; ) {
    const width = largestPowerOfTwoAtMost(end - at);
    subtrees.push({ level: log2(width), index: at / width });
    at += width;
  }
  return subtrees;
}

/**
 * Fetches the hashes of stored subtrees, in the order asked. Each function below calls it at
 * most once, with every subtree it needs and no duplicates, and never with an empty list.
 */
export type FetchSubtrees = (needed: Subtree[]) => Promise<Hash[]>;

/** A half-open leaf range [start, end) whose MTH a root or proof needs. */
type Range = readonly [start: number, end: number];

/** MTH of each range, from one call to `fetch`. Throws MALFORMED when `fetch` answers with the wrong shape. */
async function rangeHashes(ranges: Range[], fetch: FetchSubtrees): Promise<Hash[]> {
  const plans = ranges.map(([start, end]) => decompose(start, end));
  const position = new Map<string, number>();
  const needed: Subtree[] = [];
  for (const subtree of plans.flat()) {
    const key = `${subtree.level}:${subtree.index}`;
    if (!position.has(key)) {
      position.set(key, needed.length);
      needed.push(subtree);
    }
  }
  if (needed.length === 0) return [];
  const hashes = await fetch(needed);
  if (hashes.length !== needed.length) {
    throw new LedgerProofError("MALFORMED", `asked for ${needed.length} subtree hashes, got ${hashes.length}`);
  }
  hashes.forEach((h, i) => assertHash(h, `subtree hash ${i}`));
  return plans.map((plan) => foldRight(plan.map((s) => hashes[position.get(`${s.level}:${s.index}`)!]!)));
}

/** nodeHash folded from the right: [a, b, c] → nodeHash(a, nodeHash(b, c)). */
function foldRight(hashes: Hash[]): Hash {
  let h = hashes[hashes.length - 1]!;
  for (let k = hashes.length - 2; k >= 0; k--) h = nodeHash(hashes[k]!, h);
  return h;
}

// ---------------------------------------------------------------------------------------------
// Building roots and proofs from stored subtrees

/** MTH of the first `size` leaves; emptyRoot() for size 0, without calling `fetch`. */
export async function treeRoot(size: number, fetch: FetchSubtrees): Promise<Hash> {
  assertSize(size, "tree size");
  if (size === 0) return emptyRoot();
  const [root] = await rangeHashes([[0, size]], fetch);
  return root!;
}

/**
 * The inclusion proof PATH(index, D[size]) of RFC 6962 §2.1.1, ordered as in RFC 9162:
 * bottom-up, the leaf's sibling first. Throws BAD_SIZE / BAD_INDEX on invalid arguments.
 */
export async function inclusionProof(index: number, size: number, fetch: FetchSubtrees): Promise<Hash[]> {
  assertSize(size, "tree size");
  assertIndex(index, size);
  const siblings: Range[] = [];
  let [lo, hi] = [0, size];
  while (hi - lo > 1) {
    const split = lo + largestPowerOfTwoBelow(hi - lo);
    if (index < split) {
      siblings.push([split, hi]);
      hi = split;
    } else {
      siblings.push([lo, split]);
      lo = split;
    }
  }
  return rangeHashes(siblings.reverse(), fetch);
}

/**
 * The consistency proof PROOF(m, D[n]) of RFC 6962 §2.1.2, for 0 < m ≤ n; [] when m = n.
 * Throws BAD_SIZE on invalid sizes.
 */
export async function consistencyProof(m: number, n: number, fetch: FetchSubtrees): Promise<Hash[]> {
  assertSize(m, "old size");
  assertSize(n, "new size");
  if (m === 0 || m > n) throw new LedgerProofError("BAD_SIZE", `no consistency proof from size ${m} to ${n}`);
  // SUBPROOF(m, D[lo:hi], wholeOldTree) unrolled: each step appends one sibling after the
  // recursive part, so siblings are collected top-down and emitted in reverse.
  const siblings: Range[] = [];
  let [lo, hi, wholeOldTree] = [0, n, true];
  while (hi !== m) {
    const split = lo + largestPowerOfTwoBelow(hi - lo);
    if (m <= split) {
      siblings.push([split, hi]);
      hi = split;
    } else {
      siblings.push([lo, split]);
      lo = split;
      wholeOldTree = false;
    }
  }
  if (!wholeOldTree) siblings.push([lo, hi]);
  return rangeHashes(siblings.reverse(), fetch);
}

// ---------------------------------------------------------------------------------------------
// Verification (RFC 9162 §2.1.3.2 and §2.1.4.2)

/**
 * The root that an inclusion proof for `leaf` at `index` in a tree of `size` leads to.
 * Throws BAD_SIZE / BAD_INDEX on invalid arguments and MALFORMED when a hash is not 32 bytes
 * or the proof has the wrong length.
 */
export function rootFromInclusion(leaf: Hash, index: number, size: number, proof: Hash[]): Hash {
  assertSize(size, "tree size");
  assertIndex(index, size);
  assertHash(leaf, "leaf hash");
  proof.forEach((h, i) => assertHash(h, `proof element ${i}`));
  let [fn, sn, r] = [index, size - 1, leaf];
  for (const p of proof) {
    if (sn === 0) throw new LedgerProofError("MALFORMED", "inclusion proof is too long");
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!isOdd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      r = nodeHash(r, p);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  if (sn !== 0) throw new LedgerProofError("MALFORMED", "inclusion proof is too short");
  return r;
}

/** Checks that `proof` proves `leaf` at `index` in the tree of `size` leaves with `root`; throws LedgerProofError otherwise. */
export function verifyInclusion(leaf: Hash, index: number, size: number, proof: Hash[], root: Hash): void {
  assertHash(root, "root");
  if (!equalBytes(rootFromInclusion(leaf, index, size, proof), root)) {
    throw new LedgerProofError("MISMATCH", `inclusion proof for leaf ${index} does not lead to the root of size ${size}`);
  }
}

/**
 * Checks that the tree of size `n` with `rootN` extends the tree of size `m` with `rootM`;
 * throws LedgerProofError otherwise. m = n needs an empty proof and equal roots; m = 0 is
 * consistent with anything given an empty proof; m > n throws BAD_SIZE.
 */
export function verifyConsistency(m: number, n: number, rootM: Hash, rootN: Hash, proof: Hash[]): void {
  assertSize(m, "old size");
  assertSize(n, "new size");
  if (m > n) throw new LedgerProofError("BAD_SIZE", `old size ${m} exceeds new size ${n}`);
  assertHash(rootM, "old root");
  assertHash(rootN, "new root");
  proof.forEach((h, i) => assertHash(h, `proof element ${i}`));
  if (m === 0 || m === n) {
    if (proof.length !== 0) throw new LedgerProofError("MALFORMED", `consistency proof from size ${m} to ${n} must be empty`);
    if (m === n && !equalBytes(rootM, rootN)) throw new LedgerProofError("MISMATCH", `roots of size ${n} differ`);
    return;
  }
  const [fr, sr] = rootsFromConsistency(m, n, rootM, proof);
  if (!equalBytes(fr, rootM) || !equalBytes(sr, rootN)) {
    throw new LedgerProofError("MISMATCH", `consistency proof from size ${m} to ${n} does not match the roots`);
  }
}

/** The (old, new) roots that a consistency proof for 0 < m < n leads to; MALFORMED when its length is wrong. */
function rootsFromConsistency(m: number, n: number, rootM: Hash, proof: Hash[]): [Hash, Hash] {
  const path = isPowerOfTwo(m) ? [rootM, ...proof] : proof;
  const [first, ...rest] = path;
  if (first === undefined) throw new LedgerProofError("MALFORMED", "consistency proof is empty");
  let [fn, sn, fr, sr] = [m - 1, n - 1, first, first];
  while (isOdd(fn)) [fn, sn] = [half(fn), half(sn)];
  for (const c of rest) {
    if (sn === 0) throw new LedgerProofError("MALFORMED", "consistency proof is too long");
    if (isOdd(fn) || fn === sn) {
      [fr, sr] = [nodeHash(c, fr), nodeHash(c, sr)];
      while (!isOdd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      sr = nodeHash(sr, c);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  if (sn !== 0) throw new LedgerProofError("MALFORMED", "consistency proof is too short");
  return [fr, sr];
}

// ---------------------------------------------------------------------------------------------
// Encodings

/** Lowercase hex of the bytes. */
export function hex(h: Uint8Array): string {
  return bytesToHex(h);
}

/** The bytes of a hex string (either case); throws MALFORMED on bad hex or when `bytes` is given and differs. */
export function fromHex(s: string, bytes?: number): Uint8Array {
  if (typeof s !== "string" || !/^(?:[0-9a-fA-F]{2})*$/.test(s)) throw new LedgerProofError("MALFORMED", "invalid hex");
  if (bytes !== undefined && s.length !== 2 * bytes) {
    throw new LedgerProofError("MALFORMED", `expected ${bytes} bytes of hex, got ${s.length / 2}`);
  }
  return hexToBytes(s);
}

/** Standard base64 with padding. */
export function toBase64(b: Uint8Array): string {
  let binary = "";
  for (const byte of b) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The bytes of canonical standard base64 with padding; throws MALFORMED on anything else. */
export function fromBase64(s: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(s);
  } catch {
    throw new LedgerProofError("MALFORMED", "invalid base64");
  }
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  if (toBase64(bytes) !== s) throw new LedgerProofError("MALFORMED", "non-canonical base64");
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

/** A tree head. `root` lowercase hex of 32 bytes, `timestamp` ms since epoch (integer), `origin` the log's name. */
export type Checkpoint = { origin: string; size: number; root: string; timestamp: number };

/** A checkpoint with a base64 (standard, with padding) Ed25519 signature over checkpointMessage(cp). */
export type SignedCheckpoint = Checkpoint & { signature: string };

const CHECKPOINT_DOMAIN = "qc-market/v1/checkpoint\n";

/** The signed bytes: UTF-8 of the domain line followed by canonicalJson({origin, size, root, timestamp}). Throws MALFORMED on an invalid checkpoint. */
export function checkpointMessage(cp: Checkpoint): Uint8Array {
  assertCheckpoint(cp);
  const { origin, size, root, timestamp } = cp;
  return utf8ToBytes(CHECKPOINT_DOMAIN + canonicalJson({ origin, size, root, timestamp }));
}

/**
 * Whether `scp` carries a valid Ed25519 signature (RFC 8032, strict encodings) by the raw
 * 32-byte public key given in base64. Returns false on any malformation; never throws.
 */
export function verifyCheckpoint(scp: SignedCheckpoint, publicKeyBase64: string): boolean {
  try {
    const signature = fromBase64(scp.signature);
    const publicKey = fromBase64(publicKeyBase64);
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    return ed25519.verify(signature, checkpointMessage(scp), publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** Signs a checkpoint with a 32-byte Ed25519 secret key; the result carries only the checkpoint's fields and the signature. */
export function signCheckpoint(cp: Checkpoint, secretKey: Uint8Array): SignedCheckpoint {
  const { origin, size, root, timestamp } = cp;
  return { origin, size, root, timestamp, signature: toBase64(ed25519.sign(checkpointMessage(cp), secretKey)) };
}

function assertCheckpoint(cp: Checkpoint): void {
  const valid =
    typeof cp === "object" && cp !== null &&
    typeof cp.origin === "string" &&
    Number.isSafeInteger(cp.size) && cp.size >= 0 &&
    typeof cp.root === "string" && /^[0-9a-f]{64}$/.test(cp.root) &&
    Number.isSafeInteger(cp.timestamp) && cp.timestamp >= 0;
  if (!valid) throw new LedgerProofError("MALFORMED", "invalid checkpoint");
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function assertHash(h: Uint8Array, what: string): void {
  if (!(h instanceof Uint8Array) || h.length !== HASH_BYTES) {
    throw new LedgerProofError("MALFORMED", `${what} is not a ${HASH_BYTES}-byte hash`);
  }
}

function assertSize(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new LedgerProofError("BAD_SIZE", `${what} ${n} is not a non-negative safe integer`);
}

function assertIndex(index: number, size: number): void {
  if (!Number.isSafeInteger(index) || index < 0) throw new LedgerProofError("BAD_INDEX", `leaf index ${index} is not a non-negative safe integer`);
  if (index >= size) throw new LedgerProofError("BAD_INDEX", `leaf index ${index} is not below tree size ${size}`);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** The largest power of two ≤ x, for x ≥ 1. */
function largestPowerOfTwoAtMost(x: number): number {
  let p = 1;
  while (p * 2 <= x) p *= 2;
  return p;
}

/** The largest power of two < x, for x ≥ 2: RFC 6962's split point k. */
function largestPowerOfTwoBelow(x: number): number {
  return largestPowerOfTwoAtMost(x - 1);
}

/** log2 of a power of two. */
function log2(powerOfTwo: number): number {
  let level = 0;
  for (let p = powerOfTwo; p > 1; p /= 2) level++;
  return level;
}

function isPowerOfTwo(x: number): boolean {
  return x >= 1 && largestPowerOfTwoAtMost(x) === x;
}

function isOdd(x: number): boolean {
  return x % 2 === 1;
}

/** x >> 1 without 32-bit truncation. */
function half(x: number): number {
  return Math.floor(x / 2);
}
