/**
 * Nonces already accepted, kept until their request expires, and appended to a file so a
 * restarted node still refuses a replay. (A replayed aggregate request would hand an
 * attacker a second, independently noised copy of the same result, eroding the privacy
 * that the noise provides.)
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";

export class ReplayGuard {
  private seen = new Map<string, number>();

  constructor(private readonly file: string | null) {
    if (file && existsSync(file)) {
      const now = Date.now();
      for (const line of readFileSync(file, "utf8").split("\n")) {
        const [nonce, exp] = line.split(" ");
        if (nonce && Number(exp) > now) this.seen.set(nonce, Number(exp));
      }
      this.compact();
    }
  }

  /** Record the nonce; false if it was already used. */
  accept(nonce: string, expiresAt: number): boolean {
    this.prune();
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, expiresAt);
    if (this.file) appendFileSync(this.file, `${nonce} ${expiresAt}\n`);
    return true;
  }

  private prune() {
    const now = Date.now();
    for (const [n, exp] of this.seen) if (exp <= now) this.seen.delete(n);
  }

  private compact() {
    if (this.file) writeFileSync(this.file, [...this.seen].map(([n, e]) => `${n} ${e}\n`).join(""));
  }
}
