/**
 * Bad input never crashes a computation node (issue 18): a real node process (computation/node/main.ts,
 * started as the integration suites start one) is hit over HTTP on every endpoint of its route table
 * with random bodies, truncated and oversized bodies, wrong content types, bodies that claim to be
 * sealed, well-formed requests signed by an attacker's own key, and requests signed by the
 * marketplace's key (the operator may be malicious) whose payloads follow the protocol's schemas
 * with mutated fields, malformed base64 keys and ciphertexts among them.
 * Properties: never a 5xx, a JSON error body on refusal, an attacker's signature refused as such,
 * and afterwards the node is alive, answers its identity, and its memory has not run away.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { claimsNodePolicy, personNodePolicy } from "@/computation/demo/holder";
import { CLAIM_COLUMNS, claims, writeCsv } from "@/computation/demo/generate";
import { startNode, type RunningNode } from "@/computation/demo/nodes";
import {
  aggregateRequest, auditChainRequest, auditProveRequest, bindSubjectRequest, commitmentRequest, contributionRequest, enrolHolderRequest, envelopeRequest, subjectRecordsRequest,
} from "@/core/protocol";
import { signPayload } from "@/core/signing";
import { SEALED_TYPE, sealRequest } from "@/core/transport";
import { marketSigningKey } from "@/server/keys";
import { writeNodeConfig } from "../setup/parties";
import { fromSchema, fuzzOptions, HUGE, PROTO_KEYS } from "./arbitraries";

/** The node's market-signed endpoints and the schema of each one's payload (computation/node/server.ts). */
const signedEndpoints: Record<string, unknown> = {
  "/v1/aggregate": aggregateRequest, "/v1/contribution": contributionRequest, "/v1/envelope": envelopeRequest, "/v1/subject-records": subjectRecordsRequest,
  "/v1/subject/bind": bindSubjectRequest, "/v1/holder/enrol": enrolHolderRequest, "/v1/commitment": commitmentRequest,
  "/v1/audit/chain": auditChainRequest, "/v1/audit/prove": auditProveRequest,
};
/** Every POST route: the signed ones, the holder-signed policy change, the witness cosigning. */
const postRoutes = [...Object.keys(signedEndpoints), "/v1/policy", "/v1/witness/add-checkpoint"];
/** The node's V8 heap limit in this suite (MiB). */
const HEAP_MB = 160;
const getRoutes = ["/v1/identity", "/v1/witness", "/v1/policy"];

/** Base64 that is not a key or ciphertext: wrong length, wrong alphabet, random bytes, huge. */
const badBase64 = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString("base64")),
  fc.constantFrom("", "====", "!!!!", "AAAA", "XqA=", Buffer.from("SEAL").toString("base64"), "A".repeat(1_900_000), `${"A".repeat(100)}=A`),
  fc.string({ maxLength: 40 }),
);

