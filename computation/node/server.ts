/**
 * The computation node's HTTP service: the holder's own gatekeeper. Every request must be
 * signed by the marketplace (it relays), fresh, never seen before and addressed here; but
 * what the node releases is decided here, on evidence the marketplace cannot make:
 *  - an aggregate only for a query the buyer signed with a key registered on the ledger,
 *    recorded on the ledger before any node computes, over the sources the holder approved,
 *    within the holder's own policy and ε budgets (core/policy.ts), once per query id;
 *  - a person's record only under that person's own signed consent, against the key bound at
 *    this node, spent once in this node's own journal;
 *  - nothing for a buyer or product the supervisor suspended on the ledger.
 * Bodies are sealed to the node's X25519 key (core/transport.ts); plain JSON only on loopback.
 * It runs the plan on the holder's own data, adds its noise share, masks its counts, encrypts
 * the rest under the buyer's key, and signs the answer. No row and no plaintext subtotal leaves.
 *
 *   GET  /v1/identity   → { name, nodeId, agreementKey, datasets }   (public)
 *   GET  /v1/witness    → { checkpoint, alarm }: the last ledger checkpoint this node accepted (public)
 *   GET  /v1/policy     → Signed<{ policies, accounts }>: the holder's policy per dataset and the ε all buyers spent on it this period (public, signed by the node)
 *   POST /v1/policy     ← a policy change signed by the holder's own key → Signed<{ dataset, version }>
 *   POST /v1/holder/enrol ← EnrolHolderRequest (MAC under the node's enrolment code) → Signed<{ thumbprint }>: a holder's browser key
 *   POST /v1/subject/bind ← BindSubjectRequest (MAC under the holder's activation code) → Signed<{ bindingHash }>
 *   POST /v1/aggregate  ← Signed<AggregateRequest>  → Signed<AggregateResponse>
 *   POST /v1/contribution ← Signed<ContributionRequest> → Signed<{ rows }>: this node's rows in the released groups of a query it answered
 *   POST /v1/subject-records ← Signed<SubjectRecordsRequest> → Signed<{ datasets }>: on the person's own signed request, which datasets keep a record about them (no values)
 *   POST /v1/envelope   ← Signed<EnvelopeRequest> → Signed<{ envelope }>: one person's record, under their own signed consent, sealed to the buyer
 *   POST /v1/commitment ← Signed<CommitmentRequest> → Signed<DatasetCommitmentInfo>: the node's commitment to a dataset (docs/proofs.md)
 *   POST /v1/audit/chain ← Signed<AuditChainRequest> → Signed<{ accs }>: the running totals of a query it answered
 *   POST /v1/audit/prove ← Signed<AuditProveRequest> → Signed<{ chunks, release }>: Groth16 proofs of sampled chunks and the release
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { z } from "zod";
import { computeVector } from "../aggregate/index";
import { AggregateError, createConnector } from "../aggregate/connectors";
import { maskCounts } from "@/core/masks";
import { discreteLaplace } from "../aggregate/noise";
import { encryptVector } from "@/core/he";
import {
  aggregateRequest, auditChainRequest, CONTRIBUTION_EPSILON, groupCount, enrolHolderRequest, auditProveRequest, bindSubjectRequest, blockWidths, commitmentRequest, contributionRequest, envelopeRequest, nodePlan,
  subjectRecordsRequest, type AggregateResponse, type AnswerCommitment, type LedgerEntryProof, type LedgerHead,
} from "@/core/protocol";
import { checkPlan, nodeDatasetPolicy, PolicyRefusal, type NodeDatasetPolicy } from "@/core/policy";
import { ProofError } from "../zk/node";
import { NodeProofs } from "../zk/service";
import { envelopeHash, EnvelopeError, keyThumbprint, sealEnvelope, type EnvelopePublicJwk } from "@/core/envelope";
import { type SignedCheckpoint } from "@/core/ledger";
import { canonicalJson } from "@/core/canonical-json";
import {
  bindingMac, consentStatement, enrolmentMac, planHash, signingKeyThumbprint, signingPublicJwk, subjectRecordsStatement, verifyStatement, type Statement,
} from "@/core/statements";
import { ed25519PublicFromBase64, signPayload, verifyPayload } from "@/core/signing";
import type { NodeConfig } from "./config";
import { activeSuspensions, checkFreshCheckpoint, checkQueryEvidence, EvidenceRefusal } from "./evidence";
import type { NodeIdentity } from "./identity";
import { NodeJournal } from "./journal";
import { ReplayGuard } from "./replay";
import { cosignCheckpoint } from "./cosigner";
import { NodeWitness, WitnessRefusal } from "./witness";
import { SUBJECT_COLUMN } from "@/core/subject";
import { openRequest, SEALED_TYPE, sealedBody, type SealedBody } from "@/core/transport";

const isLoopback = (address: string | undefined) => address === "127.0.0.1" || address === "::1" || address === "::ffff:127.0.0.1";

export { SUBJECT_COLUMN };

/** Longest validity a request may claim, and the clock skew tolerated. */
const MAX_VALIDITY_MS = 5 * 60_000;
const SKEW_MS = 30_000;

