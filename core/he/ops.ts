/**
 * The BFV operations for aggregate queries: keys, encryption and decryption, sum and mask.
 *
 * Isomorphic: runs in Node and in the browser (no Node-only API; base64 in JS, zlib via
 * CompressionStream / DecompressionStream). Slot values are integers in (−t/2, t/2]; arithmetic
 * is mod t, decoded centred. Every string argument is checked by wire.ts before SEAL sees it, and
 * every SEAL object made here is deleted in `finally`.
 *
 * Roles: the buyer calls generateKeys and decryptVector (the secret key never leaves it); a holder
 * calls encryptVector under the buyer's public key; the marketplace calls addCiphertexts and
 * maskCiphertexts without any secret.
 *
 * Masking (maskCiphertexts) needs the buyer's public key: each output chunk is
 *   mask ⊙ sum + Enc_pk(0), mod-switched to the last level,
 * so a chunk whose mask is all zero is simply a fresh Enc_pk(0) (multiplying by an all-zero
 * plaintext would give a transparent ciphertext, which this SEAL build refuses), every output chunk
 * carries fresh encryption randomness (unlinkable to the holders' ciphertexts), and the result is
 * half the size. Noise budget: 106 bits fresh, ~41–47 after the plaintext multiply, ~18 at the
 * last level: correct for one mask after sums of many holders, not enough for a second multiply.
 * Caveat: BFV gives no formal circuit privacy here. The noise in a masked chunk is a function of
 * the whole sum vector, suppressed slots included; the mod switch divides that term by ~2^87,
 * leaving it far below the rounding noise, but this is heuristic smudging, not statistical noise
 * flooding (no budget is left for that with t = 2^60).
 */
import { SLOTS } from "../protocol";
import { HeError, MAX_CHUNKS, MAX_NODES, MAX_PLAIN_VALUE } from "./params";
import { del, load, must, own, run, secretKeyOf, type CipherText } from "./seal";
import { pack, readObject, readPublicKey, type Bytes } from "./wire";

/** A fresh key pair (buyer side), as base64 SEAL serialisations. The public key is seeded (half size). */
export async function generateKeys(): Promise<{ publicKey: string; secretKey: string }> {
  return run("generateKeys", async (s) => {
    const kg = s.seal.KeyGenerator(s.context);
    let pk: Bytes, sk: Bytes;
    try {
      const ser = kg.createPublicKeySerializable();
      const secret = secretKeyOf(s.seal, kg);
      try {
        pk = own(ser.saveArray(s.seal.ComprModeType.none));
        sk = own(secret.saveArray(s.seal.ComprModeType.none));
      } finally {
        del(secret, ser);
      }
    } finally {
      del(kg);
    }
    const [publicKey, secretKey] = await Promise.all([pack(pk), pack(sk)]);
    return { publicKey, secretKey };
  });
}

/**
 * Encrypt a vector under a public key: ceil(length / SLOTS) ciphertexts, the last padded with
 * zeros. Every value must lie in (−t/2, t/2] (VALUE_OUT_OF_RANGE otherwise).
 */
export async function encryptVector(publicKey: string, values: readonly bigint[]): Promise<string[]> {
  if (!Array.isArray(values) || values.length === 0) throw new HeError("INVALID_ARGUMENT", "values must be a non-empty array of bigint");
  if (values.length > MAX_CHUNKS * SLOTS) throw new HeError("OVERSIZED", `at most ${MAX_CHUNKS * SLOTS} values (${MAX_CHUNKS} ciphertexts)`);
  values.forEach((v, i) => {
    if (typeof v !== "bigint") throw new HeError("INVALID_ARGUMENT", `values[${i}] is not a bigint`);
    if (v > MAX_PLAIN_VALUE || v < -MAX_PLAIN_VALUE) throw new HeError("VALUE_OUT_OF_RANGE", `values[${i}] = ${v} is outside (−t/2, t/2]`);
  });
  return run("encryptVector", async (s) => {
    const key = await readPublicKey(s, publicKey);
    const pk = load(s, key);
    const pending: Promise<string>[] = [];
    try {
      const encryptor = s.seal.Encryptor(s.context, pk);
      try {
        const slots = new BigInt64Array(SLOTS);
        for (let from = 0; from < values.length; from += SLOTS) {
          slots.fill(0n);
          for (let i = 0; i < SLOTS && from + i < values.length; i++) slots[i] = values[from + i]!;
          const pt = must(s.encoder.encode(slots));
          let raw: Bytes;
          try {
            const ct = must(encryptor.encrypt(pt));
            try {
              raw = own(ct.saveArray(s.seal.ComprModeType.none));
            } finally {
              del(ct);
            }
          } finally {
            del(pt);
          }
          pending.push(pack(raw));
        }
      } finally {
        del(encryptor);
      }
    } finally {
      del(pk);
    }
    return Promise.all(pending);
  });
}

