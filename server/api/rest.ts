/**
 * The machine API: REST over the same procedures the web app calls, for systems holding an
 * organisation's API token (`Authorization: Bearer mkt_…`, server/accounts/api-tokens.ts).
 *
 * Each route names one tRPC procedure; the request is that procedure's input (JSON body for
 * POST, query parameters for GET, path parameters merged in), and the answer is its output as
 * plain JSON (big integers as decimal strings, times as ISO 8601). The OpenAPI 3.1 document is
 * generated from the procedures' own zod input and output schemas (zod's JSON Schema
 * export), so it cannot drift from what the server checks. Roles are checked by the same
 * composed procedures as in the web app; a token can only narrow them.
 *
 * Errors: { error: { code, reason, message, fieldErrors? } } with the HTTP status of the
 * tRPC code (400, 401, 403, 404, 409, 429, 503).
 */
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { z, ZodError } from "zod";
import { authenticateApiToken, recordApiTokenUse, type TokenActor } from "../accounts/api-tokens";
import type { Database } from "../db/client";
import { isAppError, retryAfterOf } from "../errors";
import { consume } from "../http/rate-limits";
import { appRouter, createCaller } from "./root";
import { createContext } from "./trpc";

type Route = { method: "GET" | "POST"; path: string; procedure: string; summary: string; tag: string };

/** What machines do (issue 19): catalog, products, orders, queries, consent, ledger, statements. */
export const restRoutes: Route[] = [
  { method: "GET", path: "/catalog/search", procedure: "catalog.search", summary: "Search the catalog of resources and products", tag: "catalog" },
  { method: "GET", path: "/products/{id}", procedure: "catalog.product", summary: "A listed product's page: terms, policy, holders, result shape", tag: "catalog" },
  { method: "GET", path: "/orders", procedure: "buyer.orders", summary: "The organisation's orders", tag: "orders" },
  { method: "POST", path: "/orders", procedure: "buyer.placeOrder", summary: "Place an order for a product", tag: "orders" },
  { method: "POST", path: "/orders/{orderId}/pay", procedure: "buyer.payOrder", summary: "Pay an approved order (or get the payment page)", tag: "orders" },
  { method: "POST", path: "/orders/{orderId}/cancel", procedure: "buyer.cancelOrder", summary: "Cancel an order", tag: "orders" },
  { method: "GET", path: "/invoices/{orderId}", procedure: "money.invoice", summary: "The invoice of a paid order", tag: "money" },
  { method: "GET", path: "/statements", procedure: "money.statement", summary: "The organisation's statement for a period", tag: "money" },
  { method: "GET", path: "/query-products", procedure: "buyer.products", summary: "Products the organisation may query", tag: "queries" },
  { method: "GET", path: "/query-signing-keys", procedure: "buyer.signingKeys", summary: "The organisation's query-signing keys", tag: "queries" },
  { method: "POST", path: "/query-signing-keys", procedure: "buyer.registerSigningKey", summary: "Register a query-signing key (public JWK)", tag: "queries" },
  { method: "POST", path: "/queries/prepare", procedure: "buyer.prepareQuery", summary: "The plan a query would run and its hash, to sign", tag: "queries" },
  { method: "POST", path: "/queries", procedure: "buyer.submitQuery", summary: "Submit a signed, encrypted aggregate query", tag: "queries" },
  { method: "GET", path: "/queries", procedure: "buyer.queries", summary: "The organisation's queries", tag: "queries" },
  { method: "GET", path: "/queries/{jobId}", procedure: "buyer.query", summary: "A query's status and, when done, its encrypted result", tag: "queries" },
  { method: "GET", path: "/privacy-budgets", procedure: "buyer.privacyBudgets", summary: "ε spent and left per dataset", tag: "queries" },
  { method: "GET", path: "/envelope-keys", procedure: "buyer.envelopeKeys", summary: "The organisation's envelope keys", tag: "consent" },
  { method: "POST", path: "/envelope-keys", procedure: "buyer.registerEnvelopeKey", summary: "Register an envelope key (public JWK)", tag: "consent" },
  { method: "GET", path: "/consent-requests", procedure: "buyer.consentRequests", summary: "Requests for individual records and their state", tag: "consent" },
  { method: "POST", path: "/consent-requests", procedure: "buyer.requestConsent", summary: "Ask a person for their record", tag: "consent" },
  { method: "POST", path: "/consent-requests/{requestId}/envelope", procedure: "buyer.deliverEnvelope", summary: "Fetch the sealed envelope of an approved request (once)", tag: "consent" },
  { method: "GET", path: "/ledger/checkpoint", procedure: "ledger.checkpoint", summary: "The current signed checkpoint", tag: "ledger" },
  { method: "GET", path: "/ledger/entries/{entryId}", procedure: "ledger.entry", summary: "One ledger entry with its inclusion proof", tag: "ledger" },
  { method: "GET", path: "/ledger/proof/inclusion", procedure: "ledger.inclusion", summary: "Inclusion proof of a leaf", tag: "ledger" },
  { method: "GET", path: "/ledger/proof/consistency", procedure: "ledger.consistency", summary: "Consistency proof between two tree sizes", tag: "ledger" },
  { method: "GET", path: "/ledger/mine", procedure: "ledger.mine", summary: "The organisation's own ledger events", tag: "ledger" },
];

