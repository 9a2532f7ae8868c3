import { describe, expect, it } from "vitest";
import { safeNext } from "./next-path";

describe("safeNext", () => {
  it("keeps a path on this site", () => {
    expect(safeNext("/consent/0b6f2f8e-3c1e-4f7a-9d2b-6a1c2e3f4a5b")).toBe("/consent/0b6f2f8e-3c1e-4f7a-9d2b-6a1c2e3f4a5b");
    expect(safeNext("/buyer/orders?product=abc&x=1")).toBe("/buyer/orders?product=abc&x=1");
  });
  it("refuses other origins and odd text", () => {
    for (const bad of [undefined, "", "https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "/a b", "/<script>"]) {
      expect(safeNext(bad)).toBe("/");
    }
  });
});
