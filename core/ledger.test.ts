import { createPrivateKey, createPublicKey, sign as nodeSign } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { checkpointMessage, consistencyProof, decompose, emptyRoot, fromBase64, fromHex, hex, inclusionProof, leafHash, LedgerProofError, nodeHash, rootFromInclusion, rootFromLeafHashes, signCheckpoint, toBase64, treeRoot, verifyCheckpoint, verifyConsistency, verifyInclusion, type Checkpoint, type FetchSubtrees, type Hash, type SignedCheckpoint, type Subtree,  } from "./ledger";
import { canonicalJson } from "./canonical-json";

type Code = LedgerProofError["code"];

/** Runs `f` and returns the LedgerProofError code it throws (fails the test if it throws anything else or nothing). */
async function codeOf(f: () => unknown): Promise<Code> {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(LedgerProofError);
    return (e as LedgerProofError).code;
  }
  throw new Error("expected a LedgerProofError");
}

function ceilLog2(n: number): number {
  let bits = 0;
  while (2 ** bits < n) bits++;
  return bits;
}

/** A fetch answering from `subtreeHash`, recording every call and refusing subtrees outside a tree of `size` leaves. */
function recordingFetch(size: number, subtreeHash: (s: Subtree) => Hash) {
  const calls: Subtree[][] = [];
  const fetch: FetchSubtrees = async (needed) => {
    calls.push(needed);
    for (const { level, index } of needed) {
      if (!Number.isSafeInteger(level) || level < 0 || !Number.isSafeInteger(index) || index < 0 || (index + 1) * 2 ** level > size) {
        throw new Error(`subtree (${level}, ${index}) is outside a tree of ${size} leaves`);
      }
    }
    return needed.map(subtreeHash);
  };
  return { calls, fetch };
}

// -------------------------------------------------------------------------------------------
// Published vectors: transparency-dev/merkle testonly/constants.go and proof/verify_test.go
// (the same data as google/certificate-transparency-go's merkletree tests).

const LEAF_INPUTS = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map(hexToBytes);

