import { describe, expect, it } from "vitest";
import { contentSecurityPolicy } from "./security-headers";

const directives = (csp: string) => new Map(csp.split("; ").map((d) => { const [k, ...v] = d.split(" "); return [k!, v] as const; }));

describe("Content-Security-Policy", () => {
  it("admits only this response's nonce and what it loads; no inline script, no framing, no plugins", () => {
    const d = directives(contentSecurityPolicy({ nonce: "abc123", path: "/catalog", https: false }));
    expect(d.get("script-src")).toEqual(["'self'", "'nonce-abc123'", "'strict-dynamic'", "'wasm-unsafe-eval'"]);
    expect(d.get("script-src")).not.toContain("'unsafe-inline'");
    expect(d.get("frame-ancestors")).toEqual(["'none'"]);
    expect(d.get("object-src")).toEqual(["'none'"]);
    expect(d.get("base-uri")).toEqual(["'none'"]);
    expect(d.get("connect-src")).toEqual(["'self'"]);
    expect(d.has("upgrade-insecure-requests")).toBe(false);
  });

  it("allows eval only on the page that runs node-seal, and not on look-alike paths", () => {
    expect(contentSecurityPolicy({ nonce: "n", path: "/buyer/query", https: false })).toContain("'unsafe-eval'");
    expect(contentSecurityPolicy({ nonce: "n", path: "/buyer/query/x", https: false })).toContain("'unsafe-eval'");
    expect(contentSecurityPolicy({ nonce: "n", path: "/buyer/queryx", https: false })).not.toContain("'unsafe-eval'");
    expect(contentSecurityPolicy({ nonce: "n", path: "/buyer/orders", https: false })).not.toContain("'unsafe-eval'");
  });

  it("upgrades insecure requests over https", () => {
    expect(directives(contentSecurityPolicy({ nonce: "n", path: "/", https: true })).has("upgrade-insecure-requests")).toBe(true);
  });
});
