/**
 * The computation node's HTTP service. It answers only requests signed by the
 * marketplace, fresh, never seen before, and addressed to this node; it runs the plan on
 * the holder's own data, adds its noise share, masks its counts, encrypts the rest under
 * the buyer's key, and signs the answer. No row and no plaintext subtotal ever leaves.
 *
 *   GET  /v1/identity   → { name, nodeId, agreementKey, datasets }   (public)
 *   GET  /v1/witness    → { checkpoint, alarm }: the last ledger checkpoint this node accepted (public)
 *   POST /v1/aggregate  ← Signed<AggregateRequest>  → Signed<AggregateResponse>
 *   POST /v1/contribution ← Signed<ContributionRequest> → Signed<{ rows }>: this node's rows in the released groups of a query it answered
 *   POST /v1/subject-records ← Signed<SubjectRecordsRequest> → Signed<{ datasets }>: which datasets keep a record about a person (no values)
 *   POST /v1/envelope   ← Signed<EnvelopeRequest> → Signed<{ envelope }>: one person's record, under their consent, sealed to the buyer
 *   POST /v1/commitment ← Signed<CommitmentRequest> → Signed<DatasetCommitmentInfo>: the node's commitment to a dataset (docs/proofs.md)
 *   POST /v1/audit/chain ← Signed<AuditChainRequest> → Signed<{ accs }>: the running totals of a query it answered
 *   POST /v1/audit/prove ← Signed<AuditProveRequest> → Signed<{ chunks, release }>: Groth16 proofs of sampled chunks and the release
 */
import http from "node:http";
import path from "node:path";
import { computeVector } from "../aggregate/index";
import { createConnector } from "../aggregate/connectors";
import { maskCounts } from "../aggregate/masks";
import { encryptVector } from "../he";
import { aggregateRequest, auditChainRequest, auditProveRequest, commitmentRequest, contributionRequest, envelopeRequest, subjectRecordsRequest, type AggregateResponse, type AnswerCommitment } from "../protocol";
import { ProofError } from "../zk/node";
import { NodeProofs } from "../zk/service";
import { ConsentRefusal, verifyConsent } from "../consent";
import { envelopeHash, EnvelopeError, keyThumbprint, sealEnvelope, type EnvelopePublicJwk } from "@/sdk/envelope";

/** The column every person-level dataset keys its records by (the subject's opaque identifier). */
export const SUBJECT_COLUMN = "subject_ref";
import { ed25519PublicFromBase64, signPayload, verifyPayload } from "../signing";
import type { NodeConfig } from "./config";
import type { NodeIdentity } from "./identity";
import { ReplayGuard } from "./replay";
import { NodeWitness, WitnessRefusal } from "./witness";

/** Longest validity a request may claim, and the clock skew tolerated. */
const MAX_VALIDITY_MS = 5 * 60_000;
const SKEW_MS = 30_000;

export class NodeRefusal extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly size?: number) { super(message); }
}

/** Commit every dataset that has no current commitment (at start, in the background: it hashes every row). */
export async function commitAll(config: NodeConfig, proofs: NodeProofs, log: (line: string) => void = console.error) {
  for (const [name, dataset] of Object.entries(config.datasets)) {
    const connector = createConnector(dataset);
    try {
      const t0 = Date.now();
      const c = await proofs.commitment(name, connector);
      log(`[node ${config.name}] ${name}: committed ${c.rows} rows in chunks of ${c.chunkRows}${Date.now() - t0 > 50 ? ` (${((Date.now() - t0) / 1000).toFixed(1)} s)` : ""}`);
    } catch (e) {
      log(`[node ${config.name}] ${name}: cannot commit (${(e as Error).message})`);
    } finally {
      await connector.close?.();
    }
  }
}

