import { beforeAll, describe, expect, it } from "vitest";
import {
  addCiphertexts,
  decryptVector,
  encryptVector,
  generateKeys,
  getHe,
  HE_PARAMS,
  HeError,
  maskCiphertexts,
  MAX_CIPHERTEXT_CHARS,
  MAX_PLAIN_VALUE,
  MAX_PUBLIC_KEY_CHARS,
  noiseBudget,
  PLAIN_MODULUS,
  type He,
  type HeErrorCode,
} from ".";
import { SLOTS } from "../protocol";

type Keys = { publicKey: string; secretKey: string };

async function rejection(p: Promise<unknown>, code: HeErrorCode, message?: RegExp): Promise<HeError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HeError);
  expect((e as HeError).code).toBe(code);
  if (message) expect((e as HeError).message).toMatch(message);
  return e as HeError;
}

/** Re-serialise one of our ciphertexts through raw SEAL (trusted input) to craft variants. */
function reserialise(he: He, b64: string, mode: "none" | "zstd"): Buffer {
  const ct = he.seal.CipherText();
  try {
    ct.load(he.context, b64);
    return Buffer.from(ct.saveArray(he.seal.ComprModeType[mode]));
  } finally {
    ct.delete();
  }
}

const LENGTH = 10_000; // two chunks, the second partly padding

