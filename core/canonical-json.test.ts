/**
 * Our canonical JSON against `canonicalize` (an independent RFC 8785 implementation) on random
 * JSON values, and the values it must refuse rather than encode ambiguously.
 */
import canonicalize from "canonicalize";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json";

describe("canonical JSON (RFC 8785)", () => {
  it("matches an independent RFC 8785 implementation on random JSON values", () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => { expect(canonicalJson(v)).toBe(canonicalize(v)); }), { numRuns: 500 });
  });

  it("sorts members by UTF-16 code units and writes numbers as ECMAScript does (RFC 8785 §3.2)", () => {
    expect(canonicalJson({ "\u20ac": 1, "\r": 2, "\ud83d\ude00": 3, "1": 4, a: [1e21, 1e-7, -0, 0.1 + 0.2] }))
      .toBe('{"\\r":2,"1":4,"a":[1e+21,1e-7,0,0.30000000000000004],"\u20ac":1,"\ud83d\ude00":3}');
  });

  it("drops undefined members, and refuses what JSON cannot state exactly", () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [NaN, Infinity, 1n, new Date(0), new Map(), [undefined], () => 1, Symbol("s"), cyclic, undefined]) {
      expect(() => canonicalJson(bad), String(typeof bad)).toThrow(TypeError);
    }
  });
});
