import { exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { envelopeHash, keyThumbprint, openEnvelope, sealEnvelope, type EnvelopePublicJwk } from "./envelope";

async function keys() {
  const { publicKey, privateKey } = await generateKeyPair("ECDH-ES", { crv: "P-256", extractable: true });
  const pub = (await exportJWK(publicKey)) as EnvelopePublicJwk;
  return { pub: { kty: pub.kty, crv: pub.crv, x: pub.x, y: pub.y } as EnvelopePublicJwk, privateKey, privateJwk: await exportJWK(privateKey) };
}

describe("digital envelopes", () => {
  it("open only with the buyer's private key, and refuse a tampered envelope", async () => {
    const bank = await keys(), other = await keys();
    const record = { subject: "QC-SUBJ-0001", fields: { monthly_contribution: 182_000, months_paid: 96 } };
    const jwe = await sealEnvelope(record, bank.pub);
    expect(JSON.parse(Buffer.from(jwe.split(".")[0]!, "base64url").toString())).toMatchObject({ alg: "ECDH-ES", enc: "A256GCM", kid: await keyThumbprint(bank.pub) });
    expect(await openEnvelope(jwe, bank.privateKey)).toEqual(record);
    expect(await openEnvelope(jwe, bank.privateJwk)).toEqual(record);
    await expect(openEnvelope(jwe, other.privateKey)).rejects.toMatchObject({ code: "CANNOT_OPEN" });
    const parts = jwe.split(".");
    const flipped = Buffer.from(parts[3]!, "base64url");
    flipped[0] = flipped[0]! ^ 1;
    await expect(openEnvelope([...parts.slice(0, 3), flipped.toString("base64url"), parts[4]].join("."), bank.privateKey)).rejects.toMatchObject({ code: "CANNOT_OPEN" });
    await expect(openEnvelope("not.an.envelope", bank.privateKey)).rejects.toMatchObject({ code: "MALFORMED" });
    expect(envelopeHash(jwe)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("accepts only public P-256 keys", async () => {
    const bank = await keys();
    await expect(keyThumbprint({ ...bank.pub, d: bank.privateJwk.d })).rejects.toMatchObject({ code: "BAD_KEY", message: expect.stringMatching(/never the private part/) });
    await expect(keyThumbprint({ ...bank.pub, crv: "P-384" })).rejects.toMatchObject({ code: "BAD_KEY" });
    await expect(keyThumbprint({ ...bank.pub, x: "A".repeat(43) })).rejects.toMatchObject({ code: "BAD_KEY" }); // not on the curve
    await expect(keyThumbprint({ kty: "RSA", n: "x".repeat(5000), e: "AQAB" })).rejects.toMatchObject({ code: "BAD_KEY" });
    expect(await keyThumbprint(bank.pub)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