/** Roots of the trees of sizes 1..8 over LEAF_INPUTS (index = size − 1). */
const ROOTS = [
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/** Hashes of every complete subtree of the 8-leaf tree: NODE_HASHES[level][index]. */
const NODE_HASHES = [
  [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
  ],
  [
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
  ],
  [
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
  ],
  ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
];

const INCLUSION_VECTORS: { index: number; size: number; proof: string[] }[] = [
  { index: 0, size: 1, proof: [] },
  { index: 0, size: 2, proof: ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"] },
  { index: 1, size: 2, proof: ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"] },
  { index: 2, size: 3, proof: ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"] },
  {
    index: 1, size: 5, proof: [
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
  },
  {
    index: 0, size: 8, proof: [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
  },
  {
    index: 5, size: 8, proof: [
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
];

const CONSISTENCY_VECTORS: { m: number; n: number; proof: string[] }[] = [
  { m: 1, n: 1, proof: [] },
  {
    m: 1, n: 8, proof: [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
  },
  {
    m: 6, n: 8, proof: [
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
  {
    m: 2, n: 5, proof: [
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
  },
  {
    m: 6, n: 7, proof: [
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
];

/** Answers from the published NODE_HASHES table. */
const publishedFetch: FetchSubtrees = async (needed) => needed.map(({ level, index }) => hexToBytes(NODE_HASHES[level]![index]!));
const rootOf = (size: number) => hexToBytes(ROOTS[size - 1]!);

describe("published RFC 6962 vectors", () => {
  it("hashes the empty tree and leaves", () => {
    expect(hex(emptyRoot())).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(LEAF_INPUTS.map((d) => hex(leafHash(d)))).toEqual(NODE_HASHES[0]);
    expect(hex(nodeHash(hexToBytes(NODE_HASHES[0]![0]!), hexToBytes(NODE_HASHES[0]![1]!)))).toBe(NODE_HASHES[1]![0]);
  });

  it("computes the roots of sizes 1..8 from leaves and from stored subtrees", async () => {
    for (let size = 1; size <= 8; size++) {
      expect(hex(rootFromLeafHashes(LEAF_INPUTS.slice(0, size).map(leafHash)))).toBe(ROOTS[size - 1]);
      expect(hex(await treeRoot(size, publishedFetch))).toBe(ROOTS[size - 1]);
    }
    expect(hex(rootFromLeafHashes([]))).toBe(hex(emptyRoot()));
  });

  it.each(INCLUSION_VECTORS)("inclusion proof for leaf $index of $size", async ({ index, size, proof }) => {
    const built = await inclusionProof(index, size, publishedFetch);
    expect(built.map(hex)).toEqual(proof);
    const leaf = leafHash(LEAF_INPUTS[index]!);
    expect(hex(rootFromInclusion(leaf, index, size, proof.map(hexToBytes)))).toBe(ROOTS[size - 1]);
    verifyInclusion(leaf, index, size, proof.map(hexToBytes), rootOf(size));
  });

  it.each(CONSISTENCY_VECTORS)("consistency proof from $m to $n", async ({ m, n, proof }) => {
    const built = await consistencyProof(m, n, publishedFetch);
    expect(built.map(hex)).toEqual(proof);
    verifyConsistency(m, n, rootOf(m), rootOf(n), proof.map(hexToBytes));
  });
});

// -------------------------------------------------------------------------------------------
// An independent reference written straight from RFC 6962 §2.1 (recursive, over arrays of
// leaf inputs), memoised on the leaf array's position so that 1..70 stays fast.

const ref = (() => {
  const prefixed = (prefix: number, ...parts: Uint8Array[]) => sha256(concatBytes(new Uint8Array([prefix]), ...parts));
  /** The largest power of two smaller than n (n > 1). */
  const split = (n: number) => {
    let k = 1;
    while (k * 2 < n) k *= 2;
    return k;
  };
  const memo = new Map<Uint8Array, Map<number, Uint8Array>>();

  /** MTH(D[n]). */
  function mth(D: Uint8Array[]): Uint8Array {
    if (D.length === 0) return sha256(new Uint8Array(0));
    const byLength = memo.get(D[0]!) ?? new Map<number, Uint8Array>();
    memo.set(D[0]!, byLength);
    const cached = byLength.get(D.length);
    if (cached) return cached;
    const k = split(D.length);
    const h = D.length === 1 ? prefixed(0, D[0]!) : prefixed(1, mth(D.slice(0, k)), mth(D.slice(k)));
    byLength.set(D.length, h);
    return h;
  }

  /** PATH(m, D[n]). */
  function path(m: number, D: Uint8Array[]): Uint8Array[] {
    if (D.length === 1) return [];
    const k = split(D.length);
    return m < k ? [...path(m, D.slice(0, k)), mth(D.slice(k))] : [...path(m - k, D.slice(k)), mth(D.slice(0, k))];
  }

  /** SUBPROOF(m, D[n], b). */
  function subproof(m: number, D: Uint8Array[], b: boolean): Uint8Array[] {
    if (m === D.length) return b ? [] : [mth(D)];
    const k = split(D.length);
    return m <= k
      ? [...subproof(m, D.slice(0, k), b), mth(D.slice(k))]
      : [...subproof(m - k, D.slice(k), false), mth(D.slice(0, k))];
  }

  return { mth, path, proof: (m: number, D: Uint8Array[]) => subproof(m, D, true) };
})();

const MAX_REF = 70;
/** Distinct leaf inputs (distinct objects too, which the reference's memo relies on). */
const INPUTS = Array.from({ length: MAX_REF }, (_, i) => utf8ToBytes(`entry ${i}`));
const refSubtree = ({ level, index }: Subtree) => ref.mth(INPUTS.slice(index * 2 ** level, (index + 1) * 2 ** level));

describe("against the RFC 6962 reference, every size up to 70", () => {
  function expectFetchPattern(calls: Subtree[][], size: number, proofLength: number) {
    expect(calls.length).toBe(proofLength === 0 ? 0 : 1);
    const needed = calls[0] ?? [];
    expect(needed.length).toBeLessThanOrEqual(2 * ceilLog2(size) + 1);
    expect(new Set(needed.map((s) => `${s.level}:${s.index}`)).size).toBe(needed.length);
  }

  it("the reference itself reproduces the published roots", () => {
    for (let size = 1; size <= 8; size++) expect(hex(ref.mth(LEAF_INPUTS.slice(0, size)))).toBe(ROOTS[size - 1]);
  });

  it("roots agree", async () => {
    for (let n = 1; n <= MAX_REF; n++) {
      const want = hex(ref.mth(INPUTS.slice(0, n)));
      const { calls, fetch } = recordingFetch(n, refSubtree);
      expect(hex(await treeRoot(n, fetch))).toBe(want);
      expect(calls.length).toBe(1);
      expect(hex(rootFromLeafHashes(INPUTS.slice(0, n).map(leafHash)))).toBe(want);
    }
  });

  it("inclusion proofs agree byte for byte and verify", async () => {
    for (let n = 1; n <= MAX_REF; n++) {
      const D = INPUTS.slice(0, n);
      const root = ref.mth(D);
      for (let index = 0; index < n; index++) {
        const { calls, fetch } = recordingFetch(n, refSubtree);
        const proof = await inclusionProof(index, n, fetch);
        expect(proof.map(hex)).toEqual(ref.path(index, D).map(hex));
        expect(proof.length).toBeLessThanOrEqual(ceilLog2(n));
        expectFetchPattern(calls, n, proof.length);
        verifyInclusion(leafHash(D[index]!), index, n, proof, root);
      }
    }
  });

  it("consistency proofs agree byte for byte and verify", async () => {
    for (let n = 1; n <= MAX_REF; n++) {
      const D = INPUTS.slice(0, n);
      for (let m = 1; m <= n; m++) {
        const { calls, fetch } = recordingFetch(n, refSubtree);
        const proof = await consistencyProof(m, n, fetch);
        expect(proof.map(hex)).toEqual(ref.proof(m, D).map(hex));
        expectFetchPattern(calls, n, proof.length);
        verifyConsistency(m, n, ref.mth(D.slice(0, m)), ref.mth(D), proof);
      }
    }
  });

  it("decompose covers exactly the accepted ranges", async () => {
    for (let end = 1; end <= MAX_REF; end++) {
      for (let start = 0; start < end; start++) {
        let p = 1;
        while (p * 2 <= end - start) p *= 2;
        if (start % p !== 0) {
          expect(await codeOf(() => decompose(start, end))).toBe("BAD_SIZE");
          continue;
        }
        const subtrees = decompose(start, end);
        expect(subtrees[0]!.index * 2 ** subtrees[0]!.level).toBe(start);
        const hashes = subtrees.map(refSubtree);
        const folded = hashes.reduceRight((h, left) => nodeHash(left, h));
        expect(hex(folded)).toBe(hex(ref.mth(INPUTS.slice(start, end))));
      }
    }
  });
});

// -------------------------------------------------------------------------------------------
// Huge trees: every leaf equal, so the hash of a complete subtree depends only on its level.

describe("planning at sizes up to 2^53 − 1", () => {
  const uniform: Hash[] = [leafHash(utf8ToBytes("same"))];
  for (let level = 1; level <= 53; level++) uniform.push(nodeHash(uniform[level - 1]!, uniform[level - 1]!));
  const uniformHash = ({ level }: Subtree) => uniform[level]!;

  const cases = [
    { index: 2 ** 39 + 5, size: 2 ** 40 - 3, m: 2 ** 39 + 6 },
    { index: 2 ** 40 - 1, size: 2 ** 40, m: 2 ** 40 - 1 },
    { index: 2 ** 32, size: 2 ** 32 + 1, m: 2 ** 32 - 1 },
    { index: 3 * 2 ** 31 + 7, size: 2 ** 33 + 2 ** 31 + 9, m: 2 ** 31 + 1 },
    { index: 2 ** 52 + 3, size: Number.MAX_SAFE_INTEGER, m: 2 ** 53 - 2 },
  ];

  it.each(cases)("leaf $index of $size, consistency from $m", async ({ index, size, m }) => {
    const { calls, fetch } = recordingFetch(size, uniformHash);
    const root = await treeRoot(size, fetch);
    const proof = await inclusionProof(index, size, fetch);
    expect(proof.length).toBeLessThanOrEqual(ceilLog2(size));
    verifyInclusion(uniform[0]!, index, size, proof, root);

    const oldRoot = await treeRoot(m, recordingFetch(m, uniformHash).fetch);
    const consistency = await consistencyProof(m, size, fetch);
    expect(consistency.length).toBeLessThanOrEqual(ceilLog2(size) + 1);
    verifyConsistency(m, size, oldRoot, root, consistency);
    expect(calls.length).toBe(3);
    for (const needed of calls) expect(needed.length).toBeLessThanOrEqual(2 * ceilLog2(size) + 1);
  });

  it("rootFromLeafHashes handles 100 000 leaves and agrees with the stored-subtree root", async () => {
    const size = 100_000;
    const leaves = Array.from({ length: size }, () => uniform[0]!);
    expect(hex(rootFromLeafHashes(leaves))).toBe(hex(await treeRoot(size, recordingFetch(size, uniformHash).fetch)));
  });

  it("decomposes a huge range into its binary digits", () => {
    expect(decompose(0, 2 ** 40 - 3).map((s) => s.level)).toEqual([...Array.from({ length: 38 }, (_, i) => 39 - i), 0]);
    expect(decompose(2 ** 40, 2 ** 40 + 2 ** 39 + 1)).toEqual([{ level: 39, index: 2 }, { level: 0, index: 2 ** 40 + 2 ** 39 }]);
  });
});

// -------------------------------------------------------------------------------------------

describe("rejections", () => {
  const leaves = INPUTS.slice(0, 8).map(leafHash);
  const root8 = rootFromLeafHashes(leaves);
  const fetch8 = recordingFetch(8, refSubtree).fetch;
  const flip = (h: Hash) => Uint8Array.from(h, (b, i) => (i === 0 ? b ^ 1 : b));

  it("bad inclusion proofs", async () => {
    const proof = await inclusionProof(5, 8, fetch8);
    const leaf = leaves[5]!;
    verifyInclusion(leaf, 5, 8, proof, root8);
    for (let k = 0; k < proof.length; k++) {
      const tampered = proof.map((h, i) => (i === k ? flip(h) : h));
      expect(await codeOf(() => verifyInclusion(leaf, 5, 8, tampered, root8))).toBe("MISMATCH");
    }
    expect(await codeOf(() => verifyInclusion(leaf, 4, 8, proof, root8))).toBe("MISMATCH"); // wrong index
    expect(await codeOf(() => verifyInclusion(leaves[4]!, 5, 8, proof, root8))).toBe("MISMATCH"); // wrong leaf
    expect(await codeOf(() => verifyInclusion(leaf, 5, 6, proof, root8))).toBe("MALFORMED"); // wrong size: shorter path
    expect(await codeOf(() => verifyInclusion(leaf, 5, 16, proof, root8))).toBe("MALFORMED"); // wrong size: longer path
    expect(await codeOf(() => verifyInclusion(leaf, 8, 8, proof, root8))).toBe("BAD_INDEX");
    expect(await codeOf(() => verifyInclusion(leaf, -1, 8, proof, root8))).toBe("BAD_INDEX");
    expect(await codeOf(() => verifyInclusion(leaf, 1.5, 8, proof, root8))).toBe("BAD_INDEX");
    expect(await codeOf(() => verifyInclusion(leaf, 0, 2 ** 53, proof, root8))).toBe("BAD_SIZE");
    expect(await codeOf(() => verifyInclusion(leaf, 0, 0, [], root8))).toBe("BAD_INDEX");
    expect(await codeOf(() => verifyInclusion(leaf, 5, 8, [...proof, root8], root8))).toBe("MALFORMED"); // too long
    expect(await codeOf(() => verifyInclusion(leaf, 5, 8, proof.slice(0, 2), root8))).toBe("MALFORMED"); // too short
    expect(await codeOf(() => verifyInclusion(leaf, 5, 8, [proof[0]!.slice(1), ...proof.slice(1)], root8))).toBe("MALFORMED");
    expect(await codeOf(() => verifyInclusion(leaf.slice(1), 5, 8, proof, root8))).toBe("MALFORMED");
    expect(await codeOf(() => verifyInclusion(leaf, 5, 8, proof, flip(root8)))).toBe("MISMATCH");
    expect(await codeOf(() => verifyInclusion(leaf, 5, 8, proof, emptyRoot()))).toBe("MISMATCH");
    expect(await codeOf(() => verifyInclusion(leaf, 5, 8, proof, root8.slice(1)))).toBe("MALFORMED");
  });

  it("bad consistency proofs", async () => {
    const root5 = rootFromLeafHashes(leaves.slice(0, 5));
    const proof = await consistencyProof(5, 8, fetch8);
    verifyConsistency(5, 8, root5, root8, proof);
    expect(await codeOf(() => verifyConsistency(5, 8, root8, root5, proof))).toBe("MISMATCH"); // swapped roots
    expect(await codeOf(() => verifyConsistency(8, 5, root8, root5, proof))).toBe("BAD_SIZE");
    expect(await codeOf(() => verifyConsistency(5, 8, root5, root8, [flip(proof[0]!), ...proof.slice(1)]))).toBe("MISMATCH");
    expect(await codeOf(() => verifyConsistency(5, 8, root5, root8, []))).toBe("MALFORMED");
    expect(await codeOf(() => verifyConsistency(5, 8, root5, root8, [...proof, root8]))).toBe("MALFORMED");
    expect(await codeOf(() => verifyConsistency(5, 8, root5, root8, proof.slice(1)))).toBe("MALFORMED");
    expect(await codeOf(() => verifyConsistency(5, 8, root5, root8, [proof[0]!.slice(1), ...proof.slice(1)]))).toBe("MALFORMED");
    expect(await codeOf(() => verifyConsistency(-1, 8, root5, root8, proof))).toBe("BAD_SIZE");
    expect(await codeOf(() => verifyConsistency(8, 8, root5, root8, []))).toBe("MISMATCH");
    expect(await codeOf(() => verifyConsistency(8, 8, root8, root8, [root8]))).toBe("MALFORMED");
    expect(await codeOf(() => verifyConsistency(0, 8, emptyRoot(), root8, [root8]))).toBe("MALFORMED");
    verifyConsistency(8, 8, root8, root8, []);
    verifyConsistency(0, 8, emptyRoot(), root8, []);
    verifyConsistency(0, 0, emptyRoot(), emptyRoot(), []);
  });

  it("bad arguments to the builders", async () => {
    expect(await codeOf(() => inclusionProof(8, 8, fetch8))).toBe("BAD_INDEX");
    expect(await codeOf(() => inclusionProof(0, 0, fetch8))).toBe("BAD_INDEX");
    expect(await codeOf(() => inclusionProof(0, -1, fetch8))).toBe("BAD_SIZE");
    expect(await codeOf(() => consistencyProof(0, 8, fetch8))).toBe("BAD_SIZE");
    expect(await codeOf(() => consistencyProof(9, 8, fetch8))).toBe("BAD_SIZE");
    expect(await codeOf(() => treeRoot(Number.NaN, fetch8))).toBe("BAD_SIZE");
    expect(decompose(3, 3)).toEqual([]);
    expect(await codeOf(() => decompose(4, 3))).toBe("BAD_SIZE");
    expect(await codeOf(() => decompose(0, 1.5))).toBe("BAD_SIZE");
    expect(await codeOf(() => decompose(1, 4))).toBe("BAD_SIZE");
    expect(await codeOf(() => decompose(2 ** 40 + 2 ** 38, 2 ** 40 + 2 ** 38 + 2 ** 39))).toBe("BAD_SIZE");
    expect(await codeOf(() => rootFromLeafHashes([leaves[0]!, leaves[1]!.slice(1)]))).toBe("MALFORMED");
    expect(await codeOf(() => nodeHash(leaves[0]!, new Uint8Array(33)))).toBe("MALFORMED");
  });

  it("a fetch that answers with the wrong shape", async () => {
    expect(await codeOf(() => treeRoot(7, async (needed) => needed.slice(1).map(refSubtree)))).toBe("MALFORMED");
    expect(await codeOf(() => treeRoot(7, async (needed) => needed.map(() => new Uint8Array(31))))).toBe("MALFORMED");
  });

  it("the empty tree needs no fetch", async () => {
    const { calls, fetch } = recordingFetch(0, refSubtree);
    expect(hex(await treeRoot(0, fetch))).toBe(hex(emptyRoot()));
    expect(calls).toEqual([]);
  });
});

// -------------------------------------------------------------------------------------------

describe("checkpoints", () => {
  const secretKey = new Uint8Array(32).fill(7);
  const publicKey = toBase64(ed25519.getPublicKey(secretKey));
  const cp: Checkpoint = { origin: "qc-market.example/log", size: 8, root: ROOTS[7]!, timestamp: 1_760_000_000_123 };
  const scp = signCheckpoint(cp, secretKey);

  it("signs the documented message", () => {
    expect(new TextDecoder().decode(checkpointMessage(cp))).toBe(
      `qc-market/v1/checkpoint\n{"origin":"qc-market.example/log","root":"${ROOTS[7]}","size":8,"timestamp":1760000000123}`,
    );
    expect(fromBase64(scp.signature)).toHaveLength(64);
    expect(verifyCheckpoint(scp, publicKey)).toBe(true);
  });

  it("keeps only the checkpoint's fields", () => {
    const signed = signCheckpoint({ ...cp, extra: 1 } as Checkpoint, secretKey);
    expect(Object.keys(signed).sort()).toEqual(["origin", "root", "signature", "size", "timestamp"]);
  });

  it("accepts a signature made with node:crypto", () => {
    const pkcs8 = concatBytes(hexToBytes("302e020100300506032b657004220420"), secretKey);
    const privateKey = createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" });
    const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
    expect(toBase64(new Uint8Array(spki).slice(-32))).toBe(publicKey);
    const signature = toBase64(new Uint8Array(nodeSign(null, checkpointMessage(cp), privateKey)));
    expect(signature).toBe(scp.signature);
    expect(verifyCheckpoint({ ...cp, signature }, publicKey)).toBe(true);
  });

  it("rejects any change or malformation", () => {
    expect(verifyCheckpoint({ ...scp, size: 9 }, publicKey)).toBe(false);
    expect(verifyCheckpoint({ ...scp, root: ROOTS[6]! }, publicKey)).toBe(false);
    expect(verifyCheckpoint({ ...scp, timestamp: cp.timestamp + 1 }, publicKey)).toBe(false);
    expect(verifyCheckpoint({ ...scp, origin: "other" }, publicKey)).toBe(false);
    expect(verifyCheckpoint({ ...scp, root: ROOTS[7]!.toUpperCase() }, publicKey)).toBe(false);
    expect(verifyCheckpoint({ ...scp, size: 8.5 }, publicKey)).toBe(false);
    expect(verifyCheckpoint(signCheckpoint(cp, new Uint8Array(32).fill(8)), publicKey)).toBe(false);
    expect(verifyCheckpoint({ ...scp, signature: "not base64!" }, publicKey)).toBe(false);
    expect(verifyCheckpoint({ ...scp, signature: scp.signature.replace(/=+$/, "") }, publicKey)).toBe(false);
    expect(verifyCheckpoint({ ...scp, signature: toBase64(fromBase64(scp.signature).slice(1)) }, publicKey)).toBe(false);
    expect(verifyCheckpoint(scp, toBase64(fromBase64(publicKey).slice(1)))).toBe(false);
    expect(verifyCheckpoint(scp, "%%%")).toBe(false);
    expect(verifyCheckpoint(null as unknown as SignedCheckpoint, publicKey)).toBe(false);
  });
});

describe("encodings", () => {
  it("base64 round-trips and is strict", async () => {
    for (const bytes of [[], [0], [1, 2], [255, 254, 253], [0, 1, 2, 3, 4, 5, 6]]) {
      const b = Uint8Array.from(bytes);
      expect(toBase64(b)).toBe(Buffer.from(b).toString("base64"));
      expect([...fromBase64(toBase64(b))]).toEqual(bytes);
    }
    for (const bad of ["AQ", "AB==", "-_8=", "AQ ==", "A==="]) expect(await codeOf(() => fromBase64(bad))).toBe("MALFORMED");
  });

  it("hex round-trips and checks length", async () => {
    expect(hex(fromHex("00ff10", 3))).toBe("00ff10");
    expect(hex(fromHex("ABCD"))).toBe("abcd");
    for (const [s, n] of [["abc", undefined], ["zz", undefined], ["00", 32], [ROOTS[0]!.slice(2), 32]] as const) {
      expect(await codeOf(() => fromHex(s, n))).toBe("MALFORMED");
    }
  });

  it("canonicalJson sorts keys by UTF-16 code units, drops undefined members and writes no whitespace", () => {
    expect(canonicalJson({ b: 1, a: [true, null, "x"], c: { z: 1, y: { x: -0, w: 1e21 } } })).toBe(
      '{"a":[true,null,"x"],"b":1,"c":{"y":{"w":1e+21,"x":0},"z":1}}',
    );
    // U+1F600 is the surrogate pair D83D DE00, which sorts before U+FFFD by code unit (not by code point).
    expect(canonicalJson({ "\uFFFD": 1, "\u{1F600}": 2, é: 3, z: 4, Z: 5, "": 6 })).toBe(
      '{"":6,"Z":5,"z":4,"é":3,"\u{1F600}":2,"\uFFFD":1}',
    );
    expect(canonicalJson({ a: undefined, b: "line\n\u0001\"" })).toBe('{"b":"line\\n\\u0001\\""}');
    expect(canonicalJson([0.1, 1.5e-7, 123456789012345680000])).toBe("[0.1,1.5e-7,123456789012345680000]");
  });

  it("canonicalJson throws outside its value domain", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [Number.NaN, Infinity, { a: -Infinity }, 10n, [undefined], () => 1, undefined, new Date(0), new Map(), cyclic]) {
      expect(() => canonicalJson(bad)).toThrow(TypeError);
    }
    const shared = { x: 1 };
    expect(canonicalJson([shared, shared])).toBe('[{"x":1},{"x":1}]');
  });
});
