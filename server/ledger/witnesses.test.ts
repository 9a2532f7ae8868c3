import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { cosignerKey } from "../../core/note";
import { configuredWitnesses } from "./witnesses";

/** A witness key whose base64 form contains "+", as about half of real keys do. */
function keyWithPlus() {
  for (;;) {
    const raw = new Uint8Array(generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" }).subarray(12));
    const vkey = cosignerKey("witness.example/w1", raw);
    if (vkey.split("+").length > 3) return { raw, vkey };
  }
}

describe("LEDGER_WITNESSES", () => {
  it("parses entries whose base64 key contains '+', several per line", () => {
    const a = keyWithPlus();
    const b = keyWithPlus();
    const got = configuredWitnesses(`${a.vkey}=https://w1.example/ \n ${b.vkey}=https://w2.example`);
    expect(got.map((w) => [w.name, w.vkey, w.url])).toEqual([
      ["witness.example/w1", a.vkey, "https://w1.example"],
      ["witness.example/w1", b.vkey, "https://w2.example"],
    ]);
    expect(Buffer.from(got[0]!.publicKey)).toEqual(Buffer.from(a.raw));
  });

  it("refuses an entry with no URL, a bad key or a key ID that does not match", () => {
    const a = keyWithPlus();
    expect(() => configuredWitnesses(a.vkey)).toThrow(/BAD_WITNESS_CONFIG|is not/);
    expect(() => configuredWitnesses(`w1+00000000+AAAA=https://w.example`)).toThrow(/is not/);
    const wrongId = a.vkey.replace(/\+[0-9a-f]{8}\+/, "+00000000+");
    expect(() => configuredWitnesses(`${wrongId}=https://w.example`)).toThrow(/key ID/);
  });
});
