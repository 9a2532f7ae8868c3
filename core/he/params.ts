/**
 * The fixed BFV parameters, the input limits and the typed error, shared by every part of core/he/
 * (no SEAL here: the wire checks and the operations both need these, and neither may need the other
 * to get them).
 */

export const HE_PARAMS = { scheme: "BFV", polyModulusDegree: 8192, plainModulusBits: 60 } as const;
/** t = PlainModulus.Batching(8192, 60) (checked against SEAL when the context is built). */
export const PLAIN_MODULUS = 1152921504606830593n;
/** Slot values lie in [−MAX_PLAIN_VALUE, MAX_PLAIN_VALUE] = (−t/2, t/2] (t is odd). */
export const MAX_PLAIN_VALUE = (PLAIN_MODULUS - 1n) / 2n;
/** At most this many ciphertexts per vector (protocol.ts: aggregateResponse.ciphertexts.max(64)). */
export const MAX_CHUNKS = 64;
/** At most this many nodes in one sum (protocol.ts: peers.max(64)). */
export const MAX_NODES = 64;
/** Base64 length limits checked before anything is decoded. A fresh ciphertext is ~0.57 M chars. */
export const MAX_CIPHERTEXT_CHARS = 4_000_000;
export const MAX_PUBLIC_KEY_CHARS = 2_000_000;
export const MAX_SECRET_KEY_CHARS = 2_000_000;

export type HeErrorCode =
  | "VALUE_OUT_OF_RANGE"
  | "CHUNK_MISMATCH"
  | "LEVEL_MISMATCH"
  | "MALFORMED_CIPHERTEXT"
  | "MALFORMED_KEY"
  | "OVERSIZED"
  | "PARAMETER_MISMATCH"
  | "INVALID_MASK"
  | "INVALID_ARGUMENT"
  | "DECRYPTION_FAILED"
  | "INTERNAL";

export class HeError extends Error {
  readonly code: HeErrorCode;
  constructor(code: HeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "HeError";
    this.code = code;
  }
}
