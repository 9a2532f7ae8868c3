/**
 * Slows password guessing: after `max` wrong passwords for one email within `windowMs`, that
 * email is refused for `lockMs` without checking the password at all, so a guessing run can
 * neither continue at full speed nor make the server spend Argon2's memory on each try. A
 * right password clears the count. Kept in this process's memory (the limit is per web
 * process; docs/ux.md says so).
 */
import { AppError } from "../errors";

export class SignInThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly lockedUntil = new Map<string, number>();

  constructor(private readonly max = 5, private readonly windowMs = 15 * 60_000, private readonly lockMs = 60_000, private readonly now = () => Date.now()) {}

  /** Throws RATE_LIMITED while `key` is locked out. */
  check(key: string) {
    const until = this.lockedUntil.get(key);
    if (until !== undefined && until > this.now()) {
      throw new AppError("RATE_LIMITED", "TOO_MANY_ATTEMPTS", `Too many wrong passwords: try again in ${Math.ceil((until - this.now()) / 1000)} s.`);
    }
    if (until !== undefined) this.lockedUntil.delete(key);
  }

  fail(key: string) {
    const now = this.now();
    const recent = (this.failures.get(key) ?? []).filter((t) => t > now - this.windowMs);
    recent.push(now);
    if (recent.length >= this.max) { this.lockedUntil.set(key, now + this.lockMs); this.failures.delete(key); } else this.failures.set(key, recent);
    if (this.failures.size > 100_000) this.failures.delete(this.failures.keys().next().value!); // bounded memory under a spray of emails
  }

  succeed(key: string) {
    this.failures.delete(key);
  }
}

export const signInThrottle = new SignInThrottle();
