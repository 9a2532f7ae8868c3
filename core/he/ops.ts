/**
 * BFV homomorphic encryption for aggregate queries (node-seal 6.0.3 = Microsoft SEAL 4.1 in WASM).
 *
 * Isomorphic: runs in Node and in the browser (no Node-only API; base64 in JS, zlib via
 * CompressionStream / DecompressionStream). Fixed parameters: BFV, degree 8192 (= SLOTS slots per
 * ciphertext), CoeffModulus.BFVDefault(8192) (43+43+44+44+44 bits), a 60-bit batching plain modulus
 * t. Slot values are integers in (−t/2, t/2]; arithmetic is mod t, decoded centred.
 *
 * Roles: the buyer calls generateKeys and decryptVector (the secret key never leaves it); a holder
 * calls encryptVector under the buyer's public key; the marketplace calls addCiphertexts and
 * maskCiphertexts without any secret.
 *
 * Serialisation. Every string this module returns is base64 of a standard SEAL serialisation in
 * zlib mode (SEAL header with compr_mode = zlib, then an RFC 1950 stream), so any SEAL can load it.
 * Measured per fresh ciphertext (base64 chars / save time): none 699 K / 2.6 ms, zstd 577 K /
 * 3.5 ms, zlib by SEAL 570 K / 60 ms, zlib by CompressionStream 566 K / ~27 ms (off the main
 * thread in Node). zstd would be the fastest, but it cannot be decompressed in JS, and the input
 * must be checked in JS before SEAL parses it (below), so zlib it is, compressed with
 * CompressionStream rather than by SEAL (2× faster). Inputs may be zlib or uncompressed ("none");
 * zstd inputs are refused.
 *
 * Why everything is checked before SEAL sees it: in this WASM build a SEAL exception is not
 * harmless. A truncated object aborts the WASM instance (std::ios failure → abort()), and even an
 * ordinary "ciphertext data is invalid" leaks about 1 MB of WASM heap and its stack; a few hundred
 * of them corrupt the instance ("table index is out of bounds", wrong results). So an object is
 * accepted only if, once decompressed, it has exactly the byte layout of an object of the same kind
 * produced by this context (header, parms_id, sizes, flags: every byte outside the coefficients),
 * every coefficient is below its modulus, and a ciphertext is not transparent. SEAL then loads it
 * without throwing. Should SEAL still throw (a bug), the instance is discarded and the next call
 * builds a fresh one; the caller gets HeError("INTERNAL").
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
 *
 * WASM memory: every object created here is deleted in `finally`, and node-seal 6's one leaking
 * call on these paths (KeyGenerator.secretKey, ~350 KB per call) is worked around (secretKeyOf).
 * Measured: 240 rounds of keygen + encrypt + add + mask + decrypt leave the heap flat.
 */
import SEAL from "node-seal";
import { SLOTS } from "./protocol";

export type SealLibrary = Awaited<ReturnType<typeof SEAL>>;
type Context = ReturnType<SealLibrary["Context"]>;
type BatchEncoder = ReturnType<SealLibrary["BatchEncoder"]>;
type Evaluator = ReturnType<SealLibrary["Evaluator"]>;
type CipherText = ReturnType<SealLibrary["CipherText"]>;
type PublicKey = ReturnType<SealLibrary["PublicKey"]>;
type SecretKey = ReturnType<SealLibrary["SecretKey"]>;
type KeyGenerator = ReturnType<SealLibrary["KeyGenerator"]>;
type ParmsIdType = ReturnType<SealLibrary["ParmsIdType"]>;
type Bytes = Uint8Array<ArrayBuffer>;

