import { ed25519 } from "@noble/curves/ed25519.js";
import { describe, expect, it } from "vitest";
import { cosignerKey } from "@/core/note";
import { parseCosignerKey } from "./checkpoint";

describe("a cosigner key given with --witness", () => {
  it("is read whole when its base64 holds a '+' (a random key often does)", () => {
    let pub: Uint8Array, vkey: string;
    do { pub = ed25519.getPublicKey(ed25519.utils.randomSecretKey()); vkey = cosignerKey("market-node/8f8883d357328807", pub); } while (vkey.split("+").length <= 3);
    const parsed = parseCosignerKey(vkey);
    expect(parsed.name).toBe("market-node/8f8883d357328807");
    expect(Buffer.from(parsed.publicKey)).toEqual(Buffer.from(pub));
  });

  it("is refused clearly when it is not name+id+key", () => {
    for (const bad of ["", "name", "name+id", "name+id+", "name+id+AAAA"]) expect(() => parseCosignerKey(bad)).toThrow(/C2SP cosigner key/);
  });
});
