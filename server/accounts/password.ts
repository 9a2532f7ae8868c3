/**
 * Password hashing with Argon2id (memory-hard; @node-rs/argon2, a maintained binding of
 * the Rust argon2 crate). Parameters are OWASP's 2024 minimum: 19 MiB, 2 passes.
 * The encoded hash carries its parameters, so raising them later keeps old hashes valid.
 */
import { availableParallelism } from "node:os";
import { hash, verify } from "@node-rs/argon2";
import { AppError } from "../errors";

const params = { algorithm: 2 /* Argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * At most one Argon2 computation per core at a time, and a bounded queue behind them: the
 * memory Argon2 can take is ARGON2_CONCURRENCY × 19 MiB whatever the request rate, and a flood
 * beyond the queue is refused at once (503, retry shortly) instead of piling up.
 */
export class WorkGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(readonly concurrency: number, readonly queue: number) {}
  get busy() { return { running: this.running, waiting: this.waiting.length }; }
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queue) throw new AppError("UNAVAILABLE", "SERVER_BUSY", "Too many sign-ins at once: try again in a moment.", { retryAfterSeconds: 1 });
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.running++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); else this.running--; // a waiter inherits this slot
    }
  }
}
export const argon2Gate = new WorkGate(Number(process.env.ARGON2_CONCURRENCY) || availableParallelism(), 64);

export function hashPassword(password: string): Promise<string> {
  return argon2Gate.run(() => hash(password, params));
}

export async function verifyPassword(encoded: string, password: string): Promise<boolean> {
  return argon2Gate.run(async () => {
    try {
      return await verify(encoded, password);
    } catch {
      return false; // a malformed stored hash must never let anyone in
    }
  });
}

// Verified against when the email is unknown, so a wrong email costs as long as a wrong
// password and response time does not reveal who has an account.
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword("not-a-real-password-" + Math.random());
  return dummy;
}
