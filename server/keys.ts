/**
 * The marketplace's Ed25519 keys. Each comes from an environment variable (PKCS#8 PEM) when
 * set, else is made once in DATA_DIR and kept there, so every process of one marketplace
 * (web server, worker, scripts) signs with the same key.
 *
 * - the market key signs every request to a computation node (nodes are configured with
 *   its public half; GET /api/market-key publishes it);
 * - the ledger key signs the transparency ledger's checkpoints (GET /api/ledger/key).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { publicKeyToBase64 } from "@/core/signing";

export type SigningKey = { privateKey: KeyObject; publicKey: string };
const cache = new Map<string, SigningKey>();

function ed25519Key(envVar: string, fileName: string): SigningKey {
  const hit = cache.get(envVar);
  if (hit) return hit;
  let pem = process.env[envVar];
  if (!pem) {
    const dir = path.resolve(/*turbopackIgnore: true*/ process.env.DATA_DIR ?? ".data");
    const file = path.join(dir, fileName);
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true });
      // "wx": if another process made it first, keep theirs.
      try {
        writeFileSync(file, generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600, flag: "wx" });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
    }
    pem = readFileSync(file, "utf8");
  }
  const privateKey = createPrivateKey(pem);
  const key = { privateKey, publicKey: publicKeyToBase64(createPublicKey(privateKey)) };
  cache.set(envVar, key);
  return key;
}

export const marketSigningKey = () => ed25519Key("MARKET_SIGNING_KEY", "market-signing-ed25519.pem");
export const ledgerSigningKey = () => ed25519Key("LEDGER_SIGNING_KEY", "ledger-signing-ed25519.pem");
