import { describe, expect, it } from "vitest";
import { z } from "zod";
import { zodText } from "./zod-text";

describe("zodText", () => {
  const schema = z.object({ a: z.object({ b: z.string() }), c: z.number().int() });
  it("names each problem and its path on one line", () => {
    const text = zodText(schema.safeParse({ a: { b: 1 }, c: 1.5 }).error!);
    expect(text).not.toContain("\n");
    expect(text).toMatch(/expected int.*→ at c/);
    expect(text).toMatch(/expected string.*→ at a\.b/);
  });
  it("shows at most `limit` issues and counts the rest", () => {
    const text = zodText(z.array(z.string()).safeParse([1, 2, 3, 4]).error!, 2);
    expect(text.match(/✖/g)).toHaveLength(2);
    expect(text).toMatch(/and 2 more/);
  });
});
