/**
 * Confidential transport between the marketplace and a holder's node, without a PKI: each
 * request body is sealed to the node's registered X25519 key (the same key that was pinned at
 * registration for the pairwise masks), and the answer is sealed back under the same exchange.
 *
 *   sender:  ephemeral X25519 e; k = HKDF-SHA256(X25519(e, node), salt = epk ‖ node key,
 *            info = "qc-market/v1/transport"); request = AES-256-GCM(k_req, body); response
 *            = AES-256-GCM(k_res, answer), k_req and k_res split from the same HKDF output.
 *
 * Only the node can read a request; only that sender can read the answer; a change on the wire
 * fails the GCM tag. Signatures inside (market request, node response) are unchanged: this adds
 * confidentiality, not authority. The node accepts plain JSON only from loopback (the demo).
 */
import { createCipheriv, createDecipheriv, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject } from "node:crypto";
import { z } from "zod";
import { publicKeyToBase64 } from "./signing";

export const SEALED_TYPE = "application/qc-sealed+json";

export const sealedBody = z.object({ v: z.literal(1), epk: z.string().max(64), iv: z.string().max(32), ct: z.string(), tag: z.string().max(32) });
export type SealedBody = z.infer<typeof sealedBody>;

const x25519Public = (b64: string) => createPublicKey({ key: { kty: "OKP", crv: "X25519", x: Buffer.from(b64, "base64").toString("base64url") }, format: "jwk" });

function keys(shared: Buffer, epk: string, nodeKey: string): { request: Buffer; response: Buffer } {
  const okm = Buffer.from(hkdfSync("sha256", shared, Buffer.concat([Buffer.from(epk, "base64"), Buffer.from(nodeKey, "base64")]), "qc-market/v1/transport", 64));
  return { request: okm.subarray(0, 32), response: okm.subarray(32) };
}

function encrypt(key: Buffer, plaintext: string, epk: string): SealedBody {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return { v: 1, epk, iv: iv.toString("base64"), ct: ct.toString("base64"), tag: cipher.getAuthTag().toString("base64") };
}

function decrypt(key: Buffer, body: SealedBody): string {
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(body.iv, "base64"));
  decipher.setAuthTag(Buffer.from(body.tag, "base64"));
  return Buffer.concat([decipher.update(Buffer.from(body.ct, "base64")), decipher.final()]).toString("utf8");
}

/** Seal a request to a node's X25519 key; `open` reads the node's sealed answer. */
export function sealRequest(nodeAgreementKey: string, json: string): { body: SealedBody; open: (answer: SealedBody) => string } {
  const eph = generateKeyPairSync("x25519");
  const epk = publicKeyToBase64(eph.publicKey);
  const k = keys(diffieHellman({ privateKey: eph.privateKey, publicKey: x25519Public(nodeAgreementKey) }), epk, nodeAgreementKey);
  return { body: encrypt(k.request, json, epk), open: (answer) => decrypt(k.response, answer) };
}

/** At the node: open a sealed request; `seal` seals the answer for that sender. Throws on a tampered or foreign body. */
export function openRequest(agreementKey: KeyObject, agreementPublic: string, body: SealedBody): { json: string; seal: (answer: string) => SealedBody } {
  const k = keys(diffieHellman({ privateKey: agreementKey, publicKey: x25519Public(body.epk) }), body.epk, agreementPublic);
  return { json: decrypt(k.request, body), seal: (answer) => encrypt(k.response, answer, body.epk) };
}
