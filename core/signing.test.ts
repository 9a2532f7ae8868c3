import { createPublicKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json";
import { ed25519PublicFromBase64, generateEd25519, privateKeyFromPem, signPayload, verifyPayload } from "./signing";

describe("signed messages", () => {
  const a = generateEd25519();
  const b = generateEd25519();
  const key = privateKeyFromPem(a.privatePem);

  it("encodes JSON canonically", () => {
    expect(canonicalJson({ b: 1, a: [true, null, "x"], c: { z: 1, y: 2 } })).toBe('{"a":[true,null,"x"],"b":1,"c":{"y":2,"z":1}}');
  });

  it("verifies only the right key, payload and purpose", () => {
    const s = signPayload("market-request", { n: 1, q: "x" }, key);
    expect(verifyPayload("market-request", s, ed25519PublicFromBase64(a.publicKey))).toBe(true);
    expect(verifyPayload("market-request", { ...s, payload: { q: "x", n: 1 } }, ed25519PublicFromBase64(a.publicKey))).toBe(true);
    expect(verifyPayload("market-request", s, ed25519PublicFromBase64(b.publicKey))).toBe(false);
    expect(verifyPayload("node-response", s, ed25519PublicFromBase64(a.publicKey))).toBe(false);
    expect(verifyPayload("market-request", { ...s, payload: { n: 2, q: "x" } }, ed25519PublicFromBase64(a.publicKey))).toBe(false);
    expect(verifyPayload("market-request", { payload: s.payload, signature: "AAAA" }, ed25519PublicFromBase64(a.publicKey))).toBe(false);
    expect(verifyPayload("market-request", { payload: s.payload }  as never, ed25519PublicFromBase64(a.publicKey))).toBe(false);
  });

  it("round-trips public keys as raw base64", () => {
    const k = ed25519PublicFromBase64(a.publicKey);
    expect(k.equals(createPublicKey(privateKeyFromPem(a.privatePem)))).toBe(true);
    expect(() => ed25519PublicFromBase64("AAAA")).toThrow(/32 bytes/);
  });
});
