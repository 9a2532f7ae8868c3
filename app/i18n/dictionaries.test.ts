import { describe, expect, it } from "vitest";
import { en, fill, zh } from "./dictionaries";

const leaves = (o: object, prefix = ""): [string, string][] =>
  Object.entries(o).flatMap(([k, v]) => (typeof v === "string" ? [[prefix + k, v]] : leaves(v as object, `${prefix}${k}.`)));

describe("dictionaries", () => {
  it("Chinese and English have the same keys, none empty, the same placeholders", () => {
    const e = new Map(leaves(en));
    const z = new Map(leaves(zh));
    expect([...z.keys()].sort()).toEqual([...e.keys()].sort());
    for (const [k, v] of e) {
      expect(v.trim(), k).not.toBe("");
      expect(z.get(k)!.trim(), k).not.toBe("");
      const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
      expect(ph(z.get(k)!), k).toEqual(ph(v));
    }
  });

  it("fills placeholders", () => {
    expect(fill("{a} and {b}", { a: 1, b: "x" })).toBe("1 and x");
  });
});
