/**
 * The Poseidon constructions of circuits/aggregate.circom, outside the circuit. Pure and
 * browser-safe given a Poseidon implementation: poseidon-lite (small, pure BigInt) verifies;
 * the node hashes whole datasets with circomlibjs (fastHasher, ~6× faster). Both are
 * circomlib's Poseidon; the tests check they agree.
 */
import { poseidon16, poseidon2, poseidon4 } from "poseidon-lite";
import { MAX_COLUMNS } from "./encoding";

export interface Hasher {
  /** Poseidon over 16 inputs */
  p16(inputs: bigint[]): bigint;
  p2(a: bigint, b: bigint): bigint;
  p4(inputs: bigint[]): bigint;
}

export const liteHasher: Hasher = { p16: (x) => poseidon16(x), p2: (a, b) => poseidon2([a, b]), p4: (x) => poseidon4(x) };

/** circomlibjs's Poseidon (Montgomery arithmetic over typed arrays), for bulk hashing in the node. */
export async function fastHasher(): Promise<Hasher> {
  const { buildPoseidon } = await import("circomlibjs");
  const p = await buildPoseidon();
  const big = (r: Uint8Array) => p.F.toObject(r) as bigint;
  return { p16: (x) => big(p(x)), p2: (a, b) => big(p([a, b])), p4: (x) => big(p(x)) };
}

/** h = n; for each block of 15 (zero-padded): h = Poseidon(h, block). */
export function sponge(h: Hasher, elements: bigint[]): bigint {
  let state = BigInt(elements.length);
  const blocks = Math.max(1, Math.ceil(elements.length / 15));
  for (let b = 0; b < blocks; b++) {
    const block = elements.slice(b * 15, b * 15 + 15);
    while (block.length < 15) block.push(0n);
    state = h.p16([state, ...block]);
  }
  return state;
}

/** A numeric column of a chunk: cells packed 7 to an element (32 bits each), then the sponge. */
export function numericColumnCommitment(h: Hasher, cells: bigint[]): bigint {
  const packed: bigint[] = [];
  for (let i = 0; i < cells.length; i += 7) {
    let acc = 0n;
    for (let j = 0; j < 7 && i + j < cells.length; j++) acc += cells[i + j]! << BigInt(32 * j);
    packed.push(acc);
  }
  return sponge(h, packed);
}

export const textColumnCommitment = (h: Hasher, cells: bigint[]) => sponge(h, cells);

/** Poseidon(salt, the chunk's column commitments, zero for unused columns). */
export function chunkRoot(h: Hasher, salt: bigint, columns: bigint[]): bigint {
  if (columns.length > MAX_COLUMNS) throw new Error(`A chunk commits at most ${MAX_COLUMNS} columns`);
  const padded = [...columns];
  while (padded.length < MAX_COLUMNS) padded.push(0n);
  return h.p16([salt, ...padded]);
}

/** Running totals: Sponge(salt, counts, sums). */
export const accumulator = (h: Hasher, salt: bigint, counts: bigint[], sums: bigint[]) => sponge(h, [salt, ...counts, ...sums]);

/** The top tree over chunk roots: binary Poseidon, leaves padded with 0 to a power of two. */
export function treeLevels(h: Hasher, leaves: bigint[]): bigint[][] {
  let size = 1;
  while (size < leaves.length) size *= 2;
  let level = [...leaves];
  while (level.length < size) level.push(0n);
  const levels = [level];
  while (level.length > 1) {
    const next: bigint[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(h.p2(level[i]!, level[i + 1]!));
    levels.push((level = next));
  }
  return levels;
}

/** Sibling hashes from leaf `index` up to the root. */
export function treePath(levels: bigint[][], index: number): bigint[] {
  const path: bigint[] = [];
  for (let l = 0; l < levels.length - 1; l++, index >>= 1) path.push(levels[l]![index ^ 1]!);
  return path;
}

export function rootFromPath(h: Hasher, leaf: bigint, index: number, path: bigint[]): bigint {
  let node = leaf;
  for (const sibling of path) {
    node = index & 1 ? h.p2(sibling, node) : h.p2(node, sibling);
    index >>= 1;
  }
  return node;
}

/** The registered commitment: Poseidon(tree root, rows, rows per chunk, schema hash). */
export const datasetRoot = (h: Hasher, treeRoot: bigint, rows: number, chunkRows: number, schemaHash: bigint) =>
  h.p4([treeRoot, BigInt(rows), BigInt(chunkRows), schemaHash]);