export const HE_PARAMS = { scheme: "BFV", polyModulusDegree: 8192, plainModulusBits: 60 } as const;
/** t = PlainModulus.Batching(8192, 60) (checked against SEAL when the context is built). */
export const PLAIN_MODULUS = 1152921504606830593n;
/** Slot values lie in [−MAX_PLAIN_VALUE, MAX_PLAIN_VALUE] = (−t/2, t/2] (t is odd). */
export const MAX_PLAIN_VALUE = (PLAIN_MODULUS - 1n) / 2n;
/** At most this many ciphertexts per vector (protocol.ts: aggregateResponse.ciphertexts.max(64)). */
export const MAX_CHUNKS = 64;
/** At most this many nodes in one sum (protocol.ts: peers.max(64)). */
export const MAX_NODES = 64;
/** Base64 length limits checked before anything is decoded. A fresh ciphertext is ~0.57 M chars. */
export const MAX_CIPHERTEXT_CHARS = 4_000_000;
export const MAX_PUBLIC_KEY_CHARS = 2_000_000;
export const MAX_SECRET_KEY_CHARS = 2_000_000;

export type HeErrorCode =
  | "VALUE_OUT_OF_RANGE"
  | "CHUNK_MISMATCH"
  | "LEVEL_MISMATCH"
  | "MALFORMED_CIPHERTEXT"
  | "MALFORMED_KEY"
  | "OVERSIZED"
  | "PARAMETER_MISMATCH"
  | "INVALID_MASK"
  | "INVALID_ARGUMENT"
  | "DECRYPTION_FAILED"
  | "INTERNAL";

export class HeError extends Error {
  readonly code: HeErrorCode;
  constructor(code: HeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "HeError";
    this.code = code;
  }
}

/** The process-wide SEAL instance and BFV context (shared; never delete these objects). */
export interface He {
  readonly seal: SealLibrary;
  readonly context: Context;
  readonly encoder: BatchEncoder;
  readonly evaluator: Evaluator;
  /** the plain modulus */
  readonly t: bigint;
  readonly slots: number;
}

type Kind = "ciphertext" | "publicKey" | "secretKey";

/** The exact byte layout of one kind of object of this context, serialised uncompressed. */
interface Layout {
  readonly kind: Kind;
  /** for ciphertexts: 0 = first (fresh) level, +1 per mod switch; keys: 0 */
  readonly level: number;
  readonly label: string;
  /** total length including the 16-byte SEAL header */
  readonly length: number;
  /** every byte outside the coefficients (and the public key seed) must equal these */
  readonly constant: readonly { readonly offset: number; readonly bytes: Bytes }[];
  /** u64 coefficients from offset: `polys` polynomials of k RNS components of n coefficients */
  readonly coeffs: { readonly offset: number; readonly polys: number; readonly k: number };
  /** the second polynomial of a ciphertext (all zero = transparent) */
  readonly c1?: { readonly offset: number; readonly length: number };
}

interface State extends He {
  readonly layouts: readonly Layout[];
  readonly maxLength: number;
  /** hex parms_ids of every level of this context (key level included) */
  readonly parmsIds: ReadonlySet<string>;
  /** coefficient moduli, key level order, as [high 32 bits, low 32 bits] */
  readonly moduli: readonly (readonly [number, number])[];
  readonly version: readonly [number, number];
  readonly lastParmsId: ParmsIdType;
}

const N = HE_PARAMS.polyModulusDegree;
const HEADER = 16;
const MAGIC = [0x5e, 0xa1] as const;
const COMPR_NONE = 0;
const COMPR_ZLIB = 1;
const COMPR_ZSTD = 2;
const SEED_BYTES = 64;

// ---------------------------------------------------------------------------------------------
// The singleton

let statePromise: Promise<State> | null = null;
let live: State | null = null;

function state(): Promise<State> {
  if (!statePromise) {
    const p = createState().then((s) => (live = s));
    statePromise = p;
    p.catch(() => {
      if (statePromise === p) statePromise = null;
    });
  }
  return statePromise;
}

/** Drop a SEAL instance whose heap may be damaged; the next call builds a fresh one. */
function discard(s: State): void {
  if (live === s) {
    live = null;
    statePromise = null;
  }
}

