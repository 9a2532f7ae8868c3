/**
 * The marketplace's Ed25519 key, which signs every request to a computation node. From
 * MARKET_SIGNING_KEY (PKCS#8 PEM) when set, else made once in DATA_DIR and kept there.
 * Nodes are configured with its public half (GET /api/market-key publishes it).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { publicKeyToBase64 } from "@/computation/signing";

let cached: { privateKey: KeyObject; publicKey: string } | undefined;

export function marketSigningKey(): { privateKey: KeyObject; publicKey: string } {
  if (cached) return cached;
  let pem = process.env.MARKET_SIGNING_KEY;
  if (!pem) {
    const dir = path.resolve(/*turbopackIgnore: true*/ process.env.DATA_DIR ?? ".data");
    const file = path.join(dir, "market-signing-ed25519.pem");
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(file, generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
    }
    pem = readFileSync(file, "utf8");
  }
  const privateKey = createPrivateKey(pem);
  cached = { privateKey, publicKey: publicKeyToBase64(createPublicKey(privateKey)) };
  return cached;
}
