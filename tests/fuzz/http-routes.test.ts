/**
 * Bad input never crashes the plain HTTP routes (issue 18): the route handlers of app/api/**,
 * imported and called as Next calls them, with generated paths, query strings, headers and bodies.
 * The routes open the process's database through getDb(), pointed here at an in-memory PGlite with
 * DATABASE_URL=pglite:memory:// (set before the first getDb). The statements route reads the
 * session from Next's request scope, which does not exist outside Next: its contextFromRequest is
 * replaced by the same createContext for a chosen user (the route's own code runs unchanged).
 * Properties: never a 5xx (except the webhook's documented 503 "deliver again"), a JSON error body
 * on refusal, and no row written by a webhook delivery whose signature does not verify.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { getDb, type Database } from "@/server/db/client";
import { integrateAll } from "@/server/ledger/log";
import { BODY_LIMITS } from "@/server/http/body-limit";
import { seedDemoWorld } from "@/server/seed/demo";
import { fuzzOptions, hostile, HUGE, PROTO_KEYS } from "./arbitraries";

const WEBHOOK_SECRET = "whsec_fuzz_test_secret";
const session = vi.hoisted(() => ({ userId: null as string | null }));
vi.mock("@/server/api/http", async (importOriginal) => {
  const real = await importOriginal<typeof import("@/server/api/http")>();
  const { getDb: db } = await import("@/server/db/client");
  const { createContext: ctx } = await import("@/server/api/trpc");
  return { ...real, contextFromRequest: async () => ctx({ db: await db(), userId: session.userId }) };
});

const dir = mkdtempSync(path.join(tmpdir(), "fuzz-routes-"));
process.env.DATA_DIR = dir;
process.env.DATABASE_URL = "pglite:memory://";
process.env.PAYMENT_PROVIDER = "stripe";
process.env.STRIPE_SECRET_KEY = "sk_test_fuzz";
process.env.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET;
process.env.STRIPE_API_BASE = "http://127.0.0.1:9"; // nothing listens: a handler that calls Stripe gets a refused connection

const ledger = await import("@/app/api/ledger/[...path]/route");
const webhook = await import("@/app/api/payments/webhook/route");
const statements = await import("@/app/api/statements/route");
const marketKey = await import("@/app/api/market-key/route");
const zkKeys = await import("@/app/api/zk/keys/route");
const health = await import("@/app/api/health/route");

/** Status and body of a route's answer; the body must be JSON unless the route answered a file. */
async function answer(res: Response, where: string) {
  const text = await res.text();
  const type = res.headers.get("content-type") ?? "";
  const body = type.includes("json") ? (JSON.parse(text) as unknown) : text;
  if (res.status >= 400) {
    expect(type, `${where} → ${res.status} ${text.slice(0, 300)}`).toContain("json");
    expect(typeof (body as { error?: { message?: unknown } }).error?.message, `${where} → ${text.slice(0, 300)}`).toBe("string");
  }
  return { status: res.status, body, text };
}

/** A query string: real parameter names with hostile or random values, or noise. */
const queryString = (names: string[]) => fc.oneof(
  fc.array(fc.tuple(fc.constantFrom(...names, ...PROTO_KEYS, ""), fc.oneof(fc.string({ maxLength: 20 }), fc.integer({ min: -5, max: 5000 }).map(String),
    fc.constantFrom("-1", "1e308", "NaN", "Infinity", "0x10", "1.5", " 7", "9007199254740993", "%00", "\u0000", HUGE.slice(0, 10_000), "00000000-0000-0000-0000-000000000000"))), { maxLength: 4 })
    .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")),
  fc.string({ maxLength: 40 }),
  fc.constantFrom("%", "%E0%A4%A", "a=%ZZ", "&&&", "=", "index=1&index=2", "a[b]=1", "__proto__[x]=1"),
);