export function createNodeServer(opts: { config: NodeConfig; identity: NodeIdentity; marketplacePublicKey: string; ledgerPublicKey: string; now?: () => number; proofs?: NodeProofs }) {
  const { config, identity } = opts;
  const now = opts.now ?? Date.now;
  const marketKey = ed25519PublicFromBase64(opts.marketplacePublicKey);
  const replay = new ReplayGuard(path.join(config.keysDir, "nonces.log"));
  const witness = new NodeWitness(config.keysDir, opts.ledgerPublicKey, config.ledgerOrigin, config.name);
  const proofs = opts.proofs ?? new NodeProofs(config.keysDir, config.chunkRows);
  // Per-group counts of recent queries, kept briefly for the contribution round (counts only).
  const recent = new Map<string, { counts: bigint[]; at: number }>();
  const RECENT_MS = 10 * 60_000;
  const remember = (queryId: string, counts: bigint[]) => {
    const t = now();
    for (const [k, v] of recent) if (t - v.at > RECENT_MS || recent.size > 1000) recent.delete(k);
    recent.set(queryId, { counts, at: t });
  };

  /** Signature, freshness, addressee and nonce: the checks every market request passes. */
  function checkSigned(body: unknown) {
    if (typeof body !== "object" || body === null || !("payload" in body) || !("signature" in body)) {
      throw new NodeRefusal(401, "UNSIGNED", "Requests must be signed by the marketplace: { payload, signature }.");
    }
    const signed = body as { payload: unknown; signature: unknown };
    if (!verifyPayload("market-request", signed, marketKey)) throw new NodeRefusal(401, "BAD_SIGNATURE", "The signature does not verify against the marketplace's key.");
    return signed.payload;
  }
  function checkFresh(req: { nodeId: string; issuedAt: number; expiresAt: number; nonce: string }) {
    const t = now();
    if (req.nodeId !== identity.nodeId) throw new NodeRefusal(403, "WRONG_NODE", "This request is addressed to another node.");
    if (req.expiresAt <= t) throw new NodeRefusal(401, "EXPIRED", "The request has expired.");
    if (req.issuedAt > t + SKEW_MS || req.expiresAt - req.issuedAt > MAX_VALIDITY_MS) throw new NodeRefusal(401, "BAD_VALIDITY", "The request's validity window is not acceptable.");
  }

  /** A market request of a given schema: signed, well-formed, fresh, addressed here, never seen. */
  function accept<T extends { nodeId: string; issuedAt: number; expiresAt: number; nonce: string }>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, body: unknown): T {
    const parsed = schema.safeParse(checkSigned(body));
    if (!parsed.success) throw new NodeRefusal(400, "BAD_REQUEST", `Malformed request: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    checkFresh(parsed.data);
    if (!replay.accept(parsed.data.nonce, parsed.data.expiresAt)) throw new NodeRefusal(409, "REPLAYED", "This request was already served.");
    return parsed.data;
  }
  async function handleEnvelope(body: unknown) {
    const req = accept(envelopeRequest, body);
    // The node trusts no one's word for the consent: it checks the token itself.
    let claims;
    try {
      claims = await verifyConsent(req.consent, marketKey, { buyerOrgId: req.buyerOrgId, purpose: req.purpose, fields: req.fields, now: new Date(now()) });
    } catch (e) {
      if (e instanceof ConsentRefusal) throw new NodeRefusal(403, e.code, e.message);
      throw e;
    }
    if (claims.rid !== req.requestId || claims.dataset !== req.dataset) throw new NodeRefusal(403, "BAD_CONSENT", "The consent was given for another request or dataset.");
    let thumbprint: string;
    try { thumbprint = await keyThumbprint(req.buyerKey); } catch (e) { throw new NodeRefusal(400, "BAD_KEY", (e as EnvelopeError).message); }
    if (thumbprint !== claims.ekt) throw new NodeRefusal(403, "WRONG_KEY", "The consent names another envelope key of the buyer.");
    const connector = datasetOf(req.dataset);
    try {
      const record = await connector.record(SUBJECT_COLUMN, claims.sub, req.fields);
      if (!record) throw new NodeRefusal(404, "SUBJECT_NOT_FOUND", "This holder keeps no record about this person.");
      const envelope = await sealEnvelope({ subject: claims.sub, resource: claims.res, holder: config.name, fields: record, sealedAt: new Date(now()).toISOString() }, req.buyerKey as EnvelopePublicJwk);
      return signPayload("node-response", { type: "envelope-result", requestId: req.requestId, nodeId: identity.nodeId, envelope, envelopeHash: envelopeHash(envelope) }, identity.signingKey);
    } finally {
      await connector.close?.();
    }
  }

  async function handleSubjectRecords(body: unknown) {
    const req = accept(subjectRecordsRequest, body);
    const datasets: string[] = [];
    for (const [name, dataset] of Object.entries(config.datasets)) {
      const connector = createConnector(dataset);
      try {
        if (await connector.record(SUBJECT_COLUMN, req.subjectRef, [SUBJECT_COLUMN])) datasets.push(name);
      } catch (e) {
        if ((e as { code?: string }).code !== "UNKNOWN_COLUMN") throw e; // not a person-level dataset
      } finally {
        await connector.close?.();
      }
    }
    return signPayload("node-response", { type: "subject-records-result", nodeId: identity.nodeId, subjectRef: req.subjectRef, datasets }, identity.signingKey);
  }

  async function handleContribution(body: unknown) {
    const req = accept(contributionRequest, body);
    const seen = recent.get(req.queryId);
    if (!seen) throw new NodeRefusal(404, "UNKNOWN_QUERY", "This node answered no such query recently.");
    if (seen.counts.length !== req.released.length) throw new NodeRefusal(400, "BAD_REQUEST", `The query had ${seen.counts.length} groups, not ${req.released.length}.`);
    const rows = seen.counts.reduce((a, c, g) => (req.released[g] ? a + c : a), 0n);
    return signPayload("node-response", { type: "contribution-result", queryId: req.queryId, nodeId: identity.nodeId, rows: rows.toString() }, identity.signingKey);
  }

  function datasetOf(name: string) {
    const dataset = config.datasets[name];
    if (!dataset) throw new NodeRefusal(404, "UNKNOWN_DATASET", `This node serves no dataset named ${name}.`);
    return createConnector(dataset);
  }
  async function withProofs<T>(name: string, fn: (connector: ReturnType<typeof createConnector>) => Promise<T>): Promise<T> {
    const connector = datasetOf(name);
    try {
      return await fn(connector);
    } catch (e) {
      if (e instanceof ProofError) throw new NodeRefusal(e.code === "BAD_REQUEST" ? 400 : 422, e.code, e.message);
      throw e;
    } finally {
      await connector.close?.();
    }
  }

  async function handleCommitment(body: unknown) {
    const req = accept(commitmentRequest, body);
    const c = await withProofs(req.dataset, (connector) => proofs.commitment(req.dataset, connector, req.refresh));
    const { digest: _digest, chunkRoots: _roots, ...info } = c;
    return signPayload("node-response", { type: "commitment-result", nodeId: identity.nodeId, ...info }, identity.signingKey);
  }

  async function handleAuditChain(body: unknown) {
    const req = accept(auditChainRequest, body);
    const accs = await withProofs(req.plan.dataset, (connector) => proofs.revealChain(req.plan.dataset, connector, req.plan, req.queryId, req.root));
    return signPayload("node-response", { type: "audit-chain-result", queryId: req.queryId, nodeId: identity.nodeId, accs }, identity.signingKey);
  }

  async function handleAuditProve(body: unknown) {
    const req = accept(auditProveRequest, body);
    const result = await withProofs(req.plan.dataset, (connector) => proofs.prove(req.plan.dataset, connector, req.plan, req.queryId, req.root, req.chunks, req.released, req.k));
    return signPayload("node-response", { type: "audit-prove-result", queryId: req.queryId, nodeId: identity.nodeId, ...result }, identity.signingKey);
  }

  async function handleAggregate(body: unknown) {
    const parsed = aggregateRequest.safeParse(checkSigned(body));
    if (!parsed.success) throw new NodeRefusal(400, "BAD_REQUEST", `Malformed request: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    const req = parsed.data;
    checkFresh(req);
    if (!req.peers.some((p) => p.nodeId === identity.nodeId && p.x25519 === identity.agreementPublic)) {
      throw new NodeRefusal(403, "WRONG_NODE", "This node is not among the request's peers with its registered keys.");
    }
    if (req.plan.noise && req.plan.noise.parties !== req.peers.length) throw new NodeRefusal(400, "BAD_REQUEST", "Noise must be shared by exactly the participating nodes.");
    const dataset = config.datasets[req.plan.dataset];
    if (!dataset) throw new NodeRefusal(404, "UNKNOWN_DATASET", `This node serves no dataset named ${req.plan.dataset}.`);
    // Accept the nonce only once the request is otherwise valid, so garbage cannot fill the log.
    if (!replay.accept(req.nonce, req.expiresAt)) throw new NodeRefusal(409, "REPLAYED", "This request was already served.");
    // Serve only a marketplace whose ledger extends what this node saw before.
    let witnessedSize: number;
    try {
      witnessedSize = witness.check(req.ledger);
    } catch (e) {
      if (e instanceof WitnessRefusal) throw new NodeRefusal(e.status, e.code, e.message, e.size);
      throw e;
    }

    const connector = createConnector(dataset);
    try {
      const { counts, vector } = await computeVector(connector, req.plan);
      const maskedCounts = maskCounts({ queryId: req.queryId, self: { nodeId: identity.nodeId, x25519PrivateKey: identity.agreementKey }, peers: req.peers, counts });
      const ciphertexts = await encryptVector(req.publicKey, vector);
      remember(req.queryId, counts);
      let commitment: AnswerCommitment;
      try {
        commitment = await proofs.answer(req.plan.dataset, connector, req.plan, req.queryId);
      } catch (e) {
        // The answer stands; it just cannot be audited.
        console.error(`[node ${config.name}] cannot commit to this answer:`, e);
        commitment = { notProvable: `the node could not commit to its answer (${(e as Error).message.slice(0, 200)})` };
      }
      const payload: AggregateResponse = { type: "aggregate-result", queryId: req.queryId, nodeId: identity.nodeId, maskedCounts, ciphertexts, witnessedSize, commitment };
      return signPayload("node-response", payload, identity.signingKey);
    } finally {
      await connector.close?.();
    }
  }

  const server = http.createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.method === "GET" && req.url === "/v1/identity") {
        return send(200, { name: config.name, nodeId: identity.nodeId, agreementKey: identity.agreementPublic, datasets: Object.keys(config.datasets) });
      }
      if (req.method === "GET" && req.url === "/v1/witness") return send(200, { checkpoint: witness.last, alarm: witness.alarm });
      const handlers = {
        "/v1/aggregate": handleAggregate, "/v1/contribution": handleContribution, "/v1/envelope": handleEnvelope, "/v1/subject-records": handleSubjectRecords,
        "/v1/commitment": handleCommitment, "/v1/audit/chain": handleAuditChain, "/v1/audit/prove": handleAuditProve,
      } as const;
      if (req.method === "POST" && req.url && Object.hasOwn(handlers, req.url)) {
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of req) {
          size += (chunk as Buffer).length;
          if (size > config.maxRequestBytes) throw new NodeRefusal(413, "TOO_LARGE", `Requests are limited to ${config.maxRequestBytes} bytes.`);
          chunks.push(chunk as Buffer);
        }
        let body: unknown;
        try { body = JSON.parse(Buffer.concat(chunks).toString("utf8")); } catch { throw new NodeRefusal(400, "BAD_REQUEST", "The body is not JSON."); }
        return send(200, await handlers[req.url as keyof typeof handlers](body));
      }
      send(404, { error: { code: "NOT_FOUND", message: "No such endpoint." } });
    } catch (e) {
      if (e instanceof NodeRefusal) return send(e.status, { error: { code: e.code, message: e.message, ...(e.size !== undefined ? { size: e.size } : {}) } });
      const err = e as { code?: string; message?: string };
      // Errors of the aggregation or of HE input (a value out of range, a malformed key) are the caller's to fix.
      if (err.code && typeof err.code === "string" && /^[A-Z_]+$/.test(err.code)) return send(422, { error: { code: err.code, message: err.message } });
      console.error(`[node ${config.name}]`, e);
      send(500, { error: { code: "INTERNAL", message: "The node failed to compute this request." } });
    }
  });
  return server;
}
