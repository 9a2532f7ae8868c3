import { describe, expect, it } from "vitest";
import { MIN_ITERATIONS, openSecret, sealSecret, SealedSecretError } from "./sealed-secret";

const bind = { publicKey: "PUBLIC-KEY-BASE64", paramsHash: "a".repeat(64) };
const pass = "correct horse battery";

describe("sealed secret (PBKDF2-SHA-256 + AES-256-GCM)", async () => {
  const sealed = await sealSecret("THE-BFV-SECRET", pass, bind);

  it("round-trips, records the iteration count, and never holds the clear secret", async () => {
    expect(sealed.iterations).toBe(MIN_ITERATIONS);
    expect(MIN_ITERATIONS).toBeGreaterThanOrEqual(600_000);
    expect(JSON.stringify(sealed)).not.toContain("THE-BFV-SECRET");
    expect(await openSecret(JSON.parse(JSON.stringify(sealed)), pass)).toBe("THE-BFV-SECRET");
  });

  it("uses a fresh salt and IV each time", async () => {
    const again = await sealSecret("THE-BFV-SECRET", pass, bind);
    expect(again.salt).not.toBe(sealed.salt);
    expect(again.iv).not.toBe(sealed.iv);
  });

  it("fails on a wrong passphrase", async () => {
    await expect(openSecret(sealed, "wrong passphrase!")).rejects.toMatchObject({ code: "WRONG_PASSPHRASE" });
  });

  it("fails on tampered ciphertext and on another public key or parameters (AAD)", async () => {
    const ct = Uint8Array.from(atob(sealed.ciphertext), (c) => c.charCodeAt(0));
    ct[0]! ^= 1;
    await expect(openSecret({ ...sealed, ciphertext: btoa(String.fromCharCode(...ct)) }, pass)).rejects.toMatchObject({ code: "WRONG_PASSPHRASE" });
    await expect(openSecret({ ...sealed, publicKey: "OTHER-PUBLIC-KEY" }, pass)).rejects.toMatchObject({ code: "WRONG_PASSPHRASE" });
    await expect(openSecret({ ...sealed, paramsHash: "b".repeat(64) }, pass)).rejects.toMatchObject({ code: "WRONG_PASSPHRASE" });
  });

  it("enforces the minimum iteration count on read and on write, and a minimum passphrase length", async () => {
    await expect(openSecret({ ...sealed, iterations: 1000 }, pass)).rejects.toMatchObject({ code: "TOO_FEW_ITERATIONS" });
    await expect(sealSecret("s", pass, bind, 1000)).rejects.toBeInstanceOf(SealedSecretError);
    await expect(sealSecret("s", "short", bind)).rejects.toMatchObject({ code: "WEAK_PASSPHRASE" });
    await expect(openSecret({ ...sealed, version: 2 }, pass)).rejects.toMatchObject({ code: "MALFORMED" });
  });
});
