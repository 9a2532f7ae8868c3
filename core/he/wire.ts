/**
 * The byte format on the wire: base64 keys and ciphertexts in, base64 out. Nothing here touches
 * SEAL. The checks get only a Shape (plain data taken from this context's reference objects once,
 * in seal.ts), so whatever arrives from the network is refused here or leaves as bytes SEAL loads
 * without throwing.
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
 * without throwing.
 */
import { HE_PARAMS, HeError, MAX_CIPHERTEXT_CHARS, MAX_PUBLIC_KEY_CHARS, MAX_SECRET_KEY_CHARS, type HeErrorCode } from "./params";

export type Bytes = Uint8Array<ArrayBuffer>;

export type Kind = "ciphertext" | "publicKey" | "secretKey";

/** The exact byte layout of one kind of object of this context, serialised uncompressed. */
export interface Layout {
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

/** What the checks know of this context: data only, no SEAL object. */
export interface Shape {
  readonly layouts: readonly Layout[];
  readonly maxLength: number;
  /** hex parms_ids of every level of this context (key level included) */
  readonly parmsIds: ReadonlySet<string>;
  /** coefficient moduli, key level order, as [high 32 bits, low 32 bits] */
  readonly moduli: readonly (readonly [number, number])[];
  readonly version: readonly [number, number];
}

/** An object that passed the checks: uncompressed SEAL bytes of its layout. Only these reach SEAL. */
export interface Checked<K extends Kind = Kind> {
  readonly layout: Layout & { readonly kind: K };
  readonly bytes: Bytes;
}

export const N = HE_PARAMS.polyModulusDegree;
export const HEADER = 16;
const MAGIC = [0x5e, 0xa1] as const;
const COMPR_NONE = 0;
const COMPR_ZLIB = 1;
const COMPR_ZSTD = 2;
export const SEED_BYTES = 64;

// ---------------------------------------------------------------------------------------------
// Checking what arrives

const WHAT: Record<Kind, { code: HeErrorCode; name: string; max: number }> = {
  ciphertext: { code: "MALFORMED_CIPHERTEXT", name: "ciphertext", max: MAX_CIPHERTEXT_CHARS },
  publicKey: { code: "MALFORMED_KEY", name: "public key", max: MAX_PUBLIC_KEY_CHARS },
  secretKey: { code: "MALFORMED_KEY", name: "secret key", max: MAX_SECRET_KEY_CHARS },
};

/**
 * Checked public keys, by their base64 text: a node encrypts every query under the same
 * buyer key and the marketplace masks with it, so decoding and checking 350 KB each time is
 * waste. The check depends only on the (fixed) parameters, not on the SEAL instance, so a
 * cached result stays valid when the instance is rebuilt. Small and bounded.
 */
const checkedKeys = new Map<string, Checked<"publicKey">>();
const CHECKED_KEYS_MAX = 8;

export async function readPublicKey(shape: Shape, input: unknown): Promise<Checked<"publicKey">> {
  if (typeof input === "string") {
    const hit = checkedKeys.get(input);
    if (hit) return hit;
  }
  const key = await readObject(shape, input, "publicKey");
  if (checkedKeys.size >= CHECKED_KEYS_MAX) checkedKeys.delete(checkedKeys.keys().next().value!);
  checkedKeys.set(input as string, key);
  return key;
}

/**
 * Decode and check a base64 SEAL serialisation of the given kind. Returns the object as
 * uncompressed SEAL bytes that SEAL loads without throwing.
 */
export async function readObject<K extends Kind>(shape: Shape, input: unknown, kind: K): Promise<Checked<K>> {
  const { code, name, max } = WHAT[kind];
  const bad = (why: string) => new HeError(code, `malformed ${name}: ${why}`);
  if (typeof input !== "string") throw bad("not a string");
  if (input.length > max) throw new HeError("OVERSIZED", `${name} is ${input.length} base64 characters; the limit is ${max}`);
  const raw = fromBase64(input);
  if (!raw) throw bad("not base64");
  if (raw.length < HEADER || raw[0] !== MAGIC[0] || raw[1] !== MAGIC[1] || raw[2] !== HEADER) throw bad("no SEAL header");
  if (raw[3] !== shape.version[0] || raw[4] !== shape.version[1]) throw bad(`SEAL serialisation version ${raw[3]}.${raw[4]}, expected ${shape.version[0]}.${shape.version[1]}`);
  if (raw[6] !== 0 || raw[7] !== 0 || readSize(raw) !== raw.length) throw bad("truncated, or its SEAL header does not match its length");
  let full: Bytes;
  let complete = true;
  if (raw[5] === COMPR_NONE) {
    full = raw;
  } else if (raw[5] === COMPR_ZLIB) {
    const inflated = await inflate(raw.subarray(HEADER), shape.maxLength - HEADER);
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
  const layout = complete ? match(shape, full) : null;
  if (!layout) {
    if (full.length >= HEADER + 32 && !shape.parmsIds.has(hex(full.subarray(HEADER, HEADER + 32)))) {
      throw new HeError("PARAMETER_MISMATCH", `${name} was made with different encryption parameters (expected BFV, degree ${N}, ${HE_PARAMS.plainModulusBits}-bit plain modulus)`);
    }
    throw bad("its layout is not that of any object of this BFV context");
  }
  if (layout.kind !== kind) throw bad(`this is a ${layout.label}, not a ${name}`);
  if (!coefficientsValid(shape, full, layout)) throw bad("a coefficient is not reduced modulo its prime");
  if (layout.c1 && allZero(full, layout.c1.offset, layout.c1.length)) throw bad("transparent ciphertext (not encrypted)");
  return { layout: layout as Layout & { readonly kind: K }, bytes: full };
}

export function match(shape: Shape, bytes: Bytes): Layout | null {
  for (const l of shape.layouts) {
    if (l.length !== bytes.length) continue;
    if (l.constant.every((c) => equalAt(bytes, c.offset, c.bytes))) return l;
  }
  return null;
}

export function coefficientsValid(shape: Shape, bytes: Bytes, layout: Layout): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { offset, polys, k } = layout.coeffs;
  let p = offset;
  for (let poly = 0; poly < polys; poly++) {
    for (let m = 0; m < k; m++) {
      const [qHi, qLo] = shape.moduli[m]!;
      for (let j = 0; j < N; j++, p += 8) {
        const hi = view.getUint32(p + 4, true);
        if (hi > qHi || (hi === qHi && view.getUint32(p, true) >= qLo)) return false;
      }
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Bytes

/** Uncompressed SEAL bytes → base64 of the same object in SEAL's zlib mode. */
export async function pack(raw: Bytes): Promise<string> {
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

export function allZero(b: Bytes, offset: number, length: number): boolean {
  for (let i = offset; i < offset + length; i++) if (b[i] !== 0) return false;
  return true;
}

export function hex(b: Uint8Array): string {
  let out = "";
  for (const x of b) out += x.toString(16).padStart(2, "0");
  return out;
}
