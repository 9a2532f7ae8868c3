/**
 * The one node-seal instance of the process and its BFV context (node-seal 6.0.3 = Microsoft SEAL
 * 4.1 in WASM), and the one way checked bytes become SEAL objects.
 *
 * Fixed parameters: BFV, degree 8192 (= SLOTS slots per ciphertext), CoeffModulus.BFVDefault(8192)
 * (43+43+44+44+44 bits), a 60-bit batching plain modulus t. When the context is built, reference
 * objects of every kind and level give the exact byte layouts wire.ts accepts on input.
 *
 * SEAL only ever loads bytes that wire.ts checked (load takes a Checked object), so it should never
 * throw on input. Should SEAL still throw (a bug), the instance is discarded and the next call
 * builds a fresh one; the caller gets HeError("INTERNAL").
 *
 * WASM memory: every object created here is deleted in `finally`, and node-seal 6's one leaking
 * call on these paths (KeyGenerator.secretKey, ~350 KB per call) is worked around (secretKeyOf).
 * Measured: 240 rounds of keygen + encrypt + add + mask + decrypt leave the heap flat.
 */
import SEAL from "node-seal";
import { SLOTS } from "../protocol";
import { HE_PARAMS, HeError, PLAIN_MODULUS } from "./params";
import { allZero, coefficientsValid, HEADER, hex, match, N, SEED_BYTES, type Bytes, type Checked, type Kind, type Layout, type Shape } from "./wire";

export type SealLibrary = Awaited<ReturnType<typeof SEAL>>;
type Context = ReturnType<SealLibrary["Context"]>;
type BatchEncoder = ReturnType<SealLibrary["BatchEncoder"]>;
type Evaluator = ReturnType<SealLibrary["Evaluator"]>;
export type CipherText = ReturnType<SealLibrary["CipherText"]>;
type PublicKey = ReturnType<SealLibrary["PublicKey"]>;
type SecretKey = ReturnType<SealLibrary["SecretKey"]>;
type KeyGenerator = ReturnType<SealLibrary["KeyGenerator"]>;
type ParmsIdType = ReturnType<SealLibrary["ParmsIdType"]>;

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

export interface State extends He, Shape {
  readonly lastParmsId: ParmsIdType;
}

// ---------------------------------------------------------------------------------------------
// The singleton

let statePromise: Promise<State> | null = null;
let live: State | null = null;

export function state(): Promise<State> {
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

/**
 * Run one operation on the shared instance. HeErrors (refused input) pass through; anything else
 * came from SEAL, whose heap may now be damaged, so the instance is discarded.
 */
export async function run<T>(op: string, body: (s: State) => Promise<T>): Promise<T> {
  const s = await state();
  try {
    return await body(s);
  } catch (e) {
    if (e instanceof HeError) throw e;
    discard(s);
    throw new HeError("INTERNAL", `${op}: SEAL failed unexpectedly (${e instanceof Error ? e.message : String(e)}); the SEAL instance was discarded`, { cause: e });
  }
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
// Loading checked bytes

interface Loaded {
  ciphertext: CipherText;
  publicKey: PublicKey;
  secretKey: SecretKey;
}

const EMPTY: { readonly [K in Kind]: (seal: SealLibrary) => Loaded[K] } = {
  ciphertext: (seal) => seal.CipherText(),
  publicKey: (seal) => seal.PublicKey(),
  secretKey: (seal) => seal.SecretKey(),
};

/** A SEAL object from bytes wire.ts checked (so loadArray does not throw); freed if it does anyway. */
export function load<K extends Kind>(s: State, obj: Checked<K>): Loaded[K] {
  const o: Loaded[Kind] = EMPTY[obj.layout.kind](s.seal);
  try {
    o.loadArray(s.context, obj.bytes);
  } catch (e) {
    del(o);
    throw e;
  }
  return o as Loaded[K];
}

/**
 * The key generator's secret key. node-seal 6's kg.secretKey() copies the temporary SEAL returns
 * and never frees it (~350 KB of WASM heap lost per call); this frees it.
 */
export function secretKeyOf(seal: SealLibrary, kg: KeyGenerator): SecretKey {
  const temporary = (kg.instance as { secretKey(): { delete(): void } }).secretKey();
  try {
    const sk = seal.SecretKey();
    sk.inject(temporary);
    return sk;
  } finally {
    temporary.delete();
  }
}

/** node-seal's saveArray returns a fresh copy (Uint8Array.from) backed by a plain ArrayBuffer. */
export function own(a: Uint8Array): Bytes {
  return a as Bytes;
}

export function must<T>(x: T | void): T {
  if (x === undefined) throw new Error("SEAL returned nothing");
  return x as T;
}

export function del(...objs: { delete(): void }[]): void {
  for (const o of objs) o.delete();
}