export class NodeRefusal extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly size?: number) { super(message); }
}

/** Commit every dataset that has no current commitment (at start, in the background, in a worker thread: it hashes every row). */
export async function commitAll(config: NodeConfig, proofs: NodeProofs, log: (line: string) => void = console.error) {
  for (const [name, dataset] of Object.entries(config.datasets)) {
    try {
      const t0 = Date.now();
      const c = await proofs.commitment(name, dataset);
      log(`[node ${config.name}] ${name}: committed ${c.rows} rows in chunks of ${c.chunkRows}${Date.now() - t0 > 50 ? ` (${((Date.now() - t0) / 1000).toFixed(1)} s)` : ""}`);
    } catch (e) {
      log(`[node ${config.name}] ${name}: cannot commit (${(e as Error).message})`);
    }
  }
}

/** A holder-signed policy change (core/statements.ts "node-policy"). */
const policyChange = z.object({
  statement: z.object({ type: z.literal("node-policy"), nodeId: z.string(), dataset: z.string(), version: z.number().int().min(1), policy: z.unknown() }).strict(),
  signature: z.string().max(200),
});

export function createNodeServer(opts: { config: NodeConfig; identity: NodeIdentity; marketplacePublicKey: string; ledgerPublicKey: string; now?: () => number; proofs?: NodeProofs }) {
  const { config, identity } = opts;
  const now = opts.now ?? Date.now;
  const marketKey = ed25519PublicFromBase64(opts.marketplacePublicKey);
  const replay = new ReplayGuard(path.join(config.keysDir, "nonces.log"));
  const witness = new NodeWitness(config.keysDir, opts.ledgerPublicKey, config.ledgerOrigin, config.name);
  const proofs = opts.proofs ?? new NodeProofs(config.keysDir, config.chunkRows);
  // Per-group counts of recent queries, kept for the contribution round (counts only), in the
  // journal so a node restarted between the rounds still answers (NODE_COUNTS_RETENTION_MS, 10 min).
  const journal = new NodeJournal(path.join(config.keysDir, "journal.jsonl"), Number(process.env.NODE_COUNTS_RETENTION_MS ?? 10 * 60_000), now);
  const remember = (queryId: string, counts: bigint[], suppressed?: boolean[]) => journal.rememberCounts(queryId, counts, suppressed, now());
  const recent = { get: (queryId: string) => journal.countsOf(queryId) };

  /** The holder's policy of a dataset: the config file's, or a later version the holder signed. */
  function policyOf(dataset: string): NodeDatasetPolicy | null {
    const fromFile = config.policies[dataset];
    const signed = journal.policies.get(dataset);
    if (signed && signed.version > (fromFile?.version ?? 0)) return nodeDatasetPolicy.parse(signed.policy);
    return fromFile ?? null;
  }
  /** The dataset whose policy approves this product (a holder approves a product over one of its datasets). */
  function datasetForProduct(productId: string): { dataset: string; policy: NodeDatasetPolicy } {
    for (const name of Object.keys(config.datasets)) {
      const policy = policyOf(name);
      if (policy?.products[productId]) return { dataset: name, policy };
    }
    throw new NodeRefusal(403, "PRODUCT_NOT_APPROVED", "The holder has not approved this product at its node.");
  }

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
    // A request is sent as soon as it is issued: one issued well ahead of this node's clock, or
    // expired by more than the tolerated skew, means the two clocks disagree. Say so, and by how much.
    if (req.issuedAt > t + SKEW_MS) throw new NodeRefusal(401, "CLOCK_SKEW", `The request was issued ${Math.round((req.issuedAt - t) / 1000)} s ahead of this node's clock (tolerance ${SKEW_MS / 1000} s): this node's clock or the marketplace's is wrong; synchronise them (NTP).`);
    if (req.expiresAt + SKEW_MS <= t) throw new NodeRefusal(401, "CLOCK_SKEW", `The request expired ${Math.round((t - req.expiresAt) / 1000)} s before this node's clock, ${Math.round((t - req.issuedAt) / 1000)} s after it was issued (tolerance ${SKEW_MS / 1000} s): this node's clock or the marketplace's is wrong, or the request was delayed; synchronise the clocks (NTP).`);
    if (req.expiresAt <= t) throw new NodeRefusal(401, "EXPIRED", "The request has expired.");
    if (req.expiresAt - req.issuedAt > MAX_VALIDITY_MS) throw new NodeRefusal(401, "BAD_VALIDITY", "The request's validity window is not acceptable.");
  }

  type Parser<T> = { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } };
  const parse = <T>(schema: Parser<T>, v: unknown): T => {
    const parsed = schema.safeParse(v);
    if (!parsed.success) throw new NodeRefusal(400, "BAD_REQUEST", `Malformed request: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    return parsed.data;
  };
  /** A market request of a given schema: signed, well-formed, fresh, addressed here, never seen. */
  function accept<T extends { nodeId: string; issuedAt: number; expiresAt: number; nonce: string }>(schema: Parser<T>, body: unknown): T {
    const data = parse(schema, checkSigned(body));
    checkFresh(data);
    if (!replay.accept(data.nonce, data.expiresAt)) throw new NodeRefusal(409, "REPLAYED", "This request was already served.");
    return data;
  }
  /** Serve only a marketplace whose ledger extends what this node saw before, at a fresh checkpoint. */
  function witnessed(head: LedgerHead): { size: number; checkpoint: SignedCheckpoint } {
    try {
      const size = witness.check(head);
      checkFreshCheckpoint(head.checkpoint, now());
      return { size, checkpoint: head.checkpoint };
    } catch (e) {
      if (e instanceof WitnessRefusal) throw new NodeRefusal(e.status, e.code, e.message, e.size);
      throw e;
    }
  }
  /** Evidence checks throw EvidenceRefusal / PolicyRefusal: the caller sees the code, never a data value. */
  async function guarded<T>(fn: () => Promise<T> | T): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof EvidenceRefusal) throw new NodeRefusal(e.code === "CHECKPOINT_STALE" ? 409 : 403, e.code, e.message);
      if (e instanceof PolicyRefusal) throw new NodeRefusal(403, e.code, e.message);
      throw e;
    }
  }
  function refuseSuspended(entries: LedgerEntryProof[], checkpoint: SignedCheckpoint, targets: string[]) {
    const active = activeSuspensions(entries, checkpoint, targets);
    if (active.length) throw new NodeRefusal(403, "SUSPENDED", "The supervisor has suspended this buyer or product: this node releases nothing for it.");
  }
  /** The person's keys bound at this node; a statement must verify under one of them. */
  async function signedByPerson(subjectRef: string, statement: Statement, signature: string) {
    for (const b of journal.bindings.get(subjectRef) ?? []) if (await verifyStatement(b.jwk, statement, signature)) return b.thumbprint;
    throw new NodeRefusal(403, "NOT_SIGNED_BY_PERSON", "This is not signed by a key the person bound at this node.");
  }

  async function handleEnvelope(body: unknown) {
    const req = accept(envelopeRequest, body);
    const { checkpoint } = witnessed(req.ledger);
    const consent = consentStatement.safeParse(req.consent.statement);
    if (!consent.success) throw new NodeRefusal(400, "BAD_CONSENT", "The consent is not a well-formed statement.");
    const c = consent.data;
    if (c.nodeId !== identity.nodeId || c.requestId !== req.requestId) throw new NodeRefusal(403, "BAD_CONSENT", "The consent was given for another request or holder.");
    await guarded(() => refuseSuspended(req.supervision, checkpoint, [c.buyerOrgId]));
    // The node trusts no one's word for the consent: the person's own key signed it.
    await signedByPerson(c.subjectRef, c, req.consent.signature);
    if (c.expiresAt <= now()) throw new NodeRefusal(403, "CONSENT_EXPIRED", "The consent has expired.");
    let thumbprint: string;
    try { thumbprint = await keyThumbprint(req.buyerKey); } catch (e) { throw new NodeRefusal(400, "BAD_KEY", (e as EnvelopeError).message); }
    if (thumbprint !== c.envelopeKey) throw new NodeRefusal(403, "WRONG_KEY", "The consent names another envelope key of the buyer.");
    if (journal.consentUsesOf(c.nonce) >= c.uses) throw new NodeRefusal(409, "CONSENT_SPENT", "This consent has been used as many times as the person allowed.");
    const connector = datasetOf(c.dataset);
    try {
      const record = await connector.record(SUBJECT_COLUMN, c.subjectRef, c.fields);
      if (!record) throw new NodeRefusal(404, "SUBJECT_NOT_FOUND", "This holder keeps no record about this person.");
      // Spend before release: a crash after this line loses a use, never grants an extra one.
      journal.append({ t: "consent-used", nonce: c.nonce, at: now() });
      const envelope = await sealEnvelope({ subject: c.subjectRef, dataset: c.dataset, holder: config.name, fields: record, sealedAt: new Date(now()).toISOString() }, req.buyerKey as EnvelopePublicJwk);
      return signPayload("node-response", { type: "envelope-result", requestId: req.requestId, nodeId: identity.nodeId, envelope, envelopeHash: envelopeHash(envelope) }, identity.signingKey);
    } finally {
      await connector.close?.();
    }
  }

  async function handleSubjectRecords(body: unknown) {
    const req = accept(subjectRecordsRequest, body);
    const parsed = subjectRecordsStatement.safeParse(req.request.statement);
    if (!parsed.success) throw new NodeRefusal(400, "BAD_REQUEST", "The request is not a well-formed statement of the person.");
    const st = parsed.data;
    if (st.nodeId !== identity.nodeId) throw new NodeRefusal(403, "WRONG_NODE", "The person asked another node.");
    if (Math.abs(now() - st.issuedAt) > MAX_VALIDITY_MS) throw new NodeRefusal(401, "EXPIRED", "The person's request is not fresh.");
    await signedByPerson(st.subjectRef, st, req.request.signature);
    if (!replay.accept(`subject:${st.nonce}`, st.issuedAt + MAX_VALIDITY_MS)) throw new NodeRefusal(409, "REPLAYED", "This request was already served.");
    const datasets: string[] = [];
    for (const [name, dataset] of Object.entries(config.datasets)) {
      const connector = createConnector(dataset);
      try {
        if (await connector.record(SUBJECT_COLUMN, st.subjectRef, [SUBJECT_COLUMN])) datasets.push(name);
      } catch (e) {
        if ((e as { code?: string }).code !== "UNKNOWN_COLUMN") throw e; // not a person-level dataset
      } finally {
        await connector.close?.();
      }
    }
    return signPayload("node-response", { type: "subject-records-result", nodeId: identity.nodeId, subjectRef: st.subjectRef, datasets }, identity.signingKey);
  }

  /** The unused code, if any, under which `mac` was made (constant-time comparison). */
  async function codeProven(codes: string[], mac: string, macOf: (code: string) => Promise<string>): Promise<string | null> {
    const given = Buffer.from(mac, "hex");
    for (const code of codes) if (timingSafeEqual(Buffer.from(await macOf(code), "hex"), given)) return code;
    return null;
  }

  /** The activation codes the holder issued (keysDir/activation-codes.json: { subjectRef: [code…] }), read afresh so the holder's CLI can add some. */
  function activationCodes(subjectRef: string): string[] {
    const file = path.join(config.keysDir, "activation-codes.json");
    if (!existsSync(file)) return [];
    const all = JSON.parse(readFileSync(file, "utf8")) as Record<string, string[] | string>;
    const codes = all[subjectRef];
    return (Array.isArray(codes) ? codes : codes ? [codes] : []).map((c) => c.trim().toUpperCase());
  }

  async function handleBindSubject(body: unknown) {
    const req = accept(bindSubjectRequest, body);
    let thumbprint: string;
    try { thumbprint = await signingKeyThumbprint(req.publicJwk); } catch { throw new NodeRefusal(400, "BAD_KEY", "The key is not a P-256 public signing key."); }
    const code = await codeProven(activationCodes(req.subjectRef).filter((c) => !journal.activationUsed(req.subjectRef, c)), req.mac,
      (c) => bindingMac(c, { nodeId: identity.nodeId, subjectRef: req.subjectRef, thumbprint }));
    if (code) {
      journal.append({ t: "activation-used", subject: req.subjectRef, code });
      const at = now();
      journal.append({ t: "bound", subject: req.subjectRef, thumbprint, jwk: signingPublicJwk.parse(req.publicJwk), at });
      // Salted, so the ledger entry names no one; the node can show the preimage to the person or an auditor.
      const bindingHash = createHash("sha256").update(canonicalJson({ nodeId: identity.nodeId, subjectRef: req.subjectRef, thumbprint, at, salt: randomBytes(16).toString("hex") })).digest("hex");
      return signPayload("node-response", { type: "subject-bound", nodeId: identity.nodeId, thumbprint, bindingHash }, identity.signingKey);
    }
    throw new NodeRefusal(403, "BAD_ACTIVATION", "The activation code does not match one this holder issued for this person (or it was used).");
  }

  /** Enrolment codes the node issued to its holder (keysDir/holder-codes.json), read afresh. */
  function enrolmentCodes(): string[] {
    const file = path.join(config.keysDir, "holder-codes.json");
    return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as string[]).map((c) => c.trim().toUpperCase()) : [];
  }
  /** The holder's keys: those in the config file and those it enrolled from its browser. */
  const holderKeys = () => [...config.holderKeys, ...journal.holderKeys.values()];

  async function handleEnrolHolder(body: unknown) {
    const req = accept(enrolHolderRequest, body);
    let thumbprint: string;
    try { thumbprint = await signingKeyThumbprint(req.publicJwk); } catch { throw new NodeRefusal(400, "BAD_KEY", "The key is not a P-256 public signing key."); }
    const code = await codeProven(enrolmentCodes().filter((c) => !journal.enrolmentUsed(c)), req.mac, (c) => enrolmentMac(c, { nodeId: identity.nodeId, thumbprint }));
    if (code) {
      journal.append({ t: "holder-key", thumbprint, jwk: signingPublicJwk.parse(req.publicJwk), code, at: now() });
      return signPayload("node-response", { type: "holder-enrolled", nodeId: identity.nodeId, thumbprint }, identity.signingKey);
    }
    throw new NodeRefusal(403, "BAD_ENROLMENT", "The enrolment code does not match one this node issued (or it was used).");
  }

  async function handleContribution(body: unknown) {
    const req = accept(contributionRequest, body);
    const answered = journal.answered.get(req.queryId);
    const seen = recent.get(req.queryId);
    if (!answered || !seen) throw new NodeRefusal(404, "UNKNOWN_QUERY", "This node answered no such query recently.");
    if (answered.groups !== req.released.length) throw new NodeRefusal(400, "BAD_REQUEST", `The query had ${answered.groups} groups, not ${req.released.length}.`);
    // As the only source the node decided the release itself: any other vector is a probe.
    if (seen.suppressed && seen.suppressed.some((s, g) => s === req.released[g])) throw new NodeRefusal(403, "NOT_RELEASED", "These are not the groups this node released.");
    if (!journal.serveOnce("contributed", req.queryId)) throw new NodeRefusal(409, "ALREADY_SERVED", "This node already reported its contribution to this query.");
    const exact = seen.counts.reduce((a, c, g) => (req.released[g] ? a + c : a), 0n);
    // The operator learns a noisy count only (discrete Laplace, ε = CONTRIBUTION_EPSILON per person, once per query), never a holder's exact one.
    const rowsPerPerson = policyOf(answered.dataset)?.person?.maxRows ?? 1;
    const noisy = exact + discreteLaplace(rowsPerPerson / CONTRIBUTION_EPSILON);
    return signPayload("node-response", { type: "contribution-result", queryId: req.queryId, nodeId: identity.nodeId, rows: (noisy < 0n ? 0n : noisy).toString() }, identity.signingKey);
  }

  function datasetOf(name: string) {
    const dataset = Object.hasOwn(config.datasets, name) ? config.datasets[name] : undefined; // never "constructor" and the like
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
    const c = await withProofs(req.dataset, () => proofs.commitment(req.dataset, config.datasets[req.dataset]!, req.refresh));
    const { digest: _digest, chunkRoots: _roots, local: _local, ...info } = c;
    return signPayload("node-response", { type: "commitment-result", nodeId: identity.nodeId, ...info }, identity.signingKey);
  }

  /**
   * Audits only for a query this node answered, with exactly the plan it ran, each step served
   * once (a refused attempt serves nothing and may be retried; the first success is the only one).
   */
  async function auditOnce<T>(req: { queryId: string; plan: unknown }, step: "audit-chain" | "audit-proved", run: () => Promise<T>): Promise<T> {
    const answered = journal.answered.get(req.queryId);
    if (!answered) throw new NodeRefusal(404, "UNKNOWN_QUERY", "This node answered no such query.");
    if (answered.planHash !== planHash(req.plan)) throw new NodeRefusal(403, "PLAN_CHANGED", "This is not the plan this node answered.");
    const served = () => new NodeRefusal(409, "ALREADY_SERVED", "This node already served this audit step for this query.");
    if (journal.wasServed(step, req.queryId)) throw served();
    const result = await run();
    if (!journal.serveOnce(step, req.queryId)) throw served(); // a concurrent duplicate won
    return result;
  }

  async function handleAuditChain(body: unknown) {
    const req = accept(auditChainRequest, body);
    const accs = await auditOnce(req, "audit-chain", () => withProofs(req.plan.dataset, (connector) => proofs.revealChain(req.plan.dataset, connector, req.plan, req.queryId, req.root)));
    return signPayload("node-response", { type: "audit-chain-result", queryId: req.queryId, nodeId: identity.nodeId, accs }, identity.signingKey);
  }

  async function handleAuditProve(body: unknown) {
    const req = accept(auditProveRequest, body);
    const seen = recent.get(req.queryId);
    if (seen?.suppressed && seen.suppressed.some((s, g) => s === req.released[g])) throw new NodeRefusal(403, "NOT_RELEASED", "These are not the groups this node released.");
    const result = await auditOnce(req, "audit-proved", () => withProofs(req.plan.dataset, (connector) => proofs.prove(req.plan.dataset, connector, req.plan, req.queryId, req.root, req.chunks, req.released, req.k)));
    return signPayload("node-response", { type: "audit-prove-result", queryId: req.queryId, nodeId: identity.nodeId, ...result }, identity.signingKey);
  }

  async function handleAggregate(body: unknown) {
    const req = accept(aggregateRequest, body);
    if (!req.peers.some((p) => p.nodeId === identity.nodeId && p.x25519 === identity.agreementPublic)) {
      throw new NodeRefusal(403, "WRONG_NODE", "This node is not among the request's peers with its registered keys.");
    }
    const { size: witnessedSize, checkpoint } = witnessed(req.ledger);
    const statement = await guarded(() => checkQueryEvidence(req.authorization, checkpoint, req));
    await guarded(() => refuseSuspended(req.supervision, checkpoint, [statement.buyerOrgId, req.productId]));
    const { dataset, policy } = datasetForProduct(req.productId);
    const plan = nodePlan(req.plan, dataset);
    const single = req.peers.length === 1;
    await guarded(() => checkPlan(policy, { productId: req.productId, plan, epsilon: statement.epsilon, peers: req.peers.map((p) => p.nodeId) }));
    const epsilon = plan.noise ? statement.epsilon : 0;
    // Check and spend with no await between: concurrent queries cannot overspend the holder's budgets.
    if (journal.answered.has(req.queryId)) throw new NodeRefusal(409, "QUERY_ANSWERED", "This node has already answered this query.");
    if (epsilon > 0) {
      const spent = journal.spent(dataset, statement.buyerOrgId, now() - policy.dp.periodDays * 86_400_000);
      if (spent.buyer + epsilon > policy.dp.epsilonPerBuyer + 1e-9 || (policy.dp.epsilonTotal !== undefined && spent.total + epsilon > policy.dp.epsilonTotal + 1e-9)) {
        throw new NodeRefusal(403, "BUDGET_EXHAUSTED", "The holder's privacy budget for this buyer (or this dataset) is spent for the period.");
      }
    }
    // Spent before computing, as a consent is: a query that fails from here on still costs its ε,
    // so a failure can never be a free look at the data.
    journal.spend({ t: "answered", q: req.queryId, planHash: planHash(plan), dataset, buyer: statement.buyerOrgId, eps: epsilon, at: now(), groups: groupCount(plan) });
    const connector = createConnector(config.datasets[dataset]!);
    try {
      // Every node adds a full noise draw: the noise stays enough even if all the other sources
      // collude with the buyer (t = n − 1; docs/queries.md). Each person counts at most
      // policy.person.maxRows rows (the privacy unit).
      const { counts, selection, vector } = await computeVector(connector, plan, policy.person ? { perPerson: policy.person } : {});
      let suppressed: boolean[] | undefined;
      let maskedCounts: string[] = [];
      if (single) {
        // The only source: its counts would be the totals in the clear, so it applies k itself,
        // on noisy counts under a noised plan (a private keep-or-suppress decision).
        const k = BigInt(Math.max(policy.minCohort, plan.minCohort ?? 0));
        suppressed = selection.map((n) => n < k);
        const widths = blockWidths(plan);
        let at = 0;
        for (const w of widths) {
          const per = w / counts.length;
          for (let i = 0; i < w; i++) if (suppressed[Math.floor(i / per)]) vector[at + i] = 0n;
          at += w;
        }
      } else {
        maskedCounts = maskCounts({ queryId: req.queryId, self: { nodeId: identity.nodeId, x25519PrivateKey: identity.agreementKey }, peers: req.peers, counts: selection });
      }
      // Binding runs while the vector is encrypted: the source's engine (DuckDB, PostgreSQL) works on
      // its own threads, so on a machine with a spare core the binding adds little to the answer's time.
      const binding = proofs.answer(dataset, connector, plan, req.queryId, config.datasets[dataset]!).catch((e: unknown): AnswerCommitment => {
        // The answer stands; it just cannot be audited.
        console.error(`[node ${config.name}] cannot commit to this answer:`, e);
        return { notProvable: `the node could not commit to its answer (${(e as Error).message.slice(0, 200)})` };
      });
      const ciphertexts = await encryptVector(req.publicKey, vector).finally(() => binding); // never leave the binding running on a failure
      const commitment = await binding;
      remember(req.queryId, counts, suppressed);
      const payload: AggregateResponse = { type: "aggregate-result", queryId: req.queryId, nodeId: identity.nodeId, maskedCounts, ...(suppressed ? { suppressed } : {}), ciphertexts, witnessedSize, commitment };
      return signPayload("node-response", payload, identity.signingKey);
    } finally {
      await connector.close?.();
    }
  }

  async function policyDocument() {
    const policies = Object.fromEntries(Object.keys(config.datasets).map((name) => [name, policyOf(name)]));
    const holders = await Promise.all(holderKeys().map((k) => signingKeyThumbprint(k)));
    // The node's own ε account per dataset: all buyers together, over the policy's period (no buyer named).
    const accounts = Object.fromEntries(Object.keys(config.datasets).map((name) => {
      const days = policyOf(name)?.dp.periodDays ?? 30;
      return [name, { spent: Math.round(journal.spent(name, "", now() - days * 86_400_000).total * 1e9) / 1e9, periodDays: days }];
    }));
    return signPayload("node-response", { type: "node-policy", nodeId: identity.nodeId, policies, holderKeys: holders, accounts }, identity.signingKey);
  }

  /** A policy change signed by one of the holder's own keys (config holderKeys): applied here, whatever the marketplace's database says. */
  async function handlePolicyChange(body: unknown) {
    const { statement, signature } = parse(policyChange, body);
    if (statement.nodeId !== identity.nodeId) throw new NodeRefusal(403, "WRONG_NODE", "This change is for another node.");
    if (!Object.hasOwn(config.datasets, statement.dataset)) throw new NodeRefusal(404, "UNKNOWN_DATASET", `This node serves no dataset named ${statement.dataset}.`);
    let signer: string | null = null;
    for (const k of holderKeys()) if (await verifyStatement(k, statement, signature)) signer = await signingKeyThumbprint(k);
    if (!signer) throw new NodeRefusal(403, "NOT_SIGNED_BY_HOLDER", "The change is not signed by a key of this node's holder.");
    const current = Math.max(config.policies[statement.dataset]?.version ?? 0, journal.policies.get(statement.dataset)?.version ?? 0);
    if (statement.version <= current) throw new NodeRefusal(409, "STALE_POLICY", `The policy is at version ${current}; a change must carry a higher one.`);
    const policy = nodeDatasetPolicy.safeParse(statement.policy);
    if (!policy.success) throw new NodeRefusal(400, "BAD_POLICY", `The policy is not valid: ${policy.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    journal.append({ t: "policy", dataset: statement.dataset, version: statement.version, policy: { ...policy.data, version: statement.version }, by: signer, at: now() });
    return signPayload("node-response", { type: "policy-applied", nodeId: identity.nodeId, dataset: statement.dataset, version: statement.version }, identity.signingKey);
  }

  const server = http.createServer(async (req, res) => {
    // A sealed request (core/transport.ts) gets a sealed answer, refusals included.
    let sealAnswer: ((answer: string) => SealedBody) | null = null;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": sealAnswer ? SEALED_TYPE : "application/json", "cache-control": "no-store" });
      res.end(sealAnswer ? JSON.stringify(sealAnswer(JSON.stringify(body))) : JSON.stringify(body));
    };
    try {
      if (req.method === "GET" && req.url === "/v1/identity") {
        return send(200, { name: config.name, nodeId: identity.nodeId, agreementKey: identity.agreementPublic, datasets: Object.keys(config.datasets) });
      }
      if (req.method === "GET" && req.url === "/v1/witness") return send(200, { checkpoint: witness.last, alarm: witness.alarm });
      if (req.method === "POST" && req.url === "/v1/witness/add-checkpoint") return await cosignCheckpoint(req, res, witness, identity, now);
      if (req.method === "GET" && req.url === "/v1/policy") return send(200, await policyDocument());
      const handlers = {
        "/v1/aggregate": handleAggregate, "/v1/contribution": handleContribution, "/v1/envelope": handleEnvelope, "/v1/subject-records": handleSubjectRecords,
        "/v1/subject/bind": handleBindSubject, "/v1/policy": handlePolicyChange, "/v1/holder/enrol": handleEnrolHolder,
        "/v1/commitment": handleCommitment, "/v1/audit/chain": handleAuditChain, "/v1/audit/prove": handleAuditProve,
      } as const;
      if (req.method === "POST" && req.url && Object.hasOwn(handlers, req.url)) {
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of req) {
          size += (chunk as Buffer).length;
          if (size > config.maxRequestBytes) {
            res.setHeader("connection", "close"); // the rest of the body stays unread: this connection cannot carry another request
            throw new NodeRefusal(413, "TOO_LARGE", `Requests are limited to ${config.maxRequestBytes} bytes.`);
          }
          chunks.push(chunk as Buffer);
        }
        let body: unknown;
        try { body = JSON.parse(Buffer.concat(chunks).toString("utf8")); } catch { throw new NodeRefusal(400, "BAD_REQUEST", "The body is not JSON."); }
        if ((req.headers["content-type"] ?? "").startsWith(SEALED_TYPE)) {
          const sealed = sealedBody.safeParse(body);
          if (!sealed.success) throw new NodeRefusal(400, "BAD_REQUEST", "A sealed body is { v, epk, iv, ct, tag }.");
          let opened: ReturnType<typeof openRequest>;
          try { opened = openRequest(identity.agreementKey, identity.agreementPublic, sealed.data); } catch { throw new NodeRefusal(400, "NOT_SEALED_TO_THIS_NODE", "The body is not sealed to this node's key (or was altered on the way)."); }
          sealAnswer = opened.seal;
          try { body = JSON.parse(opened.json); } catch { throw new NodeRefusal(400, "BAD_REQUEST", "The sealed body is not JSON."); }
        } else if (config.transport === "sealed" || !isLoopback(req.socket.remoteAddress)) {
          // Counts, consents and envelopes never cross a real network in the clear.
          throw new NodeRefusal(426, "SEAL_REQUIRED", `Seal requests to this node's key (${SEALED_TYPE}); plain JSON is accepted only on loopback.`);
        }
        return send(200, await handlers[req.url as keyof typeof handlers](body));
      }
      send(404, { error: { code: "NOT_FOUND", message: "No such endpoint." } });
    } catch (e) {
      if (e instanceof NodeRefusal) return send(e.status, { error: { code: e.code, message: e.message, ...(e.size !== undefined ? { size: e.size } : {}) } });
      // Errors of the aggregation name the code and the column, never a data value (it would leak one row).
      if (e instanceof AggregateError) return send(422, { error: { code: e.code, message: `The data cannot answer this plan (${e.code}${e.column ? `, column ${e.column}` : ""}).` } });
      const err = e as { code?: string; message?: string };
      // Errors of HE input (a malformed key) are the caller's to fix.
      if (err.code && typeof err.code === "string" && /^[A-Z_]+$/.test(err.code)) return send(422, { error: { code: err.code, message: err.message } });
      console.error(`[node ${config.name}]`, e);
      send(500, { error: { code: "INTERNAL", message: "The node failed to compute this request." } });
    }
  });
  // An idle keep-alive connection must be closed by the client (undici: after about 4 s), never
  // by the node while a request is on its way. With Node's 5 s default, late timers on a loaded
  // machine let the node close a socket the marketplace had just reused, and the request failed
  // with "fetch failed: other side closed" before the node saw it.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}