describe("fuzzing a computation node over HTTP", () => {
  let node: RunningNode;
  const dir = path.join(tmpdir(), `fuzz-node-${randomBytes(4).toString("hex")}`);
  const attacker = generateKeyPairSync("ed25519").privateKey;
  const statuses = new Map<number, number>();
  let rssBefore = 0;

  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${node.process.pid}/status`, "utf8"))![1]) * 1024;

  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    process.env.DATA_DIR = dir; // the marketplace's keys, which the node trusts
    process.env.NODE_COMMIT_ON_START = "off";
    await writeCsv(path.join(dir, "claims.csv"), CLAIM_COLUMNS, claims(7, 200, 0));
    writeFileSync(path.join(dir, "people.csv"), "subject_ref,monthly_base,months_paid\nQC-SUBJ-0001,18200,96\n");
    const { config } = await writeNodeConfig(dir, {
      name: "fuzz", datasets: { claims: { kind: "csv", path: "claims.csv" }, contributions: { kind: "csv", path: "people.csv" } },
      policies: { claims: claimsNodePolicy(), contributions: personNodePolicy() }, extra: { maxRequestBytes: 2_500_000 },
    });
    // A small heap for the node: memory that runs away kills it (out of memory) and the last test sees it dead.
    const options = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = `${options ?? ""} --max-old-space-size=${HEAP_MB}`.trim();
    try { node = await startNode(config, { name: "fuzz" } as never); } finally { if (options === undefined) delete process.env.NODE_OPTIONS; else process.env.NODE_OPTIONS = options; }
    await fetch(`${node.url}/v1/identity`);
    rssBefore = rss();
  }, 120_000);
  afterEach((t) => { if (process.env.FUZZ_RSS) console.log(`RSS after ${t.task.name}: ${Math.round(rss() / 2 ** 20)} MiB`); });
  afterAll(() => {
    if (node?.process.exitCode === null) node.process.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });

  /** One request; fails on a 5xx, on no answer in 60 s, or on a refusal that is not a JSON error. */
  const send = async (method: string, route: string, body?: string | Uint8Array, contentType = "application/json") => {
    let res: Response;
    try {
      res = await fetch(`${node.url}${route}`, { method, body: body as BodyInit | undefined, headers: body === undefined ? {} : { "content-type": contentType }, signal: AbortSignal.timeout(60_000) });
    } catch (e) {
      // A body past the node's limit is refused with 413 and the connection closed: a client still
      // uploading may see the reset instead of the answer. Anything else (a hang, a refused
      // connection: a dead node) fails.
      const code = ((e as Error).cause as { code?: string } | undefined)?.code;
      if ((body?.length ?? 0) > 60_000 && (code === "EPIPE" || code === "ECONNRESET" || code === "UND_ERR_SOCKET")) {
        statuses.set(0, (statuses.get(0) ?? 0) + 1);
        return { status: 413, text: "", where: `${route}: reset while uploading ${body!.length} bytes`, type: "" };
      }
      throw e;
    }
    const text = await res.text();
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    const where = `${method} ${route} (${contentType}) ${typeof body === "string" ? body.slice(0, 300) : `${body?.length ?? 0} bytes`} → ${res.status} ${text.slice(0, 300)}`;
    expect(res.status, where).toBeLessThan(500);
    return { status: res.status, text, where, type: res.headers.get("content-type") ?? "" };
  };
  const refusal = (r: { status: number; text: string; where: string; type: string }) => {
    if (r.status < 400 || !r.type.includes("json") || r.type.includes(SEALED_TYPE)) return null;
    const e = (JSON.parse(r.text) as { error?: { code?: unknown; message?: unknown } }).error;
    expect(typeof e?.code, r.where).toBe("string");
    return e!.code as string;
  };

  it("random, truncated, oversized and mistyped bodies on every POST route", async () => {
    const body = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc.constantFrom("", "{", "[".repeat(100_000), "{\"payload\":", "null", "{\"payload\":{},\"signature\":\"" + "A".repeat(88) + "\"}", JSON.stringify({ payload: null, signature: null }), JSON.stringify({ v: 1, epk: "x", iv: "y", ct: "z", tag: "w" })),
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify({ payload: v, signature: randomBytes(64).toString("base64") }).slice(0, 40)),
      fc.constant(`{"pad":"${HUGE.repeat(9)}"}`), // past maxRequestBytes
    );
    const contentType = fc.constantFrom("application/json", SEALED_TYPE, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "");
    await fc.assert(fc.asyncProperty(fc.constantFrom(...postRoutes), body, contentType, async (route, b, type) => {
      const r = await send("POST", route, b, type);
      if (route !== "/v1/witness/add-checkpoint") expect(r.status, r.where).toBeGreaterThanOrEqual(400);
      refusal(r);
    }), fuzzOptions(120));
  }, 300_000);

  it("wrong methods and unknown paths", async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom("GET", "PUT", "DELETE", "PATCH", "POST"), fc.oneof(fc.constantFrom(...postRoutes, ...getRoutes, "/", "/v1", "/v1/../v1/identity", "/v1/identity?x=1", "//v1/policy", "/v1/__proto__", "/v1/constructor", "/v1/hasOwnProperty"), fc.webPath()), async (method, route) => {
      const r = await send(method, route, method === "GET" ? undefined : "{}");
      refusal(r);
    }), fuzzOptions(60));
  }, 300_000);

  /** A payload shaped by `schema`, fresh and addressed to this node so it gets past the envelope checks. */
  const payloadFor = (schema: unknown) => fromSchema(schema, [node.nodeId, node.agreementKey, "claims", "contributions", "QC-SUBJ-0001", ...PROTO_KEYS])
    .chain((p) => fc.tuple(fc.constant(p), fc.boolean(), badBase64, badBase64))
    .map(([p, fresh, key, ct]) => {
      if (p === null || typeof p !== "object" || Array.isArray(p) || !fresh) return p;
      const t = Date.now();
      const o = p as Record<string, unknown>;
      return {
        ...o, nodeId: node.nodeId, issuedAt: t, expiresAt: t + 60_000, nonce: randomBytes(18).toString("base64url"),
        ...("publicKey" in o ? { publicKey: key } : {}), ...("ciphertexts" in o ? { ciphertexts: [ct] } : {}),
      };
    });

  it("well-formed requests signed by an attacker's own key are refused as unsigned by the marketplace", async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...Object.keys(signedEndpoints)).chain((route) => fc.tuple(fc.constant(route), payloadFor(signedEndpoints[route]))), async ([route, payload]) => {
      let json: string;
      try { json = JSON.stringify(signPayload("market-request", payload, attacker)); } catch { return; } // not JSON-serialisable: nothing to send
      const r = await send("POST", route, json);
      expect(refusal(r), r.where).toBe("BAD_SIGNATURE");
    }), fuzzOptions(80));
  }, 300_000);

  it("requests signed by the marketplace, plain or sealed, with mutated fields and malformed keys and ciphertexts", async () => {
    const market = marketSigningKey().privateKey;
    await fc.assert(fc.asyncProperty(fc.constantFrom(...Object.keys(signedEndpoints)).chain((route) => fc.tuple(fc.constant(route), payloadFor(signedEndpoints[route]), fc.boolean())), async ([route, payload, sealed]) => {
      let json: string;
      try { json = JSON.stringify(signPayload("market-request", payload, market)); } catch { return; }
      if (!sealed) { refusal(await send("POST", route, json)); return; }
      const { body } = sealRequest(node.agreementKey, json);
      await send("POST", route, JSON.stringify(body), SEALED_TYPE);
    }), fuzzOptions(150));
  }, 300_000);

  it("holder-signed policy changes with forged signatures and mutated statements", async () => {
    const statement = fc.record({
      type: fc.constantFrom("node-policy", "nope"), nodeId: fc.oneof(fc.constant("SELF"), fc.string({ maxLength: 10 })), dataset: fc.constantFrom("claims", "contributions", "nope", "__proto__", "constructor"),
      version: fc.oneof(fc.integer({ min: -1, max: 1000 }), fc.double()), policy: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(claimsNodePolicy())),
    }, { requiredKeys: ["type"] });
    await fc.assert(fc.asyncProperty(statement, badBase64, async (s, signature) => {
      const st = s.nodeId === "SELF" ? { ...s, nodeId: node.nodeId } : s;
      const r = await send("POST", "/v1/policy", JSON.stringify({ statement: st, signature: signature.slice(0, 300) }));
      expect(r.status, r.where).toBeGreaterThanOrEqual(400);
      refusal(r);
    }), fuzzOptions(60));
  }, 300_000);

  // The crashes the fuzz found, pinned.
  it("refuses a dataset named after an Object.prototype property as unknown (was a 500)", async () => {
    for (const dataset of ["hasOwnProperty", "constructor", "__proto__", "toString"]) {
      const t = Date.now();
      const payload = { type: "commitment", nodeId: node.nodeId, dataset, refresh: false, issuedAt: t, expiresAt: t + 60_000, nonce: randomBytes(18).toString("base64url") };
      const r = await send("POST", "/v1/commitment", JSON.stringify(signPayload("market-request", payload, marketSigningKey().privateKey)));
      expect(refusal(r), r.where).toBe("UNKNOWN_DATASET");
    }
  });

  it("answers the next request after refusing an oversized one (it used to hang)", async () => {
    for (let i = 0; i < 3; i++) {
      expect((await send("POST", "/v1/envelope", `{"pad":"${HUGE.repeat(9)}"}`)).status).toBe(413);
      for (const body of ["1", "[".repeat(100_000)]) expect((await send("POST", "/v1/envelope", body)).status).toBeGreaterThanOrEqual(400);
    }
  }, 120_000);

  it("is alive afterwards: answers its identity and policy, and its memory did not run away", async () => {
    expect(node.process.exitCode).toBeNull();
    const id = await fetch(`${node.url}/v1/identity`);
    expect(id.status).toBe(200);
    expect(((await id.json()) as { nodeId: string }).nodeId).toBe(node.nodeId);
    expect((await fetch(`${node.url}/v1/policy`)).status).toBe(200);
    const grown = rss() - rssBefore;
    console.log(`node fuzz: responses by status ${JSON.stringify(Object.fromEntries(statuses))}; node RSS ${Math.round(rssBefore / 2 ** 20)} → ${Math.round(rss() / 2 ** 20)} MiB`);
    expect(grown, "node RSS growth over the fuzz run").toBeLessThan(512 * 2 ** 20);
  });
});
