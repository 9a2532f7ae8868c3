import { z } from "zod";
import { describe, expect, it } from "vitest";
import { generateEd25519, privateKeyFromPem, signPayload } from "@/core/signing";
import { verifiedAnswer } from "./client";

describe("verifiedAnswer", () => {
  const node = generateEd25519();
  const other = generateEd25519();
  const ref = { name: "n1", signingKey: node.publicKey };
  const schema = z.object({ type: z.literal("pong"), n: z.number() });
  const signed = (payload: unknown, key = node) => signPayload("node-response", payload, privateKeyFromPem(key.privatePem));
  const reason = (f: () => unknown) => { try { f(); return null; } catch (e) { return (e as { reason?: string }).reason; } };

  it("accepts an answer the node signed that parses", () => {
    expect(verifiedAnswer(ref, signed({ type: "pong", n: 1 }), schema).payload).toEqual({ type: "pong", n: 1 });
  });
  it("refuses a missing, non-JSON, tampered or foreign-signed body, and one of the wrong shape", () => {
    expect(reason(() => verifiedAnswer(ref, null, schema))).toBe("BAD_NODE_SIGNATURE");
    expect(reason(() => verifiedAnswer(ref, "not json", schema))).toBe("BAD_NODE_SIGNATURE");
    expect(reason(() => verifiedAnswer(ref, { ...signed({ type: "pong", n: 1 }), payload: { type: "pong", n: 2 } }, schema))).toBe("BAD_NODE_SIGNATURE");
    expect(reason(() => verifiedAnswer(ref, signed({ type: "pong", n: 1 }, other), schema))).toBe("BAD_NODE_SIGNATURE");
    expect(reason(() => verifiedAnswer(ref, signed({ type: "ping" }), schema))).toBe("BAD_NODE_ANSWER");
  });
});
