import { hkdfSync } from "node:crypto";
import { EncryptJWT } from "jose";
import { encode } from "next-auth/jwt";
import { describe, expect, it } from "vitest";
import { sessionCookieName, userIdFromSessionCookie } from "./session";

const secret = "a-test-secret-of-at-least-32-characters!";
const id = "6f1c2a9e-8d1b-4c3e-9f00-123456789abc";
const jar = (cookies: Record<string, string>) => (name: string) => cookies[name];

describe("the session cookie read on every request", () => {
  it("gives the person next-auth signed in, under the cookie name next-auth uses", async () => {
    const token = await encode({ token: { sub: id, email: "a@example.com" }, secret });
    expect(await userIdFromSessionCookie(jar({ "next-auth.session-token": token }), { secret, secure: false })).toBe(id);
    expect(await userIdFromSessionCookie(jar({ "__Secure-next-auth.session-token": token }), { secret, secure: true })).toBe(id);
    // The Secure name only when cookies are Secure: a plain cookie does not stand in for it.
    expect(await userIdFromSessionCookie(jar({ "next-auth.session-token": token }), { secret, secure: true })).toBeNull();
    expect(sessionCookieName(true)).toBe("__Secure-next-auth.session-token");
  });

  it("joins a cookie next-auth split into chunks", async () => {
    const token = await encode({ token: { sub: id }, secret });
    const half = Math.ceil(token.length / 2);
    expect(await userIdFromSessionCookie(jar({ "next-auth.session-token.0": token.slice(0, half), "next-auth.session-token.1": token.slice(half) }), { secret, secure: false })).toBe(id);
  });

  it("refuses an expired token, one made with another secret, a tampered one, and no token", async () => {
    const expired = await encode({ token: { sub: id }, secret, maxAge: -60 });
    const foreign = await encode({ token: { sub: id }, secret: "another-secret-of-at-least-32-characters" });
    const good = await encode({ token: { sub: id }, secret });
    const tampered = good.slice(0, -4) + (good.endsWith("AAAA") ? "BBBB" : "AAAA");
    for (const token of [expired, foreign, tampered, "not a jwt", ""]) {
      expect(await userIdFromSessionCookie(jar({ "next-auth.session-token": token }), { secret, secure: false })).toBeNull();
    }
    expect(await userIdFromSessionCookie(jar({}), { secret, secure: false })).toBeNull();
  });

  it("accepts only the algorithms next-auth encrypts with, even under the right key", async () => {
    const key = new Uint8Array(hkdfSync("sha256", secret, "", "NextAuth.js Generated Encryption Key", 32));
    const now = Math.floor(Date.now() / 1000);
    const make = (alg: string) => new EncryptJWT({ sub: id }).setProtectedHeader({ alg, enc: "A256GCM" }).setIssuedAt(now).setExpirationTime(now + 60).encrypt(key);
    expect(await userIdFromSessionCookie(jar({ "next-auth.session-token": await make("dir") }), { secret, secure: false })).toBe(id);
    expect(await userIdFromSessionCookie(jar({ "next-auth.session-token": await make("A256KW") }), { secret, secure: false })).toBeNull();
  });
});