/** Element-wise homomorphic sum over nodes: parts[node][chunk]; every node must have the same chunk count. */
export async function addCiphertexts(parts: readonly (readonly string[])[]): Promise<string[]> {
  if (!Array.isArray(parts) || parts.length === 0) throw new HeError("INVALID_ARGUMENT", "parts must be a non-empty array (one entry per node)");
  if (parts.length > MAX_NODES) throw new HeError("OVERSIZED", `at most ${MAX_NODES} nodes`);
  if (!parts.every((p) => Array.isArray(p))) throw new HeError("INVALID_ARGUMENT", "parts[node] must be an array of ciphertexts");
  const chunks = parts[0]!.length;
  if (!parts.every((p) => p.length === chunks)) {
    throw new HeError("CHUNK_MISMATCH", `nodes sent different numbers of ciphertexts (${parts.map((p) => p.length).join(", ")})`);
  }
  checkChunkCount(chunks);
  return run("addCiphertexts", async (s) => {
    const pending: Promise<string>[] = [];
    for (let c = 0; c < chunks; c++) {
      const objs = await Promise.all(parts.map((p) => readObject(s, p[c], "ciphertext")));
      const level = objs[0]!.layout.level;
      objs.forEach((o, node) => {
        if (o.layout.level !== level) {
          throw new HeError("LEVEL_MISMATCH", `chunk ${c}: node ${node} sent a ${o.layout.label}, node 0 a ${objs[0]!.layout.label}`);
        }
      });
      const acc = load(s, objs[0]!);
      let raw: Bytes;
      try {
        for (const o of objs.slice(1)) {
          const x = load(s, o);
          try {
            s.evaluator.add(acc, x, acc);
          } finally {
            del(x);
          }
        }
        raw = own(acc.saveArray(s.seal.ComprModeType.none));
      } finally {
        del(acc);
      }
      pending.push(pack(raw));
    }
    return Promise.all(pending);
  });
}

/**
 * Keep the slots whose mask is 1 and zero the others: each output chunk is
 * mask ⊙ chunk + Enc_pk(0), mod-switched to the last level (about half the size). A chunk whose
 * mask is all zero becomes a fresh Enc_pk(0); hence the public key. `mask` covers the slots of
 * all chunks in order (chunk c = mask[c·SLOTS .. (c+1)·SLOTS)) and is padded with 0, so slots past
 * its end are suppressed. Chunks must be fresh-level ciphertexts (from encryptVector or
 * addCiphertexts); a masked chunk has too little noise budget to be masked again.
 */
export async function maskCiphertexts(publicKey: string, chunks: readonly string[], mask: readonly (0 | 1)[]): Promise<string[]> {
  if (!Array.isArray(chunks)) throw new HeError("INVALID_ARGUMENT", "chunks must be an array of ciphertexts");
  checkChunkCount(chunks.length);
  if (!Array.isArray(mask)) throw new HeError("INVALID_MASK", "mask must be an array of 0 and 1");
  if (mask.length > chunks.length * SLOTS) throw new HeError("INVALID_MASK", `mask has ${mask.length} entries for ${chunks.length * SLOTS} slots`);
  mask.forEach((m, i) => {
    if (m !== 0 && m !== 1) throw new HeError("INVALID_MASK", `mask[${i}] is not 0 or 1`);
  });
  return run("maskCiphertexts", async (s) => {
    const [key, ...objs] = await Promise.all([readPublicKey(s, publicKey), ...chunks.map((c) => readObject(s, c, "ciphertext"))]);
    objs.forEach((o, c) => {
      if (o.layout.level !== 0) throw new HeError("LEVEL_MISMATCH", `chunk ${c} is a ${o.layout.label}; only fresh-level ciphertexts can be masked`);
    });
    const pk = load(s, key!);
    const pending: Promise<string>[] = [];
    try {
      const encryptor = s.seal.Encryptor(s.context, pk);
      try {
        const bits = new BigUint64Array(SLOTS);
        for (let c = 0; c < objs.length; c++) {
          let ones = 0;
          for (let i = 0; i < SLOTS; i++) {
            const m = mask[c * SLOTS + i] ?? 0;
            bits[i] = m === 1 ? 1n : 0n;
            ones += m;
          }
          let out: CipherText;
          if (ones === 0) {
            out = must(encryptor.encryptZero());
          } else {
            out = load(s, objs[c]!);
            try {
              if (ones < SLOTS) {
                const pt = must(s.encoder.encode(bits));
                try {
                  s.evaluator.multiplyPlain(out, pt, out);
                } finally {
                  del(pt);
                }
              }
              const zero = must(encryptor.encryptZero());
              try {
                s.evaluator.add(out, zero, out);
              } finally {
                del(zero);
              }
            } catch (e) {
              del(out);
              throw e;
            }
          }
          let raw: Bytes;
          try {
            s.evaluator.cipherModSwitchTo(out, s.lastParmsId, out);
            raw = own(out.saveArray(s.seal.ComprModeType.none));
          } finally {
            del(out);
          }
          pending.push(pack(raw));
        }
      } finally {
        del(encryptor);
      }
    } finally {
      del(pk);
    }
    return Promise.all(pending);
  });
}

