/**
 * Rate limits on both backends, through the HTTP surfaces a client meets: the sign-in door in
 * front of next-auth, tRPC (sign-up from one address), and the REST API (one token's calls).
 * Counters live in the database, so on a PostgreSQL server two connection pools (two web
 * processes) share them, exactly, under concurrency.
 */
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { argon2Gate } from "@/server/accounts/password";
import { signInGate } from "@/server/auth/sign-in-gate";
import { authenticate, signUp } from "@/server/accounts/users";
import { createApiToken } from "@/server/accounts/api-tokens";
import { handleRest } from "@/server/api/rest";
import { appRouter } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import { openDatabase, type Database } from "@/server/db/client";
import { retryAfterMeta } from "@/server/errors";
import { consume, LIMITS, sweepExpired } from "@/server/http/rate-limits";
import { backends, createServerDatabase } from "../setup/databases";

for (const backend of backends) {
  describe.skipIf(!backend.available)(`rate limits on ${backend.name}`, () => {
    let db: Database;
    beforeAll(async () => { db = await backend.open(); });
    afterAll(async () => { await db?.close(); });

    it("locks an account after ten wrong passwords, before Argon2 runs, even for the right one; a right password clears the count", async () => {
      await signUp(db.prisma, { name: "Qin Lan", email: "qin@example.com", password: "correct horse battery" });
      for (let i = 0; i < 3; i++) await expect(authenticate(db.prisma, "qin@example.com", "wrong password!")).rejects.toMatchObject({ reason: "WRONG_CREDENTIALS" });
      await expect(authenticate(db.prisma, "Qin@Example.com", "correct horse battery")).resolves.toMatchObject({ email: "qin@example.com" });
      for (let i = 0; i < LIMITS.signInAccount.points; i++) await expect(authenticate(db.prisma, "qin@example.com", "wrong password!")).rejects.toMatchObject({ reason: "WRONG_CREDENTIALS" });
      const argon2 = vi.spyOn(argon2Gate, "run");
      const refused = authenticate(db.prisma, "qin@example.com", "correct horse battery");
      await expect(refused).rejects.toMatchObject({ code: "RATE_LIMITED", reason: "TOO_MANY_ATTEMPTS" });
      expect(argon2).not.toHaveBeenCalled();
      argon2.mockRestore();
      const wait = await refused.catch((e: { retryAfterSeconds: number }) => e.retryAfterSeconds);
      expect(wait).toBeGreaterThan(14 * 60);
      expect(wait).toBeLessThanOrEqual(15 * 60);
    });

    it("the sign-in door answers 429 with Retry-After and next-auth's error URL, per address and per locked account", async () => {
      {
        const attempt = (ip: string, email = "someone@example.com") => signInGate(new Request("http://localhost:3000/api/auth/callback/credentials", {
          method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-for": ip },
          body: new URLSearchParams({ email, password: "whatever", csrfToken: "x" }),
        }), db);
        await consume(db.prisma, "signInIp", "203.0.113.7", LIMITS.signInIp.points - 1);
        expect(await attempt("203.0.113.7")).toBeNull(); // the last allowed one goes on to next-auth
        const res = (await attempt("203.0.113.7"))!;
        expect(res.status).toBe(429);
        expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
        expect(new URL(((await res.json()) as { url: string }).url).searchParams.get("error")).toBe("TOO_MANY_ATTEMPTS");
        expect(await attempt("198.51.100.9")).toBeNull(); // another address is not affected
        // The account locked in the previous test is refused at the door from any address.
        expect((await attempt("192.0.2.44", "QIN@example.com"))!.status).toBe(429);
      }
    });

    it("sign-ups from one address over tRPC's HTTP adapter: 429 with Retry-After after the allowance", async () => {
      const call = (i: number) => fetchRequestHandler({
        endpoint: "/api/trpc",
        req: new Request("http://localhost/api/trpc/account.signUp", {
          method: "POST", headers: { "content-type": "application/json" },
          body: JSON.stringify({ json: { name: `Person ${i}`, email: `p${i}@signup.example`, password: "a long enough password" } }),
        }),
        router: appRouter,
        createContext: () => createContext({ db, userId: null, ip: "203.0.113.50" }),
        responseMeta: retryAfterMeta,
      });
      for (let i = 0; i < LIMITS.signUpIp.points; i++) expect((await call(i)).status).toBe(200);
      const res = await call(99);
      expect(res.status).toBe(429);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(59 * 60);
      expect(JSON.stringify(await res.json())).toContain("TOO_MANY_REQUESTS");
      expect(await db.prisma.user.count({ where: { email: "p99@signup.example" } })).toBe(0); // refused before anything was written
    });

    it("a REST token's calls: 429 with Retry-After once its minute's allowance is spent", async () => {
      const admin = await signUp(db.prisma, { name: "Admin", email: "admin@bank.example", password: "correct horse battery", organisationName: "Bank", requestedRoles: ["BUYER"] });
      const { token, id } = await createApiToken(db.prisma, { organisationId: admin.organisation.id, userId: admin.user.id, heldRoles: [], name: "system", roles: [], expiresInDays: 30 });
      const get = () => handleRest(new Request("http://localhost/api/v1/catalog/search", { headers: { authorization: `Bearer ${token}` } }), "/catalog/search", { db });
      expect((await get()).status).toBe(200);
      await consume(db.prisma, "apiToken", id, LIMITS.apiToken.points - 1);
      const res = await get();
      expect(res.status).toBe(429);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(Number(res.headers.get("retry-after"))).toBeLessThanOrEqual(60);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("TOO_MANY_REQUESTS");
    });

    it("expired counters are swept", async () => {
      await db.prisma.rateLimit.create({ data: { key: "signUpIp:old", points: 3, expire: new Date(Date.now() - 2 * 3_600_000) } });
      expect(await sweepExpired(db.prisma)).toBe(1);
    });

    it.runIf(backend.name === "postgres")("two web processes' pools share one count, exactly, under concurrency", async () => {
      const url = await createServerDatabase();
      const a = await openDatabase({ kind: "postgres", url });
      const b = await openDatabase({ kind: "postgres", url });
      try {
        const tries = Array.from({ length: 30 }, (_, i) => consume((i % 2 ? a : b).prisma, "invitations", "user-1").then(() => "ok", (e: { reason?: string }) => e.reason));
        const outcomes = await Promise.all(tries);
        expect(outcomes.filter((o) => o === "ok")).toHaveLength(Math.min(30, LIMITS.invitations.points));
        const more = Array.from({ length: 30 }, (_, i) => consume((i % 2 ? a : b).prisma, "invitations", "user-1").then(() => "ok", (e: { reason?: string }) => e.reason));
        expect((await Promise.all(more)).filter((o) => o === "ok")).toHaveLength(LIMITS.invitations.points - 30);
        await expect(consume(a.prisma, "invitations", "user-1")).rejects.toMatchObject({ reason: "TOO_MANY_REQUESTS" });
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}