/** The BFV context (built once per process, ~0.5 s, then shared). */
export async function getHe(): Promise<He> {
  return state();
}

async function createState(): Promise<State> {
  const seal = await SEAL();
  const parms = seal.EncryptionParameters(seal.SchemeType.bfv);
  const coeffModulus = seal.CoeffModulus.BFVDefault(N);
  const plainModulus = seal.PlainModulus.Batching(N, HE_PARAMS.plainModulusBits);
  let context: Context;
  let moduli: bigint[];
  let t: bigint;
  try {
    parms.setPolyModulusDegree(N);
    parms.setCoeffModulus(coeffModulus);
    parms.setPlainModulus(plainModulus);
    context = seal.Context(parms, true, seal.SecurityLevel.tc128);
    if (!context.parametersSet()) throw new HeError("INTERNAL", "SEAL rejected the BFV parameters");
    moduli = [...parms.coeffModulus];
    t = plainModulus.value;
  } finally {
    coeffModulus.delete();
    plainModulus.delete();
    parms.delete();
  }
  if (t !== PLAIN_MODULUS) throw new HeError("INTERNAL", `unexpected plain modulus ${t}`);
  const encoder = seal.BatchEncoder(context);
  const evaluator = seal.Evaluator(context);
  const lastParmsId = context.lastParmsId;
  if (encoder.slotCount !== SLOTS) throw new HeError("INTERNAL", `slot count ${encoder.slotCount} ≠ SLOTS`);

  // Reference objects give the exact layouts accepted on input.
  const none = seal.ComprModeType.none;
  const kg = seal.KeyGenerator(context);
  const pkSeeded = kg.createPublicKeySerializable();
  const sk = secretKeyOf(seal, kg);
  const pk = seal.PublicKey();
  pk.loadArray(context, pkSeeded.saveArray(none));
  const encryptor = seal.Encryptor(context, pk);
  const ct = must(encryptor.encryptZero());
  const last = ct.clone();
  let refs: { cts: { bytes: Bytes; k: number }[]; pk: Bytes; pkSeeded: Bytes; sk: Bytes };
  try {
    evaluator.cipherModSwitchTo(last, lastParmsId, last);
    const cts: { bytes: Bytes; k: number }[] = [];
    for (;;) {
      cts.push({ bytes: own(ct.saveArray(none)), k: ct.coeffModulusSize });
      if (ct.coeffModulusSize <= last.coeffModulusSize) break;
      evaluator.cipherModSwitchToNext(ct, ct);
    }
    refs = { cts, pk: own(pk.saveArray(none)), pkSeeded: own(pkSeeded.saveArray(none)), sk: own(sk.saveArray(none)) };
  } finally {
    del(last, ct, encryptor, sk, pkSeeded, pk, kg);
  }

  const keyK = moduli.length;
  const first = refs.cts[0]!;
  const prefix = first.bytes.length - 2 * first.k * N * 8;
  const layouts: Layout[] = [];
  const slice = (b: Bytes, from: number, to: number) => ({ offset: from, bytes: b.slice(from, to) });
  refs.cts.forEach(({ bytes, k }, level) => {
    layouts.push({
      kind: "ciphertext",
      level,
      label: `ciphertext (level ${level})`,
      length: bytes.length,
      constant: [slice(bytes, 0, prefix)],
      coeffs: { offset: prefix, polys: 2, k },
      c1: { offset: prefix + k * N * 8, length: k * N * 8 },
    });
  });
  layouts.push({
    kind: "publicKey",
    level: 0,
    label: "public key",
    length: refs.pk.length,
    constant: [slice(refs.pk, 0, prefix)],
    coeffs: { offset: prefix, polys: 2, k: keyK },
  });
  // A seeded public key stores c0 and the 64-byte PRNG seed c1 is expanded from.
  const seedAt = prefix + keyK * N * 8;
  layouts.push({
    kind: "publicKey",
    level: 0,
    label: "public key",
    length: refs.pkSeeded.length,
    constant: [slice(refs.pkSeeded, 0, prefix), slice(refs.pkSeeded, seedAt, refs.pkSeeded.length - SEED_BYTES)],
    coeffs: { offset: prefix, polys: 1, k: keyK },
  });
  const skData = refs.sk.length - keyK * N * 8;
  layouts.push({
    kind: "secretKey",
    level: 0,
    label: "secret key",
    length: refs.sk.length,
    constant: [slice(refs.sk, 0, skData)],
    coeffs: { offset: skData, polys: 1, k: keyK },
  });

  const s: State = {
    seal,
    context,
    encoder,
    evaluator,
    t,
    slots: SLOTS,
    layouts,
    maxLength: Math.max(...layouts.map((l) => l.length)),
    parmsIds: new Set([...refs.cts.map((c) => hex(c.bytes.subarray(HEADER, HEADER + 32))), hex(refs.pk.subarray(HEADER, HEADER + 32))]),
    moduli: moduli.map((q) => [Number(q >> 32n), Number(q & 0xffffffffn)] as const),
    version: [first.bytes[3]!, first.bytes[4]!],
    lastParmsId,
  };
  // The layout assumptions (prefix size, ciphertext = pk layout, seed block, modulus order) must
  // describe the reference objects exactly, or nothing would load: check them once here.
  const sane =
    refs.cts.every((c) => c.bytes.length - 2 * c.k * N * 8 === prefix) &&
    refs.pk.length - 2 * keyK * N * 8 === prefix &&
    refs.pkSeeded.length - seedAt - SEED_BYTES > 0 &&
    refs.pkSeeded.length - seedAt - SEED_BYTES <= 32 &&
    skData > HEADER &&
    [refs.pk, refs.pkSeeded, refs.sk, ...refs.cts.map((c) => c.bytes)].every((b) => {
      const l = match(s, b);
      return l !== null && coefficientsValid(s, b, l) && (!l.c1 || !allZero(b, l.c1.offset, l.c1.length));
    });
  if (!sane) throw new HeError("INTERNAL", "unexpected SEAL serialisation layout (node-seal version changed?)");
  return s;
}

