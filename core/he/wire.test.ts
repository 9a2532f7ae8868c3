/**
 * The wire checks under random input (fast-check). Whatever arrives must either be refused with an
 * HeError of the expected codes, or come out as bytes SEAL loads without throwing; nothing may
 * throw anything else. The checks run on a Shape copied into a plain object, with no SEAL handle in
 * reach, so a refused input cannot have touched SEAL.
 */
import fc from "fast-check";
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { encryptVector, generateKeys } from "./ops";
import { HeError, MAX_CIPHERTEXT_CHARS, MAX_PUBLIC_KEY_CHARS, MAX_SECRET_KEY_CHARS, type HeErrorCode } from "./params";
import { del, load, state, type State } from "./seal";
import { HEADER, N, pack, readObject, readPublicKey, type Bytes, type Checked, type Kind, type Layout, type Shape } from "./wire";

const KINDS: readonly Kind[] = ["ciphertext", "publicKey", "secretKey"];
const MAX: Record<Kind, number> = { ciphertext: MAX_CIPHERTEXT_CHARS, publicKey: MAX_PUBLIC_KEY_CHARS, secretKey: MAX_SECRET_KEY_CHARS };
const REFUSALS: Record<Kind, readonly HeErrorCode[]> = {
  ciphertext: ["MALFORMED_CIPHERTEXT", "OVERSIZED", "PARAMETER_MISMATCH"],
  publicKey: ["MALFORMED_KEY", "OVERSIZED", "PARAMETER_MISMATCH"],
  secretKey: ["MALFORMED_KEY", "OVERSIZED", "PARAMETER_MISMATCH"],
};

let s: State;
let shape: Shape;

/** Accepted object or HeError; anything else thrown fails the test. */
async function outcome(input: unknown, kind: Kind): Promise<Checked | HeError> {
  try {
    return await readObject(shape, input, kind);
  } catch (e) {
    if (e instanceof HeError) return e;
    throw e;
  }
}

async function refused(input: unknown, kind: Kind, codes: readonly HeErrorCode[] = REFUSALS[kind]): Promise<HeError> {
  const r = await outcome(input, kind);
  expect(r).toBeInstanceOf(HeError);
  expect(codes).toContain((r as HeError).code);
  return r as HeError;
}

/** What the checks accept, SEAL must load without throwing. */
function loads(obj: Checked): void {
  del(load(s, obj));
}

/** Refused, or accepted and loadable: the one outcome allowed for arbitrary damage. */
async function refusedOrLoads(input: unknown, kind: Kind): Promise<void> {
  const r = await outcome(input, kind);
  if (r instanceof HeError) expect(REFUSALS[kind]).toContain(r.code);
  else loads(r);
}

/** xorshift32: fills half a megabyte of coefficients far faster than fast-check arrays would. */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/**
 * A well-formed object of the given layout: its constant bytes, random coefficients below their
 * moduli (with `edge`, the first and last of each component are q − 1 and 0), random seed bytes.
 */
function forge(layout: Layout, seed: number, edge: boolean): Bytes {
  const next = rng(seed);
  const b = new Uint8Array(layout.length);
  const view = new DataView(b.buffer);
  for (let i = 0; i < b.length; i++) b[i] = next() & 255;
  for (const c of layout.constant) b.set(c.bytes, c.offset);
  const { offset, polys, k } = layout.coeffs;
  let p = offset;
  for (let poly = 0; poly < polys; poly++) {
    for (let m = 0; m < k; m++) {
      const [qHi, qLo] = shape.moduli[m]!;
      for (let j = 0; j < N; j++, p += 8) {
        let hi = next() % (qHi + 1);
        let lo = next();
        if (hi === qHi && lo >= qLo) lo %= qLo;
        if (edge && j === 0) [hi, lo] = [qHi, qLo - 1];
        if (edge && j === N - 1) [hi, lo] = [0, 0];
        view.setUint32(p, lo, true);
        view.setUint32(p + 4, hi, true);
      }
    }
  }
  return b;
}

const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");

function withSize(b: Uint8Array, size: number): Bytes {
  const out = new Uint8Array(b);
  const view = new DataView(out.buffer);
  view.setUint32(8, size % 2 ** 32, true);
  view.setUint32(12, Math.floor(size / 2 ** 32), true);
  return out;
}

