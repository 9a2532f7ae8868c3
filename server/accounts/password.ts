/**
 * Password hashing with Argon2id (memory-hard; @node-rs/argon2, a maintained binding of
 * the Rust argon2 crate). Parameters are OWASP's 2024 minimum: 19 MiB, 2 passes.
 * The encoded hash carries its parameters, so raising them later keeps old hashes valid.
 */
import { hash, verify } from "@node-rs/argon2";

const params = { algorithm: 2 /* Argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, params);
}

export async function verifyPassword(encoded: string, password: string): Promise<boolean> {
  try {
    return await verify(encoded, password);
  } catch {
    return false; // a malformed stored hash must never let anyone in
  }
}

// Verified against when the email is unknown, so a wrong email costs as long as a wrong
// password and response time does not reveal who has an account.
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword("not-a-real-password-" + Math.random());
  return dummy;
}
