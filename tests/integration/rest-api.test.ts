/**
 * The machine API as a bank's integration team would use it: nothing but `fetch`, an API
 * token an admin of the bank made, and the OpenAPI document the app serves. Every call below
 * is found in that document by its operationId and built from its path and parameters. The
 * journey: search the catalog, read a product, order and pay, register a signing key, run an
 * encrypted query against a real node and decrypt it locally, check a ledger entry's proof,
 * read the statement. Then what a token must not do.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET, POST } from "@/app/api/v1/[...path]/route";
import { decryptVector, generateKeys } from "@/core/he";
import { fromHex, leafHash, verifyInclusion } from "@/core/ledger";
import { vectorLength } from "@/core/protocol";
import { submitSignedQuery } from "@/core/signed-query";
import { decodeResult, type PlannedQuery } from "@/sdk/decode";
import { createCaller } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import { closeDb, getDb, type Database } from "@/server/db/client";
import { startQueryWorker } from "@/server/queries/worker";
import { seedDemoWorld } from "@/server/seed/demo";
import { procedureWorld, claimsQuery, type ProcedureWorld } from "../setup/procedure-world";
import { partyKey } from "../setup/parties";

type Operation = { path: string; method: string; parameters: { name: string; in: "path" | "query" }[] };

describe("the REST API with an organisation token, following its OpenAPI document", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "rest-api-"));
  const saved = { DATA_DIR: process.env.DATA_DIR, DATABASE_URL: process.env.DATABASE_URL };
  let db: Database;
  let world: ProcedureWorld;
  let server: Server;
  let base: string;
  let token: string;
  let operations: Map<string, Operation>;
  let worker: { stop: () => void };

  /** Call an operation of the document with a token: path parameters filled, the rest as query (GET) or JSON body. */
  async function call(operationId: string, input: Record<string, unknown> = {}, bearer = token) {
    const op = operations.get(operationId);
    if (!op) throw new Error(`The OpenAPI document has no operation ${operationId}`);
    let url = op.path;
    const rest = { ...input };
    for (const p of op.parameters.filter((x) => x.in === "path")) { url = url.replace(`{${p.name}}`, encodeURIComponent(String(rest[p.name]))); delete rest[p.name]; }
    const target = new URL(`${base}/api/v1${url}`);
    if (op.method === "get") for (const [k, v] of Object.entries(rest)) target.searchParams.set(k, Array.isArray(v) ? v.join(",") : String(v));
    const res = await fetch(target, {
      method: op.method.toUpperCase(), headers: { authorization: `Bearer ${bearer}`, ...(op.method === "post" ? { "content-type": "application/json" } : {}) },
      ...(op.method === "post" ? { body: JSON.stringify(rest) } : {}),
    });
    return { status: res.status, headers: res.headers, body: await res.json() as Record<string, unknown> & { error?: { code: string; reason: string | null; message: string } } };
  }
  const ok = async (operationId: string, input?: Record<string, unknown>) => {
    const r = await call(operationId, input);
    expect(r.status, `${operationId}: ${JSON.stringify(r.body.error)}`).toBe(200);
    return r.body as never;
  };

  beforeAll(async () => {
    process.env.DATA_DIR = dir;
    process.env.DATABASE_URL = "pglite:memory://"; // the route's getDb() opens this very database
    db = await getDb();
    await seedDemoWorld(db.prisma);
    world = await procedureWorld(db, dir);
    worker = startQueryWorker(getDb);
    server = createServer((req, res) => {
      const url = new URL(req.url!, "http://127.0.0.1");
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const m = /^\/api\/v1\/(.+)$/.exec(url.pathname);
        if (!m) { res.writeHead(404).end(); return; }
        const request = new Request(url, { method: req.method, headers: req.headers as Record<string, string>, ...(req.method === "POST" ? { body: Buffer.concat(chunks) } : {}) });
        const handler = req.method === "POST" ? POST : GET;
        handler(request, { params: Promise.resolve({ path: m[1]!.split("/").map(decodeURIComponent) }) })
          .then(async (r) => { res.writeHead(r.status, Object.fromEntries(r.headers)).end(await r.text()); })
          .catch((e: unknown) => { res.writeHead(500).end(String(e)); });
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    // An admin of the bank makes the token in the web app (the same procedure the page calls).
    const admin = createCaller(await createContext({ db, userId: world.id.bankUser }));
    token = (await admin.organisation.createApiToken({ name: "core banking", roles: ["BUYER"], expiresInDays: 30 })).token;

    const doc = await (await fetch(`${base}/api/v1/openapi.json`)).json() as { openapi: string; paths: Record<string, Record<string, { operationId: string; parameters: Operation["parameters"] }>> };
    expect(doc.openapi).toBe("3.1.0");
    operations = new Map(Object.entries(doc.paths).flatMap(([p, methods]) => Object.entries(methods).map(([method, op]) => [op.operationId, { path: p, method, parameters: op.parameters }] as const)));
  }, 240_000);

  afterAll(async () => {
    worker?.stop();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await world?.close();
    await closeDb();
    for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
    rmSync(dir, { recursive: true, force: true });
  });

  it("drives a buyer's journey end to end", async () => {
    // Find and read a product.
    const found = await ok("catalogSearch", { q: "Claims", kind: "PRODUCT" }) as { items: { refId: string; title: string; priceMinor: string | null }[] };
    const item = found.items.find((i) => i.refId === world.product)!;
    expect(item).toBeDefined();
    const product = await ok("catalogProduct", { id: world.product }) as { id: string; policy: unknown };
    expect(product.id).toBe(world.product);

    // Order (the holder decides on it; the query below draws on the bank's paid order).
    const order = await ok("buyerPlaceOrder", { productId: world.product, purpose: "insurance pricing", quantity: 5, idempotencyKey: crypto.randomUUID() }) as { id: string; status: string };
    expect(order.status).toBeTruthy();
    const orders = await ok("buyerOrders") as { id: string }[];
    expect(orders.some((o) => o.id === order.id)).toBe(true);

    // An encrypted query: the bank's own signing key and HE keys, made here; only public halves are sent.
    const key = await partyKey();
    await ok("buyerRegisterSigningKey", { publicJwk: key.publicJwk });
    const he = await generateKeys();
    const api = {
      buyer: {
        prepareQuery: { query: (i: object) => ok("buyerPrepareQuery", { ...i }) },
        submitQuery: { mutate: (i: object) => ok("buyerSubmitQuery", { ...i }) },
      },
    };
    const submitted = await submitSignedQuery(api as never, { productId: world.product, query: claimsQuery, publicKey: he.publicKey, signer: { privateKey: key.privateKey, thumbprint: key.thumbprint } }) as { id: string };
    type Job = { status: string; error: string | null; planned: PlannedQuery; result: { ciphertexts: string[]; suppressed: boolean[] } | null };
    let job: Job | null = null;
    for (let i = 0; i < 600; i++) {
      job = await ok("buyerQuery", { jobId: submitted.id }) as Job;
      if (job.status === "SUCCEEDED" || job.status === "FAILED") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(job!.error).toBeNull();
    expect(job!.status).toBe("SUCCEEDED");
    const vector = await decryptVector(he.secretKey, job!.result!.ciphertexts, vectorLength(job!.planned.plan as never));
    const rows = decodeResult(job!.planned, vector, job!.result!.suppressed);
    expect(rows.length).toBeGreaterThan(0);

    // The order on the ledger, with its inclusion proof checked here.
    await ok("ledgerCheckpoint"); // sequences what is queued
    const mine = await ok("ledgerMine", { type: "order.placed", limit: 5 }) as { entryId: string; objectId: string | null }[];
    const placed = mine.find((e) => e.objectId === order.id)!;
    const entry = await ok("ledgerEntry", { entryId: placed.entryId }) as { index: number; body: string; proof: string[]; checkpoint: { size: number; root: string } };
    verifyInclusion(leafHash(new TextEncoder().encode(entry.body)), entry.index, entry.checkpoint.size, entry.proof.map((h) => fromHex(h, 32)), fromHex(entry.checkpoint.root, 32));

    const statement = await ok("moneyStatement") as Record<string, unknown>;
    expect(statement).toBeTypeOf("object");

    // Every use was recorded against the token.
    const tokenRow = await db.prisma.apiToken.findFirstOrThrow({ where: { name: "core banking" }, include: { _count: { select: { uses: true } } } });
    expect(tokenRow._count.uses).toBeGreaterThan(8);
    expect(tokenRow.lastUsedAt).not.toBeNull();
  }, 240_000);

  it("answers bad input with 400 and the field, and refuses what the token may not do", async () => {
    const bad = await call("buyerPlaceOrder", { productId: "not-a-uuid", purpose: "", quantity: -1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error!.code).toBe("BAD_REQUEST");

    // No token, a forged one, a revoked one.
    expect((await call("buyerOrders", {}, "")).status).toBe(401);
    expect((await call("buyerOrders", {}, `mkt_${"0".repeat(32)}_${"A".repeat(43)}`)).status).toBe(401);
    const admin = createCaller(await createContext({ db, userId: world.id.bankUser }));
    const readOnly = await admin.organisation.createApiToken({ name: "catalog reader", roles: [], expiresInDays: 1 });
    // A token without the buyer role: the catalog yes, orders no.
    expect((await call("catalogProduct", { id: world.product }, readOnly.token)).status).toBe(200);
    const refused = await call("buyerOrders", {}, readOnly.token);
    expect(refused.status).toBe(403);
    await admin.organisation.revokeApiToken({ tokenId: readOnly.id });
    const revoked = await call("catalogProduct", { id: world.product }, readOnly.token);
    expect(revoked.status).toBe(401);
    expect(revoked.body.error!.message).toMatch(/revoked/);
    // A token of another organisation cannot name this one's objects: the bank's query is not the tax office's.
    const taxAdmin = createCaller(await createContext({ db, userId: world.id.taxUser }));
    const taxToken = (await taxAdmin.organisation.createApiToken({ name: "tax systems", roles: ["HOLDER"], expiresInDays: 1 })).token;
    expect((await call("buyerQuery", { jobId: world.delivered }, taxToken)).status).toBe(403);
    // Unknown paths and methods.
    expect((await fetch(`${base}/api/v1/nowhere`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
    expect((await fetch(`${base}/api/v1/orders`, { method: "DELETE" as never })).status).toBeGreaterThanOrEqual(400);
  });
});