type ProcDef = { type: "query" | "mutation"; inputs: z.ZodType[]; output?: z.ZodType; meta?: unknown };
const procedures = (appRouter as unknown as { _def: { procedures: Record<string, { _def: ProcDef }> } })._def.procedures;
const defOf = (name: string) => {
  const p = procedures[name];
  if (!p) throw new Error(`REST route names an unknown procedure ${name}`);
  return p._def;
};
const pathParams = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);

// ---------------------------------------------------------------------------------------------
// OpenAPI

type JsonSchema = Record<string, unknown> & { properties?: Record<string, JsonSchema>; required?: string[]; type?: unknown };

function jsonSchema(schema: z.ZodType | undefined, io: "input" | "output"): JsonSchema {
  if (!schema) return {};
  const out = z.toJSONSchema(schema, {
    io, target: "draft-2020-12", unrepresentable: "any",
    override: (ctx) => {
      const t = (ctx.zodSchema as unknown as { _zod: { def: { type: string } } })._zod.def.type;
      if (t === "bigint") Object.assign(ctx.jsonSchema, { type: "string", pattern: "^-?[0-9]+$", description: "an integer, as a decimal string" });
      if (t === "date") Object.assign(ctx.jsonSchema, { type: "string", format: "date-time" });
    },
  }) as JsonSchema;
  delete out.$schema;
  return out;
}

/** The input schema as an object schema (a procedure without input has none). */
function inputObject(def: ProcDef): JsonSchema {
  const s = def.inputs[0] ? jsonSchema(def.inputs[0], "input") : { type: "object", properties: {} };
  // An optional object input (e.g. statementInput.optional()) becomes the object itself.
  const anyOf = s.anyOf as JsonSchema[] | undefined;
  return anyOf?.find((x) => x.type === "object") ?? s;
}

const operationId = (r: Route) => r.procedure.replace(/\.(\w)/g, (_, c: string) => c.toUpperCase());

export function openApiDocument(baseUrl = "/api/v1") {
  const paths: Record<string, Record<string, unknown>> = {};
  const errorRef = { $ref: "#/components/schemas/Error" };
  for (const r of restRoutes) {
    const def = defOf(r.procedure);
    const input = inputObject(def);
    const inPath = pathParams(r.path);
    const props = input.properties ?? {};
    const required = new Set(input.required ?? []);
    const parameters = inPath.map((name) => ({ name, in: "path", required: true, schema: props[name] ?? { type: "string" } }));
    let requestBody: unknown;
    if (r.method === "GET") {
      for (const [name, schema] of Object.entries(props)) if (!inPath.includes(name)) parameters.push({ name, in: "query", required: required.has(name), schema });
    } else {
      const bodyProps = Object.fromEntries(Object.entries(props).filter(([k]) => !inPath.includes(k)));
      if (Object.keys(bodyProps).length) {
        requestBody = {
          required: true,
          content: { "application/json": { schema: { ...input, properties: bodyProps, required: [...required].filter((k) => !inPath.includes(k)) } } },
        };
      }
    }
    (paths[r.path] ??= {})[r.method.toLowerCase()] = {
      operationId: operationId(r), summary: r.summary, tags: [r.tag], parameters, ...(requestBody ? { requestBody } : {}),
      responses: {
        200: { description: "OK", content: { "application/json": { schema: jsonSchema(def.output, "output") } } },
        ...Object.fromEntries(["400", "401", "403", "404", "409", "429", "503"].map((s) => [s, { description: "Refused", content: { "application/json": { schema: errorRef } } }])),
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Privacy data marketplace API", version: "1",
      description: "What an organisation's systems do on the marketplace. Authenticate with an API token an admin of your organisation made (Organisation → API tokens): `Authorization: Bearer mkt_…`. Every use is recorded and rate-limited. Raw data never passes here: queries return ciphertexts only your key opens.",
    },
    servers: [{ url: baseUrl }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An organisation API token (mkt_…)" } },
      schemas: {
        Error: {
          type: "object", required: ["error"],
          properties: { error: { type: "object", required: ["code", "message"], properties: { code: { type: "string" }, reason: { type: ["string", "null"] }, message: { type: "string" }, fieldErrors: { type: "object" } } } },
        },
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Serving

/** Query-string values to the types the input schema declares (numbers, booleans, arrays). */
function coerce(value: string[], schema: JsonSchema | undefined): unknown {
  const types = ([] as unknown[]).concat(schema?.type ?? (schema?.anyOf as JsonSchema[] | undefined)?.map((s) => s.type) ?? []);
  if (types.includes("array")) return value.flatMap((v) => v.split(",")).map((v) => coerce([v], schema?.items as JsonSchema | undefined));
  const v = value[value.length - 1]!;
  if ((types.includes("integer") || types.includes("number")) && v.trim() !== "" && !Number.isNaN(Number(v))) return Number(v);
  if (types.includes("boolean") && (v === "true" || v === "false")) return v === "true";
  return v;
}

function match(method: string, path: string): { route: Route; params: Record<string, string> } | null {
  for (const route of restRoutes) {
    if (route.method !== method) continue;
    const names = pathParams(route.path);
    const re = new RegExp(`^${route.path.replace(/\{\w+\}/g, "([^/]+)")}$`);
    const m = re.exec(path);
    if (m) return { route, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])) };
  }
  return null;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)), {
    status, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });

