/**
 * Shared pieces of the fuzz suites (tests/fuzz/*.test.ts): the run options (seed and run count
 * from the environment, for reproducing a failure), hostile values, and an arbitrary that follows
 * a zod schema closely enough to get past the schema most of the time, with a mutated field
 * (wrong type, huge string, deep nesting, unicode, NaN, prototype keys) some of the time.
 *
 * Reproduce a failure: fast-check prints `{ seed: S, path: "P" }`; run the same file with
 * FUZZ_SEED=S FUZZ_PATH=P (and the same FUZZ_RUNS if you changed it).
 */
import fc from "fast-check";
import type { z } from "zod";

/** fc.assert options: modest runs, the seed and path of a printed failure when given. */
export function fuzzOptions(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
  const runs = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : numRuns;
  return { numRuns: runs, ...(seed !== undefined ? { seed } : {}), ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}), endOnFailure: true };
}

/** A value nested `depth` levels deep (arrays and objects alternating). */
export function deep(depth: number): unknown {
  let v: unknown = "bottom";
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

export const HUGE = "x".repeat(300_000);
export const PROTO_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty"];

/** An object with own enumerable keys that would pollute a prototype if merged carelessly. */
export function withOwnKeys(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(extra)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

const strangeStrings = fc.constantFrom(
  "", " ", "\u0000", "\uFFFF", "\uD800", "😀".repeat(50), "名字", "‮RTL", "../../etc/passwd", "'; DROP TABLE \"User\"; --",
  "%00", "%ZZ", "null", "undefined", "NaN", "-1", "1e999", "0x10", "2024-13-45", "9999-99", "a@b", "<script>alert(1)</script>",
  ...PROTO_KEYS,
);
const strangeNumbers = fc.constantFrom(0, -0, -1, 1, 2 ** 31, 2 ** 53 + 1, -(2 ** 53 + 1), 1e308, -1e308, 5e-324, NaN, Infinity, -Infinity, 0.5, -0.5);

/** Anything of the wrong type, or hostile in shape. */
export const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  strangeStrings,
  strangeNumbers,
  fc.constantFrom(null, undefined, true, false, [], {}, new Date(NaN), new Date(8.64e15), -1n, 2n ** 70n, new Map([["a", 1]]), new Set([1])),
  fc.constant(HUGE),
  fc.constantFrom(deep(60), deep(400)),
  fc.constant(Array.from({ length: 5000 }, (_, i) => i)),
  fc.constant(withOwnKeys({}, { __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } })),
);

type Def = { type: string; [k: string]: unknown };
const defOf = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;

/**
 * Values for `schema`: mostly shaped like it (strings drawn from `pool` — real ids of the world
 * — or random), sometimes hostile at any level.
 */
export function fromSchema(schema: unknown, pool: readonly string[], depth = 0): fc.Arbitrary<unknown> {
  const shaped = shapedBy(schema, pool, depth);
  return fc.oneof({ weight: 9, arbitrary: shaped }, { weight: 1, arbitrary: hostile });
}

function shapedBy(schema: unknown, pool: readonly string[], depth: number): fc.Arbitrary<unknown> {
  if (depth > 6) return fc.jsonValue({ maxDepth: 1 });
  const def = defOf(schema);
  const next = (s: unknown) => fromSchema(s, pool, depth + 1);
  switch (def.type) {
    case "string":
      return fc.oneof(
        { weight: 4, arbitrary: pool.length ? fc.constantFrom(...pool) : fc.string() },
        { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
        { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
        { weight: 1, arbitrary: strangeStrings },
        { weight: 1, arbitrary: fc.emailAddress() },
      );
    case "number": case "int":
      return fc.oneof({ weight: 4, arbitrary: fc.integer({ min: -3, max: 2000 }) }, { weight: 1, arbitrary: fc.double() }, { weight: 2, arbitrary: strangeNumbers });
    case "bigint": return fc.bigInt();
    case "boolean": return fc.boolean();
    case "date": return fc.oneof(fc.date({ noInvalidDate: false }), fc.constant(new Date(Date.now() + 30 * 86_400_000)));
    case "enum": return fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...Object.values(def.entries as Record<string, string>)) }, { weight: 1, arbitrary: strangeStrings });
    case "literal": return fc.constantFrom(...(def.values as unknown[]));
    case "null": return fc.constant(null);
    case "undefined": case "void": return fc.constant(undefined);
    case "optional": case "nullable": case "default": case "prefault": case "catch": case "readonly": case "nonoptional":
      return fc.oneof({ weight: 4, arbitrary: next(def.innerType) }, { weight: 1, arbitrary: fc.constantFrom(undefined, null) });
    case "pipe": return shapedBy(def.in, pool, depth);
    case "lazy": return shapedBy((def.getter as () => unknown)(), pool, depth + 1);
    case "array":
      return fc.oneof({ weight: 5, arbitrary: fc.array(next(def.element), { maxLength: 4 }) }, { weight: 1, arbitrary: fc.array(next(def.element), { minLength: 200, maxLength: 300 }) });
    case "tuple": return fc.tuple(...(def.items as unknown[]).map(next));
    case "union": return fc.oneof(...(def.options as unknown[]).map(next));
    case "intersection": return fc.tuple(shapedBy(def.left, pool, depth), shapedBy(def.right, pool, depth)).map(([a, b]) =>
      (a && b && typeof a === "object" && typeof b === "object" ? { ...a, ...b } : a));
    case "record": return fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...PROTO_KEYS)), next(def.valueType), { maxKeys: 4 });
    case "object": {
      const shape = def.shape as Record<string, unknown>;
      const keys = Object.keys(shape);
      const required = keys.filter((k) => !["optional", "default", "prefault"].includes(defOf(shape[k]).type));
      const record = fc.record(Object.fromEntries(keys.map((k) => [k, next(shape[k])])), { requiredKeys: required });
      const extra = fc.option(fc.dictionary(fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.string({ maxLength: 6 })), hostile, { maxKeys: 2 }), { freq: 4 });
      return fc.tuple(record, extra).map(([r, x]) => (x ? withOwnKeys(r as Record<string, unknown>, x) : r));
    }
    default: return fc.jsonValue({ maxDepth: 2 });
  }
}

export type AnySchema = z.ZodType | undefined;