/**
 * Decrypt the first `length` slots (centred in (−t/2, t/2]). Only the chunks covering them are
 * read. DECRYPTION_FAILED when a chunk has no noise budget left: it was not encrypted under this
 * key (or was damaged), and its plaintext would be garbage.
 */
export async function decryptVector(secretKey: string, chunks: readonly string[], length: number): Promise<bigint[]> {
  if (!Array.isArray(chunks)) throw new HeError("INVALID_ARGUMENT", "chunks must be an array of ciphertexts");
  if (chunks.length > MAX_CHUNKS) throw new HeError("OVERSIZED", `at most ${MAX_CHUNKS} ciphertexts`);
  if (!Number.isSafeInteger(length) || length < 0 || length > chunks.length * SLOTS) {
    throw new HeError("INVALID_ARGUMENT", `length must be an integer in [0, ${chunks.length * SLOTS}]`);
  }
  const needed = Math.ceil(length / SLOTS);
  return run("decryptVector", async (s) => {
    const [key, ...objs] = await Promise.all([readObject(s, secretKey, "secretKey"), ...chunks.slice(0, needed).map((c) => readObject(s, c, "ciphertext"))]);
    const sk = load(s, key!);
    const out: bigint[] = [];
    try {
      const decryptor = s.seal.Decryptor(s.context, sk);
      try {
        objs.forEach((o, c) => {
          const ct = load(s, o);
          try {
            if (decryptor.invariantNoiseBudget(ct) <= 0) {
              throw new HeError("DECRYPTION_FAILED", `chunk ${c} does not decrypt under this secret key (no noise budget left): wrong key, or a damaged ciphertext`);
            }
            const pt = must(decryptor.decrypt(ct));
            try {
              const slots = s.encoder.decodeBigInt(pt, true);
              const take = Math.min(SLOTS, length - c * SLOTS);
              for (let i = 0; i < take; i++) out.push(BigInt(slots[i]!));
            } finally {
              del(pt);
            }
          } finally {
            del(ct);
          }
        });
      } finally {
        del(decryptor);
      }
    } finally {
      del(sk);
    }
    return out;
  });
}

/** Remaining invariant noise budget of a ciphertext in bits (0 = undecryptable); needs the secret key. */
export async function noiseBudget(secretKey: string, chunk: string): Promise<number> {
  return run("noiseBudget", async (s) => {
    const [key, obj] = await Promise.all([readObject(s, secretKey, "secretKey"), readObject(s, chunk, "ciphertext")]);
    const sk = load(s, key);
    try {
      const decryptor = s.seal.Decryptor(s.context, sk);
      try {
        const ct = load(s, obj);
        try {
          return decryptor.invariantNoiseBudget(ct);
        } finally {
          del(ct);
        }
      } finally {
        del(decryptor);
      }
    } finally {
      del(sk);
    }
  });
}

function checkChunkCount(n: number): void {
  if (n === 0) throw new HeError("INVALID_ARGUMENT", "at least one ciphertext is needed");
  if (n > MAX_CHUNKS) throw new HeError("OVERSIZED", `at most ${MAX_CHUNKS} ciphertexts`);
}
