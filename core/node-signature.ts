/**
 * Checking a holder node's signed answer where the buyer is (browser or SDK): Ed25519 over the
 * node-response message that core/signing.ts makes, with the node's registered key.
 * The buyer checks an envelope's signature before opening it, so a relay that swapped the
 * envelope for one of its own making is caught.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { fromBase64 } from "./ledger";
import { canonicalJson } from "./canonical-json";

export function verifyNodeSignature(signed: { payload: unknown; signature: string }, nodeKeyBase64: string): boolean {
  try {
    const message = new TextEncoder().encode(`qc-market/v1/node-response\n${canonicalJson(signed.payload)}`);
    return ed25519.verify(fromBase64(signed.signature), message, fromBase64(nodeKeyBase64));
  } catch {
    return false;
  }
}