describe("BFV helpers (core/he/)", () => {
  let he: He;
  let keys: Keys;
  let other: Keys;
  let values: bigint[];
  let encrypted: string[];

  beforeAll(async () => {
    he = await getHe();
    [keys, other] = await Promise.all([generateKeys(), generateKeys()]);
    values = Array.from({ length: LENGTH }, (_, i) => BigInt(i % 2 ? -i : i) * 98_765_432_101n);
    values.splice(0, 6, MAX_PLAIN_VALUE, -MAX_PLAIN_VALUE, 2n ** 58n, -(2n ** 58n), 0n, -1n);
    values[LENGTH - 1] = MAX_PLAIN_VALUE - 1n;
    encrypted = await encryptVector(keys.publicKey, values);
  });

  it("builds the fixed parameter set once", async () => {
    expect(HE_PARAMS).toEqual({ scheme: "BFV", polyModulusDegree: 8192, plainModulusBits: 60 });
    expect(he.t).toBe(PLAIN_MODULUS);
    expect(MAX_PLAIN_VALUE).toBe((PLAIN_MODULUS - 1n) / 2n);
    expect(he.slots).toBe(SLOTS);
    expect(await getHe()).toBe(he);
  });

  it("round-trips a vector longer than one chunk, extremes and negatives included", async () => {
    expect(encrypted).toHaveLength(2);
    // zlib-mode SEAL serialisation, ~0.57 M base64 characters per fresh ciphertext
    for (const c of encrypted) expect(c.length).toBeLessThan(650_000);
    expect(await decryptVector(keys.secretKey, encrypted, LENGTH)).toEqual(values);
    expect(await decryptVector(keys.secretKey, encrypted, 5)).toEqual(values.slice(0, 5));
    // slots past the vector are zero padding
    const all = await decryptVector(keys.secretKey, encrypted, 2 * SLOTS);
    expect(all.slice(LENGTH).every((v) => v === 0n)).toBe(true);
    expect(await noiseBudget(keys.secretKey, encrypted[0]!)).toBeGreaterThan(90);
  });

  it("refuses values outside (−t/2, t/2]", async () => {
    await rejection(encryptVector(keys.publicKey, [0n, MAX_PLAIN_VALUE + 1n]), "VALUE_OUT_OF_RANGE", /values\[1\]/);
    await rejection(encryptVector(keys.publicKey, [-MAX_PLAIN_VALUE - 1n]), "VALUE_OUT_OF_RANGE");
    await rejection(encryptVector(keys.publicKey, [1 as unknown as bigint]), "INVALID_ARGUMENT");
    await rejection(encryptVector(keys.publicKey, []), "INVALID_ARGUMENT");
  });

  describe("sum and mask", () => {
    const n = 9_000;
    let vectors: bigint[][];
    let sum: string[];

    beforeAll(async () => {
      const bound = 2n ** 57n; // three of them still fit in (−t/2, t/2]
      vectors = [0, 1, 2].map((node) =>
        Array.from({ length: n }, (_, i) => {
          if (i === 0) return node === 1 ? -bound : bound;
          return BigInt((i * 7919 + node * 104_729) % 2_000_003) * (i % 3 === node ? -1n : 1n) * 1_000_003n;
        }),
      );
      const parts = await Promise.all(vectors.map((v) => encryptVector(keys.publicKey, v)));
      sum = await addCiphertexts(parts);
    });

    it("sums three encrypted vectors exactly", async () => {
      expect(sum).toHaveLength(2);
      const expected = vectors[0]!.map((_, i) => vectors[0]![i]! + vectors[1]![i]! + vectors[2]![i]!);
      expect(await decryptVector(keys.secretKey, sum, n)).toEqual(expected);
    });

    it("masks slots: kept ones survive, suppressed ones and all-zero chunks decrypt to 0", async () => {
      const plain = await decryptVector(keys.secretKey, sum, n);
      // chunk 0 mixed, chunk 1 covered by no mask entry at all (padded with 0)
      const mask = Array.from({ length: SLOTS }, (_, i) => (i % 3 === 1 ? 0 : 1) as 0 | 1);
      const masked = await maskCiphertexts(keys.publicKey, sum, mask);
      expect(masked).toHaveLength(2);
      expect(await decryptVector(keys.secretKey, masked, n)).toEqual(plain.map((v, i) => (i < SLOTS && i % 3 !== 1 ? v : 0n)));
      // mod-switched to the last level: about half the size, budget left for decryption
      for (const c of masked) expect(c.length).toBeLessThan(sum[0]!.length * 0.6);
      for (const c of masked) expect(await noiseBudget(keys.secretKey, c)).toBeGreaterThan(5);

      // chunk 0 all ones (no multiply), chunk 1 masked; the input is not modified
      const mask2 = Array.from({ length: n }, (_, i) => (i < SLOTS || i % 2 === 0 ? 1 : 0) as 0 | 1);
      const masked2 = await maskCiphertexts(keys.publicKey, sum, mask2);
      expect(await decryptVector(keys.secretKey, masked2, n)).toEqual(plain.map((v, i) => (mask2[i] ? v : 0n)));
      expect(await decryptVector(keys.secretKey, sum, 3)).toEqual(plain.slice(0, 3));

      // a masked chunk cannot be masked again nor added to fresh ones
      await rejection(maskCiphertexts(keys.publicKey, [masked[0]!], [1]), "LEVEL_MISMATCH");
      await rejection(addCiphertexts([[sum[0]!], [masked[0]!]]), "LEVEL_MISMATCH");
      // but two masked results (same level) can be added
      const both = await addCiphertexts([masked, masked2]);
      expect((await decryptVector(keys.secretKey, both, 4)).map(String)).toEqual([0, 1, 2, 3].map((i) => String((mask[i] ? plain[i]! : 0n) + (mask2[i] ? plain[i]! : 0n))));
    });

    it("checks chunk counts and masks", async () => {
      await rejection(addCiphertexts([sum, [sum[0]!]]), "CHUNK_MISMATCH");
      await rejection(addCiphertexts([]), "INVALID_ARGUMENT");
      await rejection(maskCiphertexts(keys.publicKey, sum, [1, 0, 2 as 0]), "INVALID_MASK");
      await rejection(maskCiphertexts(keys.publicKey, [sum[0]!], new Array<0>(SLOTS + 1).fill(0)), "INVALID_MASK");
      await rejection(decryptVector(keys.secretKey, sum, 2 * SLOTS + 1), "INVALID_ARGUMENT");
    });
  });

  it("does not decrypt under another key", async () => {
    await rejection(decryptVector(other.secretKey, encrypted, LENGTH), "DECRYPTION_FAILED");
    expect(await noiseBudget(other.secretKey, encrypted[0]!)).toBe(0);
    // what SEAL itself would return: unrelated numbers
    const sk = he.seal.SecretKey();
    const ct = he.seal.CipherText();
    let decoded: BigInt64Array | BigUint64Array;
    try {
      sk.load(he.context, other.secretKey);
      ct.load(he.context, encrypted[0]!);
      const decryptor = he.seal.Decryptor(he.context, sk);
      try {
        const pt = decryptor.decrypt(ct)!;
        try {
          decoded = he.encoder.decodeBigInt(pt, true);
        } finally {
          pt.delete();
        }
      } finally {
        decryptor.delete();
      }
    } finally {
      ct.delete();
      sk.delete();
    }
    const same = values.slice(0, 1000).filter((v, i) => decoded[i] === v).length;
    expect(same).toBeLessThan(5);
  });

  describe("untrusted input", () => {
    it("refuses garbage, truncated, corrupt and oversized ciphertexts", async () => {
      const good = encrypted[0]!;
      const mid = good.length >> 1;
      const flipped = good.slice(0, mid) + (good[mid] === "A" ? "B" : "A") + good.slice(mid + 1);
      const cases: [unknown, HeErrorCode][] = [
        ["", "MALFORMED_CIPHERTEXT"],
        ["not base64!!", "MALFORMED_CIPHERTEXT"],
        [Buffer.from("hello world, this is not SEAL").toString("base64"), "MALFORMED_CIPHERTEXT"],
        [Buffer.alloc(4096, 7).toString("base64"), "MALFORMED_CIPHERTEXT"],
        [good.slice(0, 100_000), "MALFORMED_CIPHERTEXT"],
        [good + "AAAA", "MALFORMED_CIPHERTEXT"],
        [flipped, "MALFORMED_CIPHERTEXT"],
        [42, "MALFORMED_CIPHERTEXT"],
        ["A".repeat(MAX_CIPHERTEXT_CHARS + 4), "OVERSIZED"],
        [keys.publicKey, "MALFORMED_CIPHERTEXT"],
        [keys.secretKey, "MALFORMED_CIPHERTEXT"],
      ];
      for (const [input, code] of cases) {
        await rejection(decryptVector(keys.secretKey, [input as string], 1), code);
        await rejection(addCiphertexts([[encrypted[0]!], [input as string]]), code);
      }
      await rejection(decryptVector(keys.secretKey, [keys.publicKey], 1), "MALFORMED_CIPHERTEXT", /public key, not a ciphertext/);
    });

    it("accepts uncompressed SEAL, refuses zstd, out-of-range coefficients and transparent ciphertexts", async () => {
      const none = reserialise(he, encrypted[0]!, "none");
      expect(await decryptVector(keys.secretKey, [none.toString("base64")], 8)).toEqual(values.slice(0, 8));

      const zstd = reserialise(he, encrypted[0]!, "zstd").toString("base64");
      await rejection(decryptVector(keys.secretKey, [zstd], 1), "MALFORMED_CIPHERTEXT", /zstd/);

      const big = Buffer.from(none);
      big.writeBigUInt64LE(1n << 50n, big.length - 8);
      await rejection(decryptVector(keys.secretKey, [big.toString("base64")], 1), "MALFORMED_CIPHERTEXT", /coefficient/);

      const transparent = Buffer.from(none);
      transparent.fill(0, transparent.length - 4 * SLOTS * 8); // c1 at the fresh level (4 primes)
      await rejection(addCiphertexts([[transparent.toString("base64")]]), "MALFORMED_CIPHERTEXT", /transparent/);
    });

    it("refuses malformed, oversized and mismatched keys", async () => {
      const bad: [unknown, HeErrorCode][] = [
        ["", "MALFORMED_KEY"],
        ["%%%%", "MALFORMED_KEY"],
        [Buffer.alloc(1000, 1).toString("base64"), "MALFORMED_KEY"],
        [keys.publicKey.slice(0, 50_000), "MALFORMED_KEY"],
        ["A".repeat(MAX_PUBLIC_KEY_CHARS + 4), "OVERSIZED"],
        [null, "MALFORMED_KEY"],
      ];
      for (const [input, code] of bad) {
        await rejection(encryptVector(input as string, [1n]), code);
        await rejection(decryptVector(input as string, encrypted, 1), code);
      }
      await rejection(encryptVector(keys.secretKey, [1n]), "MALFORMED_KEY", /secret key, not a public key/);
      await rejection(encryptVector(encrypted[0]!, [1n]), "MALFORMED_KEY", /ciphertext/);
      await rejection(maskCiphertexts(encrypted[0]!, encrypted, [1]), "MALFORMED_KEY");
      await rejection(decryptVector(keys.publicKey, encrypted, 1), "MALFORMED_KEY", /public key, not a secret key/);
    });

    it("refuses objects made with other encryption parameters", async () => {
      const { seal } = he;
      const parms = seal.EncryptionParameters(seal.SchemeType.bfv);
      const coeffs = seal.CoeffModulus.BFVDefault(4096);
      const plain = seal.PlainModulus.Batching(4096, 20);
      parms.setPolyModulusDegree(4096);
      parms.setCoeffModulus(coeffs);
      parms.setPlainModulus(plain);
      const ctx = seal.Context(parms, true, seal.SecurityLevel.tc128);
      const kg = seal.KeyGenerator(ctx);
      const pk = kg.createPublicKey();
      const sk = kg.secretKey();
      const encryptor = seal.Encryptor(ctx, pk);
      const ct = encryptor.encryptZero()!;
      let foreign: { ct: string; ctRaw: string; pk: string; sk: string };
      try {
        const zlib = seal.ComprModeType.zlib;
        foreign = { ct: ct.save(zlib), ctRaw: ct.save(seal.ComprModeType.none), pk: pk.save(zlib), sk: sk.save(zlib) };
      } finally {
        for (const o of [ct, encryptor, sk, pk, kg, ctx, plain, coeffs, parms]) o.delete();
      }
      await rejection(decryptVector(keys.secretKey, [foreign.ct], 1), "PARAMETER_MISMATCH", /different encryption parameters/);
      await rejection(addCiphertexts([[encrypted[0]!], [foreign.ctRaw]]), "PARAMETER_MISMATCH");
      await rejection(encryptVector(foreign.pk, [1n]), "PARAMETER_MISMATCH");
      await rejection(decryptVector(foreign.sk, encrypted, 1), "PARAMETER_MISMATCH");
    });

    it("keeps the same healthy SEAL instance after all those refusals", async () => {
      // SEAL exceptions leak WASM memory in this build; refusals must happen before SEAL parses.
      expect(await getHe()).toBe(he);
      const again = await encryptVector(keys.publicKey, [-3n, 4n]);
      expect(await decryptVector(keys.secretKey, again, 2)).toEqual([-3n, 4n]);
    });
  });
});
