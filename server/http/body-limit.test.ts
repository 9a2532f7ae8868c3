import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { initTRPC } from "@trpc/server";
import { z } from "zod";
import { withBodyLimit } from "./body-limit";

const echo = (req: Request) => req.text().then((t) => new Response(`${req.constructor.name}:${t.length}`));
const chunked = (bytes: number, chunk = 1000) => new ReadableStream<Uint8Array>({
  start(c) { for (let n = 0; n < bytes; n += chunk) c.enqueue(new Uint8Array(Math.min(chunk, bytes - n)).fill(97)); c.close(); },
});
const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  new NextRequest("http://localhost/api/x", { method: "POST", body, headers, duplex: "half" } as ConstructorParameters<typeof NextRequest>[1]);

describe("request body limits", () => {
  it("refuses a declared length over the limit before reading, and closes the connection", async () => {
    const res = await withBodyLimit(post("x".repeat(10), { "content-length": "5000" }), 1000, () => { throw new Error("must not run"); });
    expect(res.status).toBe(413);
    expect(res.headers.get("connection")).toBe("close");
    expect(((await res.json()) as { error: { reason: string } }).error.reason).toBe("BODY_TOO_LARGE");
    expect((await withBodyLimit(post("x", { "content-length": "-1" }), 1000, echo)).status).toBe(413);
  });

  it("cuts a streamed body off at the limit, and passes one within it whole, as the same request class", async () => {
    expect((await withBodyLimit(post(chunked(1001)), 1000, echo)).status).toBe(413);
    expect(await (await withBodyLimit(post(chunked(1000)), 1000, echo)).text()).toBe("NextRequest:1000");
    expect(await (await withBodyLimit(post("abc"), 1000, echo)).text()).toBe("NextRequest:3");
  });

  it("in front of tRPC, an oversized mutation is a 413, never a 500", async () => {
    const t = initTRPC.create();
    const router = t.router({ put: t.procedure.input(z.object({ s: z.string() })).mutation(({ input }) => input.s.length) });
    const call = (body: BodyInit) => withBodyLimit(new Request("http://localhost/api/trpc/put", { method: "POST", body, headers: { "content-type": "application/json" }, duplex: "half" } as RequestInit & { duplex: "half" }), 1000, (req) =>
      fetchRequestHandler({ endpoint: "/api/trpc", req, router }));
    expect((await call(JSON.stringify({ s: "x".repeat(10) }))).status).toBe(200);
    expect((await call(chunked(5000))).status).toBe(413);
  });
});
