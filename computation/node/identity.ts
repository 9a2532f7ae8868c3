/**
 * The node's own keys, made on first start and kept in keysDir (mode 0600):
 * an Ed25519 key that signs its responses, and an X25519 key for the pairwise masks of
 * secure aggregation. Only the public halves are ever registered at the marketplace.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { publicKeyToBase64 } from "@/core/signing";

export interface NodeIdentity {
  signingKey: KeyObject;
  agreementKey: KeyObject;
  /** base64 raw Ed25519 public key: the node's id in the protocol */
  nodeId: string;
  /** base64 raw X25519 public key */
  agreementPublic: string;
}

function loadOrCreate(file: string, type: "ed25519" | "x25519"): KeyObject {
  if (!existsSync(file)) {
    const { privateKey } = type === "ed25519" ? generateKeyPairSync("ed25519") : generateKeyPairSync("x25519");
    writeFileSync(file, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
  }
  return createPrivateKey(readFileSync(file));
}

export function loadIdentity(keysDir: string): NodeIdentity {
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const signingKey = loadOrCreate(path.join(keysDir, "signing-ed25519.pem"), "ed25519");
  const agreementKey = loadOrCreate(path.join(keysDir, "agreement-x25519.pem"), "x25519");
  return {
    signingKey,
    agreementKey,
    nodeId: publicKeyToBase64(createPublicKey(signingKey)),
    agreementPublic: publicKeyToBase64(createPublicKey(agreementKey)),
  };
}
