import { describe, expect, it } from "vitest";
import { bindingMac, exportKeyPair, generateSigningKey, importPrivateJwk, planHash, publicJwkOf, signingKeyThumbprint, signStatement, verifyStatement, type QueryAuthorization } from "./statements";

const statement: QueryAuthorization = {
  type: "query-authorization", queryId: "6f1c1a52-6d0c-4f4e-9d2a-2a8a0f0c0b01", productId: "6f1c1a52-6d0c-4f4e-9d2a-2a8a0f0c0b02", buyerOrgId: "6f1c1a52-6d0c-4f4e-9d2a-2a8a0f0c0b03",
  planHash: planHash({ groupBy: [] }), heKeyHash: "0".repeat(64), epsilon: 1,
};

describe("statements signed by a party's own key", () => {
  it("verify for exactly the statement signed, by exactly the key that signed", async () => {
    const pair = await generateSigningKey(false);
    const publicJwk = await publicJwkOf(pair.publicKey);
    const sig = await signStatement(pair.privateKey, statement);
    expect(await verifyStatement(publicJwk, statement, sig)).toBe(true);
    expect(await verifyStatement(publicJwk, { ...statement, epsilon: 2 }, sig)).toBe(false);
    expect(await verifyStatement(publicJwk, { ...statement, planHash: planHash({ groupBy: ["x"] }) }, sig)).toBe(false);
    const other = await exportKeyPair(await generateSigningKey(true));
    expect(await verifyStatement(other.publicJwk, statement, sig)).toBe(false);
    expect(await verifyStatement(publicJwk, statement, "garbage")).toBe(false);
  });
  it("separate purposes: a signature over one statement type never passes as another", async () => {
    const { publicJwk, privateJwk } = await exportKeyPair(await generateSigningKey(true));
    const sig = await signStatement(await importPrivateJwk(privateJwk), statement);
    expect(await verifyStatement(publicJwk, { ...statement, type: "node-policy" } as never, sig)).toBe(false);
  });
  it("keeps a browser key unreadable, and refuses private keys as public ones", async () => {
    const pair = await generateSigningKey(false);
    await expect(crypto.subtle.exportKey("jwk", pair.privateKey)).rejects.toThrow();
    const { privateJwk } = await exportKeyPair(await generateSigningKey(true));
    await expect(signingKeyThumbprint(privateJwk)).rejects.toThrow();
  });
  it("binds a key only with the activation code it was made with", async () => {
    const o = { nodeId: "n".repeat(44), subjectRef: "QC-SUBJ-0001", thumbprint: "t".repeat(43) };
    expect(await bindingMac("abcd-efgh", o)).toBe(await bindingMac(" ABCD-EFGH ", o));
    expect(await bindingMac("abcd-efgh", o)).not.toBe(await bindingMac("abcd-efgi", o));
    expect(await bindingMac("abcd-efgh", o)).not.toBe(await bindingMac("abcd-efgh", { ...o, subjectRef: "QC-SUBJ-0002" }));
  });
});