describe("HE wire checks (core/he/wire.ts)", () => {
  let layouts: readonly Layout[];
  let real: { publicKey: string; secretKey: string; ciphertext: string };

  beforeAll(async () => {
    s = await state();
    // Data only: the checks below get no SEAL object at all.
    shape = Object.freeze({ layouts: s.layouts, maxLength: s.maxLength, parmsIds: s.parmsIds, moduli: s.moduli, version: s.version });
    layouts = s.layouts;
    const keys = await generateKeys();
    const [ciphertext] = await encryptVector(keys.publicKey, [1n, -2n, 3n]);
    real = { ...keys, ciphertext: ciphertext! };
  });

  it("has nothing of SEAL in reach", () => {
    for (const file of ["wire.ts", "params.ts"]) {
      const text = readFileSync(path.join(__dirname, file), "utf8");
      const imports = [...text.matchAll(/^import\s[^;]*?from\s+"([^"]+)"/gm)].map((m) => m[1]);
      expect(imports.filter((i) => i !== "./params")).toEqual([]);
    }
  });

  describe("well-formed input round-trips", () => {
    it("real keys and ciphertexts: checked, loaded, and packed back to the same text", async () => {
      for (const kind of KINDS) {
        const obj = await readObject(shape, real[kind], kind);
        expect(obj.layout.kind).toBe(kind);
        loads(obj);
        expect(await pack(obj.bytes)).toBe(real[kind]);
      }
      const pk = await readPublicKey(shape, real.publicKey);
      expect(await readPublicKey(shape, real.publicKey)).toBe(pk); // cached
    });

    it("any object of any layout, zlib or uncompressed, comes back byte for byte and loads", async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: 1_000 }), fc.integer(), fc.boolean(), fc.boolean(), async (which, seed, edge, zlib) => {
          const layout = layouts[which % layouts.length]!;
          const bytes = forge(layout, seed, edge);
          const text = zlib ? await pack(bytes) : b64(bytes);
          const obj = await readObject(shape, text, layout.kind);
          expect(obj.layout).toBe(layout);
          expect(Buffer.from(obj.bytes).equals(Buffer.from(bytes))).toBe(true);
          loads(obj);
        }),
        { numRuns: 40 },
      );
    });
  });

  describe("malformed input ends in the typed error", () => {
    it("anything at all", async () => {
      await fc.assert(
        fc.asyncProperty(fc.anything(), fc.constantFrom(...KINDS), async (input, kind) => {
          await refused(input, kind);
        }),
        { numRuns: 300 },
      );
    });

    it("random text and random base64", async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: "binary", maxLength: 400 }), fc.base64String({ maxLength: 1_000 })), fc.constantFrom(...KINDS), async (input, kind) => {
          await refused(input, kind);
        }),
        { numRuns: 300 },
      );
    });

    it("random bytes behind a SEAL header, any compression mode, size right or wrong, or cut short", async () => {
      const deflate = async (b: Uint8Array) => new Uint8Array(await new Response(new Blob([new Uint8Array(b)]).stream().pipeThrough(new CompressionStream("deflate"))).arrayBuffer());
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ maxLength: 3_000 }),
          fc.constantFrom(0, 1, 2, 3, 255),
          fc.boolean(),
          fc.boolean(),
          fc.option(fc.nat({ max: HEADER + 8 })),
          fc.constantFrom(...KINDS),
          async (body, mode, zlibBody, rightSize, cut, kind) => {
            const payload = mode === 1 && zlibBody ? await deflate(body) : body;
            const raw = new Uint8Array(HEADER + payload.length);
            raw.set([0x5e, 0xa1, HEADER, shape.version[0], shape.version[1], mode]);
            raw.set(payload, HEADER);
            const sized = withSize(raw, rightSize ? raw.length : raw.length ^ 1);
            await refused(b64(cut === null ? sized : sized.subarray(0, cut)), kind);
          },
        ),
        { numRuns: 200 },
      );
    });

    it("truncated objects, as base64 text or as bytes with a header that agrees", async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: 1_000 }), fc.integer(), fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), async (which, seed, at, zlib) => {
          const layout = layouts[which % layouts.length]!;
          const bytes = forge(layout, seed, false);
          const cut = Math.min(layout.length - 1, Math.floor(at * layout.length));
          const text = zlib ? await pack(bytes) : b64(bytes);
          await refused(text.slice(0, Math.min(text.length - 1, Math.floor(at * text.length))), layout.kind);
          const short = withSize(bytes.subarray(0, Math.max(cut, HEADER)), Math.max(cut, HEADER));
          await refused(zlib ? await pack(short) : b64(short), layout.kind);
        }),
        { numRuns: 40 },
      );
    });

    it("objects with bytes appended", async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: 1_000 }), fc.integer(), fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.boolean(), async (which, seed, extra, zlib) => {
          const layout = layouts[which % layouts.length]!;
          const bytes = forge(layout, seed, false);
          const long = new Uint8Array(bytes.length + extra.length);
          long.set(bytes);
          long.set(extra, bytes.length);
          const sized = withSize(long, long.length);
          await refused(zlib ? await pack(sized) : b64(sized), layout.kind);
        }),
        { numRuns: 30 },
      );
    });

    it("a damaged byte outside the coefficients, or a coefficient not below its modulus", async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: 1_000 }), fc.integer(), fc.nat(), fc.integer({ min: 1, max: 255 }), async (which, seed, pick, flip) => {
          const layout = layouts[which % layouts.length]!;
          const bytes = forge(layout, seed, false);
          const constant = layout.constant.flatMap((c) => (c.bytes.length ? [c] : []));
          const c = constant[pick % constant.length]!;
          const damaged = new Uint8Array(bytes);
          damaged[c.offset + (pick % c.bytes.length)]! ^= flip;
          await refused(b64(damaged), layout.kind);

          const { offset, polys, k } = layout.coeffs;
          const index = pick % (polys * k * N);
          const [qHi, qLo] = shape.moduli[Math.floor(index / N) % k]!;
          const unreduced = new Uint8Array(bytes);
          const view = new DataView(unreduced.buffer);
          const over = (seed >>> 0) % 3; // q, q + 1, or 2^64 − 1
          view.setUint32(offset + index * 8, over === 2 ? 0xffffffff : qLo + over, true);
          view.setUint32(offset + index * 8 + 4, over === 2 ? 0xffffffff : qHi, true);
          const e = await refused(b64(unreduced), layout.kind);
          expect(e.message).toMatch(/coefficient/);
        }),
        { numRuns: 60 },
      );
    });

    it("transparent ciphertexts (c1 all zero)", async () => {
      for (const layout of layouts.filter((l) => l.c1)) {
        const bytes = forge(layout, 7, false);
        bytes.fill(0, layout.c1!.offset, layout.c1!.offset + layout.c1!.length);
        const e = await refused(await pack(bytes), "ciphertext");
        expect(e.message).toMatch(/transparent/);
      }
    });

    it("an object of one kind offered as another", async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: 1_000 }), fc.integer(), fc.constantFrom(...KINDS), async (which, seed, kind) => {
          const layout = layouts[which % layouts.length]!;
          fc.pre(layout.kind !== kind);
          const e = await refused(b64(forge(layout, seed, false)), kind);
          expect(e.message).toMatch(/not a /);
        }),
        { numRuns: 30 },
      );
    });

    it("oversized text, before it is decoded", async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...KINDS), fc.integer({ min: 1, max: 4_096 }), async (kind, extra) => {
          await refused("A".repeat(MAX[kind] + extra), kind, ["OVERSIZED"]);
        }),
        { numRuns: 12 },
      );
    });

    it("a zlib stream that inflates past the largest object", async () => {
      const bomb = withSize(new Uint8Array(shape.maxLength + 1), shape.maxLength + 1);
      bomb.set([0x5e, 0xa1, HEADER, shape.version[0], shape.version[1], 0]);
      for (const kind of KINDS) await refused(await pack(bomb), kind);
    });
  });

  describe("arbitrary damage: refused, or loadable", () => {
    it("random bytes overwritten anywhere in an object", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: 1_000 }),
          fc.integer(),
          fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
          async (which, seed, writes) => {
            const layout = layouts[which % layouts.length]!;
            const bytes = forge(layout, seed, false);
            for (const [at, value] of writes) bytes[Math.floor(at * bytes.length)] = value;
            await refusedOrLoads(b64(bytes), layout.kind);
          },
        ),
        { numRuns: 60 },
      );
    });

    it("random characters replaced in real zlib-packed objects", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...KINDS),
          fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
          fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=!"),
          async (kind, at, ch) => {
            const text = real[kind];
            const i = Math.floor(at * text.length);
            await refusedOrLoads(text.slice(0, i) + ch + text.slice(i + 1), kind);
          },
        ),
        { numRuns: 60 },
      );
    });
  });

  it("leaves the SEAL instance in place and working", async () => {
    expect(await state()).toBe(s);
    for (const kind of KINDS) loads(await readObject(shape, real[kind], kind));
  });
});
