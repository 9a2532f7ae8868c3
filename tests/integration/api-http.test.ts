/** The HTTP face of the API: typed errors with field messages, nothing written on bad input. */
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import type { Database } from "@/server/db/client";
import { backends } from "../setup/databases";

for (const backend of backends) {
  describe.skipIf(!backend.available)(`API over HTTP on ${backend.name}`, () => {
    let db: Database;
    beforeAll(async () => { db = await backend.open(); });
    afterAll(async () => { await db?.close(); });

    const post = async (path: string, input: unknown, userId: string | null = null) => {
      const res = await fetchRequestHandler({
        endpoint: "/api/trpc",
        router: appRouter,
        req: new Request(`http://localhost/api/trpc/${path}`, {
          method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ json: input }),
        }),
        createContext: () => createContext({ db, userId }),
      });
      return { status: res.status, body: (await res.json()) as { error?: { json: { message: string; data: Record<string, unknown> } }; result?: unknown } };
    };

    it("answers malformed input with 400 and a message per field, and writes nothing", async () => {
      const r = await post("account.signUp", { name: "", email: "not-an-email", password: "short" });
      expect(r.status).toBe(400);
      const data = r.body.error!.json.data as { code: string; zodError: { fieldErrors: Record<string, string[]> } };
      expect(data.code).toBe("BAD_REQUEST");
      expect(Object.keys(data.zodError.fieldErrors).sort()).toEqual(["email", "name", "password"]);
      expect(data.zodError.fieldErrors.password![0]).toMatch(/at least 10/);
      expect(await db.prisma.user.count()).toBe(0);
    });

    it("answers a duplicate email with 409 and a reason code", async () => {
      const ok = await post("account.signUp", { name: "Hu Die", email: "hu@example.com", password: "a fine password" });
      expect(ok.status).toBe(200);
      const r = await post("account.signUp", { name: "Hu Die", email: "HU@example.com", password: "a fine password" });
      expect(r.status).toBe(409);
      expect(r.body.error!.json.data.reason).toBe("EMAIL_TAKEN");
      expect(await db.prisma.user.count()).toBe(1);
      expect(await db.prisma.organisation.count()).toBe(1);
    });

    it("answers a signed-out call with 401 and never leaks a stack", async () => {
      const r = await post("organisation.invite", { email: "a@example.com" });
      expect(r.status).toBe(401);
      expect(r.body.error!.json.data).not.toHaveProperty("stack");
    });
  });
}