// ---------------------------------------------------------------------------------------------
// Public API

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
    const pk = loadPublicKey(s, key.bytes);
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
      const acc = loadCiphertext(s, objs[0]!.bytes);
      let raw: Bytes;
      try {
        for (const o of objs.slice(1)) {
          const x = loadCiphertext(s, o.bytes);
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
    const pk = loadPublicKey(s, key!.bytes);
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
            out = loadCiphertext(s, objs[c]!.bytes);
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
    const sk = loadSecretKey(s, key!.bytes);
    const out: bigint[] = [];
    try {
      const decryptor = s.seal.Decryptor(s.context, sk);
      try {
        objs.forEach((o, c) => {
          const ct = loadCiphertext(s, o.bytes);
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
    const sk = loadSecretKey(s, key.bytes);
    try {
      const decryptor = s.seal.Decryptor(s.context, sk);
      try {
        const ct = loadCiphertext(s, obj.bytes);
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

// ---------------------------------------------------------------------------------------------
// Running, loading, checking

async function run<T>(op: string, body: (s: State) => Promise<T>): Promise<T> {
  const s = await state();
  try {
    return await body(s);
  } catch (e) {
    if (e instanceof HeError) throw e;
    discard(s);
    throw new HeError("INTERNAL", `${op}: SEAL failed unexpectedly (${e instanceof Error ? e.message : String(e)}); the SEAL instance was discarded`, { cause: e });
  }
}

function checkChunkCount(n: number): void {
  if (n === 0) throw new HeError("INVALID_ARGUMENT", "at least one ciphertext is needed");
  if (n > MAX_CHUNKS) throw new HeError("OVERSIZED", `at most ${MAX_CHUNKS} ciphertexts`);
}

const WHAT: Record<Kind, { code: HeErrorCode; name: string; max: number }> = {
  ciphertext: { code: "MALFORMED_CIPHERTEXT", name: "ciphertext", max: MAX_CIPHERTEXT_CHARS },
  publicKey: { code: "MALFORMED_KEY", name: "public key", max: MAX_PUBLIC_KEY_CHARS },
  secretKey: { code: "MALFORMED_KEY", name: "secret key", max: MAX_SECRET_KEY_CHARS },
};

/**
 * Decode and check a base64 SEAL serialisation of the given kind. Returns the object as
 * uncompressed SEAL bytes that SEAL loads without throwing.
 */
/**
 * Checked public keys, by their base64 text: a node encrypts every query under the same
 * buyer key and the marketplace masks with it, so decoding and checking 350 KB each time is
 * waste. The check depends only on the (fixed) parameters, not on the SEAL instance, so a
 * cached result stays valid when the instance is rebuilt. Small and bounded.
 */
const checkedKeys = new Map<string, { layout: Layout; bytes: Bytes }>();
const CHECKED_KEYS_MAX = 8;

async function readPublicKey(s: State, input: unknown): Promise<{ layout: Layout; bytes: Bytes }> {
  if (typeof input === "string") {
    const hit = checkedKeys.get(input);
    if (hit) return hit;
  }
  const key = await readObject(s, input, "publicKey");
  if (checkedKeys.size >= CHECKED_KEYS_MAX) checkedKeys.delete(checkedKeys.keys().next().value!);
  checkedKeys.set(input as string, key);
  return key;
}

async function readObject(s: State, input: unknown, kind: Kind): Promise<{ layout: Layout; bytes: Bytes }> {
  const { code, name, max } = WHAT[kind];
  const bad = (why: string) => new HeError(code, `malformed ${name}: ${why}`);
  if (typeof input !== "string") throw bad("not a string");
  if (input.length > max) throw new HeError("OVERSIZED", `${name} is ${input.length} base64 characters; the limit is ${max}`);
  const raw = fromBase64(input);
  if (!raw) throw bad("not base64");
  if (raw.length < HEADER || raw[0] !== MAGIC[0] || raw[1] !== MAGIC[1] || raw[2] !== HEADER) throw bad("no SEAL header");
  if (raw[3] !== s.version[0] || raw[4] !== s.version[1]) throw bad(`SEAL serialisation version ${raw[3]}.${raw[4]}, expected ${s.version[0]}.${s.version[1]}`);
  if (raw[6] !== 0 || raw[7] !== 0 || readSize(raw) !== raw.length) throw bad("truncated, or its SEAL header does not match its length");
  let full: Bytes;
  let complete = true;
  if (raw[5] === COMPR_NONE) {
    full = raw;
  } else if (raw[5] === COMPR_ZLIB) {
    const inflated = await inflate(raw.subarray(HEADER), s.maxLength - HEADER);
    if (!inflated) throw bad("corrupt zlib data");
    complete = inflated.complete;
    full = new Uint8Array(HEADER + inflated.bytes.length);
    full.set(raw.subarray(0, HEADER));
    full.set(inflated.bytes, HEADER);
    full[5] = COMPR_NONE;
    writeSize(full, full.length);
  } else if (raw[5] === COMPR_ZSTD) {
    throw bad("zstd-compressed objects are refused (they cannot be checked before SEAL parses them); send zlib or uncompressed");
  } else {
    throw bad("unknown compression mode");
  }
  const layout = complete ? match(s, full) : null;
  if (!layout) {
    if (full.length >= HEADER + 32 && !s.parmsIds.has(hex(full.subarray(HEADER, HEADER + 32)))) {
      throw new HeError("PARAMETER_MISMATCH", `${name} was made with different encryption parameters (expected BFV, degree ${N}, ${HE_PARAMS.plainModulusBits}-bit plain modulus)`);
    }
    throw bad("its layout is not that of any object of this BFV context");
  }
  if (layout.kind !== kind) throw bad(`this is a ${layout.label}, not a ${name}`);
  if (!coefficientsValid(s, full, layout)) throw bad("a coefficient is not reduced modulo its prime");
  if (layout.c1 && allZero(full, layout.c1.offset, layout.c1.length)) throw bad("transparent ciphertext (not encrypted)");
  return { layout, bytes: full };
}

function match(s: State, bytes: Bytes): Layout | null {
  for (const l of s.layouts) {
    if (l.length !== bytes.length) continue;
    if (l.constant.every((c) => equalAt(bytes, c.offset, c.bytes))) return l;
  }
  return null;
}

function coefficientsValid(s: State, bytes: Bytes, layout: Layout): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { offset, polys, k } = layout.coeffs;
  let p = offset;
  for (let poly = 0; poly < polys; poly++) {
    for (let m = 0; m < k; m++) {
      const [qHi, qLo] = s.moduli[m]!;
      for (let j = 0; j < N; j++, p += 8) {
        const hi = view.getUint32(p + 4, true);
        if (hi > qHi || (hi === qHi && view.getUint32(p, true) >= qLo)) return false;
      }
    }
  }
  return true;
}

/**
 * The key generator's secret key. node-seal 6's kg.secretKey() copies the temporary SEAL returns
 * and never frees it (~350 KB of WASM heap lost per call); this frees it.
 */
function secretKeyOf(seal: SealLibrary, kg: KeyGenerator): SecretKey {
  const temporary = (kg.instance as { secretKey(): { delete(): void } }).secretKey();
  try {
    const sk = seal.SecretKey();
    sk.inject(temporary);
    return sk;
  } finally {
    temporary.delete();
  }
}

function loadCiphertext(s: State, bytes: Bytes): CipherText {
  const ct = s.seal.CipherText();
  try {
    ct.loadArray(s.context, bytes);
  } catch (e) {
    del(ct);
    throw e;
  }
  return ct;
}

function loadPublicKey(s: State, bytes: Bytes): PublicKey {
  const pk = s.seal.PublicKey();
  try {
    pk.loadArray(s.context, bytes);
  } catch (e) {
    del(pk);
    throw e;
  }
  return pk;
}

function loadSecretKey(s: State, bytes: Bytes): SecretKey {
  const sk = s.seal.SecretKey();
  try {
    sk.loadArray(s.context, bytes);
  } catch (e) {
    del(sk);
    throw e;
  }
  return sk;
}

// ---------------------------------------------------------------------------------------------
// Bytes

/** Uncompressed SEAL bytes → base64 of the same object in SEAL's zlib mode. */
async function pack(raw: Bytes): Promise<string> {
  const packed = await deflate(raw.subarray(HEADER));
  const out = new Uint8Array(HEADER + packed.length);
  out.set(raw.subarray(0, HEADER));
  out[5] = COMPR_ZLIB;
  writeSize(out, out.length);
  out.set(packed, HEADER);
  return toBase64(out);
}

async function deflate(data: Bytes): Promise<Bytes> {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** zlib-inflate at most `cap` bytes; null if the stream is corrupt; complete = false if it is longer. */
async function inflate(data: Bytes, cap: number): Promise<{ bytes: Bytes; complete: boolean } | null> {
  const ds = new DecompressionStream("deflate");
  const writer = ds.writable.getWriter();
  writer.write(data).catch(() => undefined);
  writer.close().catch(() => undefined);
  const reader = ds.readable.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  let complete = true;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      total += value.length;
      if (total > cap) {
        complete = false;
        reader.cancel().catch(() => undefined);
        break;
      }
    }
  } catch {
    return null;
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { bytes, complete };
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/** two base64 digits per 12 bits (btoa over String.fromCharCode is 5× slower on 0.5 MB) */
const B64_PAIRS = Array.from({ length: 4096 }, (_, i) => B64[i >> 6]! + B64[i & 63]!);
const B64_VALUES = (() => {
  const v = new Int8Array(256).fill(-1);
  for (let i = 0; i < 64; i++) v[B64.charCodeAt(i)] = i;
  return v;
})();

/** Node's native base64 where there is one (the node, the marketplace); the loops below in a browser. */
const NativeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;

function toBase64(b: Bytes): string {
  if (NativeBuffer) return NativeBuffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");
  const parts: string[] = [];
  let run: string[] = [];
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const v = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    run.push(B64_PAIRS[v >> 12]! + B64_PAIRS[v & 4095]!);
    if (run.length === 8192) {
      parts.push(run.join(""));
      run = [];
    }
  }
  parts.push(run.join(""));
  if (b.length - i === 1) parts.push(B64_PAIRS[b[i]! << 4]! + "==");
  if (b.length - i === 2) {
    const v = (b[i]! << 8) | b[i + 1]!;
    parts.push(B64_PAIRS[v >> 4]! + B64[(v & 15) << 2]! + "=");
  }
  return parts.join("");
}

/** Strict base64 (standard alphabet, padded, no whitespace) → bytes; null if it is not. */
function fromBase64(s: string): Bytes | null {
  if (s.length % 4 !== 0) return null;
  if (NativeBuffer) {
    // Buffer.from skips what is not base64: only text that encodes back to itself is canonical base64.
    const bytes = NativeBuffer.from(s, "base64");
    return bytes.toString("base64") === s ? new Uint8Array(bytes) : null;
  }
  const pad = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  const digit = (i: number) => {
    const c = s.charCodeAt(i);
    return c < 256 ? B64_VALUES[c]! : -1;
  };
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const last = i + 4 === s.length;
    const a = digit(i);
    const b = digit(i + 1);
    const c = last && pad === 2 ? 0 : digit(i + 2);
    const d = last && pad >= 1 ? 0 : digit(i + 3);
    if ((a | b | c | d) < 0) return null;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    if (o < out.length) out[o++] = (v >> 8) & 255;
    if (o < out.length) out[o++] = v & 255;
  }
  return out;
}

/** The SEAL header's total size (u64 little endian at offset 8); NaN when above 2^53. */
function readSize(b: Bytes): number {
  const view = new DataView(b.buffer, b.byteOffset, HEADER);
  const hi = view.getUint32(12, true);
  return hi >= 0x200000 ? NaN : hi * 2 ** 32 + view.getUint32(8, true);
}

function writeSize(b: Bytes, size: number): void {
  const view = new DataView(b.buffer, b.byteOffset, HEADER);
  view.setUint32(8, size % 2 ** 32, true);
  view.setUint32(12, Math.floor(size / 2 ** 32), true);
}

function equalAt(b: Bytes, offset: number, expected: Bytes): boolean {
  if (offset + expected.length > b.length) return false;
  for (let i = 0; i < expected.length; i++) if (b[offset + i] !== expected[i]) return false;
  return true;
}

function allZero(b: Bytes, offset: number, length: number): boolean {
  for (let i = offset; i < offset + length; i++) if (b[i] !== 0) return false;
  return true;
}

function hex(b: Uint8Array): string {
  let out = "";
  for (const x of b) out += x.toString(16).padStart(2, "0");
  return out;
}

/** node-seal's saveArray returns a fresh copy (Uint8Array.from) backed by a plain ArrayBuffer. */
function own(a: Uint8Array): Bytes {
  return a as Bytes;
}

function must<T>(x: T | void): T {
  if (x === undefined) throw new Error("SEAL returned nothing");
  return x as T;
}

function del(...objs: { delete(): void }[]): void {
  for (const o of objs) o.delete();
}