describe("fuzzing the HTTP routes of app/api", () => {
  let db: Database;
  let counts: () => Promise<Record<string, number>>;
  let pool: string[] = [];
  let bankUser = "";
  const users: (string | null)[] = [null];

  beforeAll(async () => {
    db = await getDb();
    await seedDemoWorld(db.prisma);
    await integrateAll(db.prisma);
    const tables = (await db.raw((s) => s.query<{ t: string }>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_migrations' ORDER BY 1"))).map((r) => r.t);
    counts = async () => (await db.raw((s) => s.query<Record<string, number>>(`SELECT ${tables.map((t) => `(SELECT count(*)::int FROM "${t}") AS "${t}"`).join(", ")}`)))[0]!;
    const orders = await db.prisma.order.findMany({ select: { id: true }, take: 5 });
    const payments = await db.prisma.payment.findMany({ take: 5 }).catch(() => []);
    pool = [...orders.map((o) => o.id), ...payments.flatMap((p) => Object.values(p).filter((v): v is string => typeof v === "string"))];
    for (const email of ["bank@quancheng.example", "tax@quancheng.example", "zhang.wei@quancheng.example"]) users.push((await db.prisma.user.findUniqueOrThrow({ where: { email } })).id);
    bankUser = users[1]!;
  }, 300_000);
  afterAll(async () => { await db?.close(); rmSync(dir, { recursive: true, force: true }); });

  it("ledger API: generated paths and query strings never give a 5xx", async () => {
    const routes = ["key", "checkpoint", "checkpoints", "proof/inclusion", "proof/consistency", "leaves", "entry", "witnesses", "tlog/checkpoint"];
    const names = ["index", "size", "indexes", "from", "to", "start", "end", "entryId", "after", "limit"];
    const segments = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...routes).map((r) => r.split("/")) },
      { weight: 1, arbitrary: fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(...PROTO_KEYS, "..", "%2e%2e", "proof")), { minLength: 1, maxLength: 4 }) },
    );
    await fc.assert(fc.asyncProperty(segments, queryString(names), async (seg, qs) => {
      const where = `GET /api/ledger/${seg.join("/")}?${qs.slice(0, 200)}`;
      const res = await ledger.GET(new Request(`http://localhost/api/ledger/${seg.map(encodeURIComponent).join("/")}?${qs}`), { params: Promise.resolve({ path: seg }) });
      const { status } = await answer(res, where);
      expect(status, where).toBeLessThan(500);
    }), fuzzOptions(150));
  }, 300_000);

  it("payment webhook: random bodies and forged Stripe-Signature headers are refused and write nothing", async () => {
    const body = fc.oneof(fc.string({ maxLength: 200 }), fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), fc.constant(HUGE), fc.constant(""));
    const now = Math.floor(Date.now() / 1000);
    const header = (payload: string) => fc.oneof(
      fc.constant(null), fc.string({ maxLength: 80 }),
      fc.constantFrom("t=1,v1=abc", "t=,v1=", `t=${now}`, "v1=" + "a".repeat(64), ",,,,", "t=99999999999999999999,v1=00", `t=${now},v1=${"0".repeat(64)},v0=zz`),
      // Signed with an attacker's own secret, or with the right secret over another body or at another time.
      fc.string({ minLength: 1, maxLength: 20 }).map((secret) => Stripe.webhooks.generateTestHeaderString({ payload, secret: `whsec_${secret}` })),
      fc.constant(Stripe.webhooks.generateTestHeaderString({ payload: `${payload} `, secret: WEBHOOK_SECRET })),
      fc.constant(Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET, timestamp: now - 3600 })),
    );
    const before = await counts();
    await fc.assert(fc.asyncProperty(body.chain((b) => fc.tuple(fc.constant(b), header(b))), async ([b, sig]) => {
      const res = await webhook.POST(new Request("http://localhost/api/payments/webhook", { method: "POST", body: b, headers: sig === null ? {} : { "stripe-signature": sig } }));
      const where = `webhook body=${b.slice(0, 200)} sig=${String(sig).slice(0, 120)}`;
      const { status } = await answer(res, where);
      expect(status, where).toBe(400);
    }), fuzzOptions(150));
    expect(await counts()).toEqual(before);
  }, 300_000);

  it("payment webhook: correctly signed but malformed or unknown events never give a 500", async () => {
    const types = ["checkout.session.completed", "checkout.session.expired", "charge.refunded", "refund.updated", "account.updated", "transfer.created", "payout.paid", "payment_intent.succeeded", "nope"];
    const field = fc.oneof(hostile, fc.constantFrom(...pool, "cs_test_1", "acct_1", "re_1", "ch_1"), fc.string({ maxLength: 10 }));
    const object = fc.dictionary(fc.constantFrom("id", "object", "mode", "payment_status", "amount_total", "amount", "amount_refunded", "currency", "metadata", "client_reference_id",
      "payment_intent", "charge", "status", "charges_enabled", "payouts_enabled", "details_submitted", "refunds", "__proto__", "constructor"),
    fc.oneof(field, fc.dictionary(fc.constantFrom("orderId", "queryId", "paymentId", "organisationId", "__proto__"), field, { maxKeys: 3 })), { maxKeys: 10 });
    const event = fc.record({ id: fc.oneof(fc.string({ maxLength: 12 }), hostile, fc.constantFrom("evt_\u0000", `evt_${"x".repeat(300)}`)), object: fc.constantFrom("event", "nope"), type: fc.oneof(fc.constantFrom(...types), hostile), created: fc.oneof(fc.integer(), hostile),
      data: fc.oneof(fc.record({ object }), hostile), account: fc.option(fc.string({ maxLength: 10 })) }, { requiredKeys: ["type"] });
    await fc.assert(fc.asyncProperty(event, async (e) => {
      const payload = JSON.stringify(e, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v)) ?? "null";
      const res = await webhook.POST(new Request("http://localhost/api/payments/webhook", { method: "POST", body: payload, headers: { "stripe-signature": Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }) } }));
      const where = `signed webhook ${payload.slice(0, 400)}`;
      const { status } = await answer(res, where);
      // 503 is the webhook's "not ours yet, deliver again" (an unknown payment), never a crash;
      // 413 only for a body past the webhook's bound (several huge fields).
      if (Buffer.byteLength(payload) > BODY_LIMITS.webhook) expect(status, where).toBe(413);
      else expect([200, 400, 409, 422, 503], where).toContain(status);
    }), fuzzOptions(150));
  }, 300_000);

  it.each([["a NUL", "evt_\u0000"], ["an id past a btree entry", `evt_${"x".repeat(3000)}`]])("payment webhook: a signed event with %s in its id is refused and writes nothing", async (_what, id) => {
    const payload = JSON.stringify({ id, object: "event", type: "nope", created: 1, data: { object: {} } }); // an ignored type is still recorded by id
    const before = await counts();
    const res = await webhook.POST(new Request("http://localhost/api/payments/webhook", { method: "POST", body: payload, headers: { "stripe-signature": Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }) } }));
    expect(res.status).toBe(400);
    expect(await counts()).toEqual(before);
  });

  it("statements: generated query strings, signed in or out, never give a 5xx", async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...users), queryString(["period", "format", "invoice"]), fc.option(fc.constantFrom(...pool, "pdf", "2024-01", "2026-11")), async (userId, qs, extra) => {
      session.userId = userId;
      const q = extra ? `${qs}&${["period", "invoice", "format"][extra.length % 3]}=${encodeURIComponent(extra)}` : qs;
      const where = `GET /api/statements?${q.slice(0, 200)} as ${userId}`;
      const { status } = await answer(await statements.GET(new Request(`http://localhost/api/statements?${q}`)), where);
      expect(status, where).toBeLessThan(500);
    }), fuzzOptions(80));
    session.userId = bankUser;
    expect((await statements.GET(new Request("http://localhost/api/statements?period=2024-01"))).status).toBe(200);
  }, 300_000);

  it("market key, zk keys and health answer whatever the request", async () => {
    for (const route of [() => marketKey.GET(), () => zkKeys.GET(), () => health.GET()]) {
      const res = await route();
      expect(res.status).toBeLessThan(500);
      await answer(res, "fixed route");
    }
  });
});
