import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword, WorkGate } from "./password";

describe("password hashing", () => {
  it("uses Argon2id with a memory cost and salts every hash", async () => {
    const a = await hashPassword("correct horse battery");
    const b = await hashPassword("correct horse battery");
    expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword(a, "correct horse battery")).toBe(true);
    expect(await verifyPassword(a, "correct horse batterY")).toBe(false);
  });

  it("treats a malformed stored hash as a failed check, never a pass", async () => {
    expect(await verifyPassword("not-a-hash", "anything")).toBe(false);
  });

  it("runs at most `concurrency` Argon2 computations at once and refuses beyond the queue", async () => {
    const gate = new WorkGate(2, 3);
    let running = 0, peak = 0;
    const work = () => gate.run(async () => { running++; peak = Math.max(peak, running); await hashPassword("x".repeat(12)); running--; return true; });
    const accepted = Array.from({ length: 5 }, work); // 2 running + 3 waiting
    await expect(work()).rejects.toMatchObject({ code: "UNAVAILABLE", reason: "SERVER_BUSY", retryAfterSeconds: 1 });
    expect(gate.busy).toEqual({ running: 2, waiting: 3 });
    expect(await Promise.all(accepted)).toEqual([true, true, true, true, true]);
    expect(peak).toBe(2);
    expect(gate.busy).toEqual({ running: 0, waiting: 0 });
    await expect(gate.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(gate.busy).toEqual({ running: 0, waiting: 0 }); // a failure gives its slot back
  });
});