const refusal = (status: number, code: string, message: string, extra: Record<string, unknown> = {}) => json(status, { error: { code, reason: null, message, ...extra } });

export type RestOptions = {
  db: Database;
  /** Called once per authenticated request before the procedure runs; throws a RATE_LIMITED AppError to refuse. Default: the `apiToken` limit (server/http/rate-limits.ts). */
  limit?: (token: TokenActor) => Promise<void>;
  ip?: string | null;
};

/** Serve one request to /api/v1/<path>. */
export async function handleRest(req: Request, path: string, o: RestOptions): Promise<Response> {
  if (path === "/openapi.json" && req.method === "GET") return json(200, openApiDocument());
  const found = match(req.method, path);
  if (!found) {
    const other = restRoutes.some((r) => new RegExp(`^${r.path.replace(/\{\w+\}/g, "[^/]+")}$`).test(path));
    return other ? refusal(405, "METHOD_NOT_ALLOWED", `${req.method} is not allowed on ${path}.`) : refusal(404, "NOT_FOUND", `No API endpoint ${path}: see /api/v1/openapi.json.`);
  }
  const auth = req.headers.get("authorization") ?? "";
  if (!/^Bearer\s+/i.test(auth)) return refusal(401, "UNAUTHORIZED", "Send an organisation API token: Authorization: Bearer mkt_…");
  let token: TokenActor;
  try {
    token = await authenticateApiToken(o.db.prisma, auth.replace(/^Bearer\s+/i, ""));
  } catch (e) {
    if (isAppError(e)) return json(401, { error: { code: "UNAUTHORIZED", reason: e.reason, message: e.message } }, { "www-authenticate": 'Bearer error="invalid_token"' });
    throw e;
  }
  const response = await (async () => {
    const { route, params } = found;
    const def = defOf(route.procedure);
    let input: Record<string, unknown> = {};
    if (route.method === "GET") {
      const props = inputObject(def).properties ?? {};
      const url = new URL(req.url);
      for (const key of new Set(url.searchParams.keys())) input[key] = coerce(url.searchParams.getAll(key), props[key]);
    } else {
      const text = await req.text();
      if (text.trim()) {
        let body: unknown;
        try { body = JSON.parse(text); } catch { return refusal(400, "BAD_REQUEST", "The body is not JSON."); }
        if (typeof body !== "object" || body === null || Array.isArray(body)) return refusal(400, "BAD_REQUEST", "The body is a JSON object.");
        input = body as Record<string, unknown>;
      }
    }
    input = { ...input, ...params };
    try {
      await (o.limit ?? ((t: TokenActor) => consume(o.db.prisma, "apiToken", t.tokenId)))(token);
      const ctx = await createContext({ db: o.db, userId: null, apiToken: token });
      const caller = createCaller(ctx) as unknown as Record<string, Record<string, (i?: unknown) => Promise<unknown>>>;
      const [ns, name] = route.procedure.split(".") as [string, string];
      const takesInput = def.inputs.length > 0;
      return json(200, await caller[ns]![name]!(takesInput ? input : undefined));
    } catch (e) {
      const err = e instanceof TRPCError ? e : isAppError(e) ? new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: e }) : null;
      if (!err) throw e;
      const cause = err.cause;
      if (err.code === "INTERNAL_SERVER_ERROR" && !(cause instanceof ZodError)) {
        if (isAppError(cause) && cause.code === "RATE_LIMITED") return json(429, { error: { code: "TOO_MANY_REQUESTS", reason: cause.reason, message: cause.message } }, { "retry-after": String(retryAfterOf({ code: "TOO_MANY_REQUESTS", cause })) });
        throw e;
      }
      const status = getHTTPStatusCodeFromError(err);
      return json(status, {
        error: {
          code: err.code, reason: isAppError(cause) ? cause.reason : null, message: err.message,
          ...(cause instanceof ZodError ? { fieldErrors: z.flattenError(cause).fieldErrors } : {}),
        },
      }, retryAfterOf(err) !== null ? { "retry-after": String(retryAfterOf(err)) } : {});
    }
  })();
  await recordApiTokenUse(o.db.prisma, { tokenId: token.tokenId, method: req.method, path, status: response.status, ip: o.ip }).catch((e: unknown) => console.error("[api] could not record a token use:", e));
  return response;
}
