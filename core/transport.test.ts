import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { publicKeyToBase64 } from "./signing";
import { openRequest, sealRequest } from "./transport";

const node = () => { const k = generateKeyPairSync("x25519"); return { privateKey: k.privateKey, publicB64: publicKeyToBase64(k.publicKey) }; };

describe("sealed transport to a node's registered X25519 key", () => {
  it("lets only the node read the request and only the sender read the answer", () => {
    const n = node();
    const secret = JSON.stringify({ consent: { subjectRef: "QC-SUBJ-0001", fields: ["contribution_base"] } });
    const sealed = sealRequest(n.publicB64, secret);
    expect(JSON.stringify(sealed.body)).not.toContain("QC-SUBJ-0001");
    const opened = openRequest(n.privateKey, n.publicB64, sealed.body);
    expect(opened.json).toBe(secret);
    const answer = opened.seal(JSON.stringify({ envelope: "eyJ…" }));
    expect(sealed.open(answer)).toBe(JSON.stringify({ envelope: "eyJ…" }));
    // Another sender's exchange cannot open this answer.
    expect(() => sealRequest(n.publicB64, "{}").open(answer)).toThrow();
  });
  it("refuses a body altered on the way or sealed to another node", () => {
    const n = node(), other = node();
    const sealed = sealRequest(n.publicB64, "{\"a\":1}");
    const flipped = { ...sealed.body, ct: Buffer.from(Buffer.from(sealed.body.ct, "base64").map((b, i) => (i === 0 ? b ^ 1 : b))).toString("base64") };
    expect(() => openRequest(n.privateKey, n.publicB64, flipped)).toThrow();
    expect(() => openRequest(other.privateKey, other.publicB64, sealed.body)).toThrow();
  });
});
