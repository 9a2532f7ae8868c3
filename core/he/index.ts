/**
 * BFV homomorphic encryption for aggregate queries (node-seal 6.0.3 = Microsoft SEAL 4.1 in WASM).
 * The public API of core/he/, unchanged when core/he.ts was split along its seams:
 *
 *   params.ts  the fixed parameters, the input limits, HeError
 *   wire.ts    base64 keys and ciphertexts in and out; every byte checked before SEAL sees it
 *   seal.ts    the one SEAL instance and context, and the one loader of checked bytes
 *   ops.ts     generateKeys, encryptVector, addCiphertexts, maskCiphertexts, decryptVector
 */
export {
  HE_PARAMS,
  HeError,
  MAX_CHUNKS,
  MAX_CIPHERTEXT_CHARS,
  MAX_NODES,
  MAX_PLAIN_VALUE,
  MAX_PUBLIC_KEY_CHARS,
  MAX_SECRET_KEY_CHARS,
  PLAIN_MODULUS,
  type HeErrorCode,
} from "./params";
export { getHe, type He, type SealLibrary } from "./seal";
export { addCiphertexts, decryptVector, encryptVector, generateKeys, maskCiphertexts, noiseBudget } from "./ops";
