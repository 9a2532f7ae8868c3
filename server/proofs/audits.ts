/**
 * Commitments and audits on the marketplace's side (docs/proofs.md).
 *
 * A node's dataset commitments are registered when the node reports them (on the ledger,
 * `commitment.registered`). An audit checks one node's part in a delivered query: the node
 * first reveals its chain of running totals (which must end at the totals it signed when it
 * answered); only then is the sample of chunks drawn, so the node cannot fit its chain to it;
 * the node proves the sampled chunks' steps and its release (its reported contribution, and
 * k for a single-source query); the proofs are verified here with the committed keys and
 * kept so anyone allowed can verify them again (the browser, the CLI). A node that cannot
 * prove is flagged. Verdicts go on the ledger.
 */
import { randomInt } from "node:crypto";
import { z } from "zod";
import { chunkCircuitName, statementFor } from "@/core/zk/encoding";
import { auditBundle, verifyAudit, type AuditBundle } from "@/core/zk/verify";
import { datasetCommitmentInfo, nodePlan, type AggregatePlan } from "@/core/protocol";
import { canonicalJson } from "@/core/canonical-json";
import type { PrismaClient } from "../db/generated/client";
import { assertNotSuspended } from "../ledger/supervision";
import { AppError } from "../errors";
import { recordEvent, textHash } from "../ledger/events";
import { loadPolicy } from "../products/load-policy";
import { callNode, freshFields, httpNodeCall, type NodeCall } from "../nodes/client";
import { storedPlan } from "../queries/policy";
import { circuitKeys } from "./keys";

/** At most this many chunks are proven per audit (each proof takes seconds on the node). */
export const MAX_SAMPLE = 64;
/** Datasets of at most this many chunks are proven whole. */
export const PROVE_ALL_BELOW = 8;
const AUDIT_TIMEOUT_MS = 15 * 60_000;

type Node = { id: string; name: string; url: string; signingKey: string; agreementKey: string; organisationId: string };

class NodeFailure extends Error {
  /** the node's own refusal code, when it refused */
  constructor(message: string, readonly code?: string) { super(message); }
}

/** Ask a node through the node client; any failure becomes a NodeFailure saying why (an audit records it). */
async function ask(call: NodeCall, node: Node, path: Parameters<NodeCall>[3], payload: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
  try {
    return (await callNode(node, path, { ...payload, ...freshFields(node, 4 * 60_000) }, z.record(z.string(), z.unknown()), { call, timeoutMs })).payload;
  } catch (e) {
    if (e instanceof AppError) throw new NodeFailure(e.message, e.reason);
    throw e;
  }
}

/** Ask a node for its commitment to a dataset (anew with `refresh`) and register it. */
export async function fetchCommitment(db: PrismaClient, node: Node, dataset: string, refresh = false, call: NodeCall = httpNodeCall, timeoutMs = refresh ? 10 * 60_000 : 60_000) {
  const payload = await ask(call, node, "/v1/commitment", { type: "commitment", nodeId: node.signingKey, dataset, refresh }, timeoutMs);
  const parsed = datasetCommitmentInfo.safeParse(payload);
  if (!parsed.success) throw new NodeFailure(`node ${node.name} sent a malformed commitment (${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message})`);
  const info = parsed.data;
  if (info.dataset !== dataset || payload.nodeId !== node.signingKey) throw new NodeFailure(`node ${node.name} reported another dataset's commitment`);
  return registerCommitment(db, node, info);
}

/**
 * The root to print on a new resource's certificate: the latest registered for its node and
 * dataset, else what the node reports within a few seconds; null when it cannot tell yet (a
 * node still committing a large dataset), in which case its first report updates the resource.
 */
export async function commitmentAtRegistration(db: PrismaClient, node: Node, dataset: string, call: NodeCall = httpNodeCall): Promise<string | null> {
  const latest = await db.datasetCommitment.findFirst({ where: { nodeId: node.id, dataset }, orderBy: { createdAt: "desc" } });
  if (latest) return latest.root;
  try {
    return (await fetchCommitment(db, node, dataset, false, call, 5_000)).root;
  } catch (e) {
    // The node says it has no such dataset: a registration must not point at data nobody serves.
    if (e instanceof NodeFailure && e.code === "UNKNOWN_DATASET") {
      throw new AppError("BAD_INPUT", "UNKNOWN_DATASET", `Node ${node.name} serves no dataset named "${dataset}": use the name in the node's configuration.`);
    }
    if (e instanceof NodeFailure) return null;
    throw e;
  }
}

async function registerCommitment(db: PrismaClient, node: Node, info: z.infer<typeof datasetCommitmentInfo>) {
  const key = { nodeId_dataset_root: { nodeId: node.id, dataset: info.dataset, root: info.root } };
  const existing = await db.datasetCommitment.findUnique({ where: key });
  if (existing) return existing;
  return db.$transaction(async (tx) => {
    const row = await tx.datasetCommitment.create({
      data: { nodeId: node.id, dataset: info.dataset, root: info.root, treeRoot: info.treeRoot, rows: info.rows, chunkRows: info.chunkRows, schema: info.schema, epoch: info.epoch, committedAt: new Date(info.createdAt) },
    });
    // The resources served by this node and dataset now point at the new commitment.
    const resources = await tx.dataResource.findMany({ where: { nodeId: node.id, dataset: info.dataset }, select: { id: true } });
    await tx.dataResource.updateMany({ where: { nodeId: node.id, dataset: info.dataset }, data: { commitment: info.root } });
    await recordEvent(tx, {
      type: "commitment.registered", actorOrgId: node.organisationId, objectId: row.id,
      refs: { nodeId: node.id, ...(resources[0] ? { resourceId: resources[0].id } : {}) },
      data: { root: info.root, rows: info.rows, chunkRows: info.chunkRows, dataset: info.dataset },
    });
    return row;
  });
}

export const auditRequestInput = z.object({
  queryId: z.uuid(),
  /** fraction of chunks to prove, in basis points (100 = 1%); small datasets are proven whole */
  sampleBps: z.number().int().min(1).max(10_000).default(100),
  idempotencyKey: z.string().min(8).max(100).optional(),
});

/** Who may audit a query: the supervisor any delivered query, a buyer its own. */
async function auditableQuery(db: PrismaClient, queryId: string, who: { orgId: string; supervisor: boolean }) {
  const job = await db.queryJob.findUnique({ where: { id: queryId } });
  if (!job || (!who.supervisor && job.buyerOrgId !== who.orgId)) throw new AppError("NOT_FOUND", "QUERY_NOT_FOUND", "No such query that you may audit.");
  if (job.status !== "SUCCEEDED") throw new AppError("CONFLICT", "QUERY_NOT_DELIVERED", "Only a delivered query can be audited.");
  return job;
}

/** Request an audit of every node of a delivered query: the audit rows (RUNNING, one per node) and their ledger entries; runAudit runs each. */
export async function requestAudit(db: PrismaClient, o: { queryId: string; sampleBps?: number; idempotencyKey?: string; orgId: string; userId: string; supervisor: boolean }) {
  const input = auditRequestInput.parse(o);
  if (input.idempotencyKey) {
    const again = await db.audit.findMany({ where: { requestedByOrgId: o.orgId, idempotencyKey: { startsWith: `${input.idempotencyKey}:` } } });
    if (again.length) return again.map((a) => ({ id: a.id, nodeId: a.nodeId, status: a.status }));
  }
  const job = await auditableQuery(db, input.queryId, o);
  // A suspended buyer audits nothing; the supervisor may audit a suspended buyer's queries.
  if (!o.supervisor) await assertNotSuspended(db, { buyerOrgId: o.orgId });
  const contributions = await db.contribution.findMany({ where: { queryId: job.id }, orderBy: { nodeId: "asc" } });
  if (contributions.length === 0) throw new AppError("CONFLICT", "NOTHING_TO_AUDIT", "This query has no node contributions recorded.");
  const audits = await db.$transaction(async (tx) => {
    const made = [];
    for (const c of contributions) {
      const a = await tx.audit.create({
        data: {
          queryId: job.id, nodeId: c.nodeId, requestedById: o.userId, requestedByOrgId: o.orgId, sampleBps: input.sampleBps,
          idempotencyKey: input.idempotencyKey ? `${input.idempotencyKey}:${c.nodeId}` : null,
        },
      });
      await recordEvent(tx, { type: "audit.requested", actorOrgId: o.orgId, objectId: a.id, refs: { queryId: job.id, nodeId: c.nodeId }, data: { sampleBps: input.sampleBps } });
      made.push({ id: a.id, nodeId: a.nodeId, status: a.status });
    }
    return made;
  });
  return audits;
}

/** The chunks to prove: all of a small dataset, else a uniform sample of ⌈n·bps⌉ (at least 1, at most MAX_SAMPLE). */
export function drawSample(n: number, sampleBps: number): number[] {
  if (n <= PROVE_ALL_BELOW) return Array.from({ length: n }, (_, i) => i);
  const size = Math.min(MAX_SAMPLE, n, Math.max(1, Math.ceil((n * sampleBps) / 10_000)));
  const picked = new Set<number>();
  while (picked.size < size) picked.add(randomInt(n));
  return [...picked].sort((a, b) => a - b);
}

async function finish(db: PrismaClient, auditId: string, o: { status: "PASSED" | "FAILED" | "NOT_PROVABLE"; reason?: string; flagged?: boolean; chunks?: number; sample?: number[]; bundle?: AuditBundle; checks?: unknown; provingMs?: number }) {
  await db.$transaction(async (tx) => {
    // Once: a run whose lease lapsed (and was resumed elsewhere) finds the verdict recorded and stops.
    const moved = await tx.audit.updateMany({
      where: { id: auditId, status: "RUNNING" },
      data: {
        status: o.status, reason: o.reason ?? null, flagged: o.flagged ?? false, chunks: o.chunks ?? null, sample: o.sample ?? [],
        bundle: o.bundle ? (o.bundle as object) : undefined, checks: o.checks ? (o.checks as object) : undefined, provingMs: o.provingMs ?? null, finishedAt: new Date(), leaseUntil: null,
      },
    });
    if (moved.count !== 1) return;
    const a = await tx.audit.findUniqueOrThrow({ where: { id: auditId } });
    await recordEvent(tx, {
      type: "audit.completed", actorOrgId: null, objectId: a.id, refs: { queryId: a.queryId, nodeId: a.nodeId },
      data: {
        verdict: o.status, flagged: o.flagged ?? false, chunks: o.chunks ?? null, proven: o.sample?.length ?? 0,
        ...(o.bundle ? { bundleHash: textHash(canonicalJson(o.bundle)) } : {}), ...(o.reason ? { reasonHash: textHash(o.reason) } : {}),
      },
    });
  });
}

/**
 * Request audits: they are durable jobs (status RUNNING, no lease yet) that a worker claims and
 * runs (server/proofs/audit-worker.ts); this process's worker, if it runs one, is woken at once.
 * The caller gets the audit rows (RUNNING) at once.
 */
export async function requestAndStartAudits(db: PrismaClient, o: Parameters<typeof requestAudit>[1]) {
  const audits = await requestAudit(db, o);
  const { wakeAuditWorker } = await import("./audit-worker");
  wakeAuditWorker();
  return audits;
}

/** A holder asks its node to commit a resource's data anew (a new update cycle), and registers it. */
export async function recommitResource(db: PrismaClient, o: { resourceId: string; holderOrgId: string }) {
  const r = await db.dataResource.findFirst({ where: { id: o.resourceId, holderOrgId: o.holderOrgId }, include: { node: true } });
  if (!r) throw new AppError("NOT_FOUND", "RESOURCE_NOT_FOUND", "No such resource of your organisation.");
  if (!r.node || !r.dataset) throw new AppError("CONFLICT", "NO_NODE", "This resource is not served by a computation node.");
  try {
    const c = await fetchCommitment(db, r.node, r.dataset, true);
    return { root: c.root, rows: c.rows, chunkRows: c.chunkRows };
  } catch (e) {
    throw new AppError("UNAVAILABLE", "NODE_UNAVAILABLE", (e as Error).message);
  }
}

/** Run one audit to its verdict. Never throws for what a node did: that is the verdict. */
export async function runAudit(db: PrismaClient, auditId: string, call: NodeCall = httpNodeCall): Promise<void> {
  const audit = await db.audit.findUniqueOrThrow({ where: { id: auditId } });
  if (audit.status !== "RUNNING") return;
  try {
    const job = await db.queryJob.findUniqueOrThrow({ where: { id: audit.queryId } });
    const contribution = await db.contribution.findUniqueOrThrow({ where: { queryId_nodeId: { queryId: job.id, nodeId: audit.nodeId } } });
    const { product, policy } = await loadPolicy(db, job.productId);
    const source = product.sources.find((s) => s.nodeId === audit.nodeId);
    if (!source) throw new Error("The node is no longer a source of this product");
    const node = source.node;
    if (!contribution.commitmentRoot || !contribution.finalAcc) {
      return await finish(db, auditId, { status: "NOT_PROVABLE", reason: contribution.unprovable ?? "The node signed no commitment with its answer" });
    }
    const planned = storedPlan(job.plan);
    const plan: AggregatePlan = nodePlan(planned.plan, source.dataset);
    let registered = await db.datasetCommitment.findUnique({ where: { nodeId_dataset_root: { nodeId: node.id, dataset: source.dataset, root: contribution.commitmentRoot } } });
    try {
      registered ??= await fetchCommitment(db, node, source.dataset, false, call);
    } catch (e) {
      if (!(e instanceof NodeFailure)) throw e;
      return await finish(db, auditId, { status: "FAILED", flagged: true, reason: `The node could not show its commitment: ${e.message}` });
    }
    if (registered.root !== contribution.commitmentRoot) {
      return await finish(db, auditId, { status: "FAILED", flagged: true, reason: "The node answered from a commitment it no longer reports: it recommitted since, so this query cannot be proven" });
    }
    const result = job.result as { suppressed: boolean[] } | null;
    const released = (result?.suppressed ?? []).map((s) => !s);
    // A single source applies k itself; under DP it decides on its noisy counts, so only an exact
    // (open-data) plan's release can be proven against k.
    const k = product.sources.length === 1 && !plan.noise ? policy.minCohort : 0;
    const base = { queryId: job.id, nodeId: node.signingKey, plan, root: registered.root };
    const t0 = Date.now();
    let bundle: AuditBundle;
    let sample: number[] = [];
    // A node proves each query once (it keeps that promise itself): a later audit of the same
    // query and node verifies the proofs the first one collected, afresh, with its own keys.
    const earlier = (await db.audit.findMany({ where: { queryId: job.id, nodeId: node.id, id: { not: auditId } }, orderBy: { createdAt: "asc" }, select: { bundle: true, sample: true } }))
      .find((a) => a.bundle !== null && auditBundle.safeParse(a.bundle).success);
    if (earlier) {
      bundle = auditBundle.parse(earlier.bundle);
      sample = earlier.sample;
    } else {
      try {
        const chain = await ask(call, node, "/v1/audit/chain", { type: "audit-chain", ...base }, 5 * 60_000);
        const parsedChain = z.array(z.string().regex(/^\d{1,78}$/)).min(2).max(1_000_001).safeParse(chain.accs);
        if (!parsedChain.success || chain.queryId !== job.id) throw new NodeFailure(`node ${node.name} sent a malformed chain`);
        const accs = parsedChain.data;
        sample = drawSample(accs.length - 1, audit.sampleBps);
        await db.audit.update({ where: { id: auditId }, data: { chunks: accs.length - 1, sample } });
        const proven = await ask(call, node, "/v1/audit/prove", { type: "audit-prove", ...base, chunks: sample, released, k }, AUDIT_TIMEOUT_MS);
        bundle = {
          commitment: { root: registered.root, treeRoot: registered.treeRoot, rows: registered.rows, chunkRows: registered.chunkRows, schema: registered.schema as AuditBundle["commitment"]["schema"] },
          plan, finalAcc: contribution.finalAcc, accs, sample, chunks: proven.chunks as AuditBundle["chunks"], release: proven.release as AuditBundle["release"],
          // The release proof states the node's exact rows in the released groups; the contribution it
          // reported for the split carries discrete Laplace noise (per person), so the two must agree within that noise.
          released, k, rows: String((proven.release as { publicSignals?: unknown[] }).publicSignals?.[2] ?? ""), reported: contribution.rows.toString(),
          rowsPerPerson: policy.privacy.mode === "dp" ? policy.privacy.maxRowsPerPerson ?? 1 : 1,
        };
      } catch (e) {
        if (!(e instanceof NodeFailure)) throw e;
        // A resumed audit (an earlier claim's worker died after the node served this step): the
        // node keeps its promise to prove a query once; that is no fault of the node's.
        if (audit.attempts > 1 && e.code === "ALREADY_SERVED") {
          return await finish(db, auditId, { status: "FAILED", flagged: false, sample, reason: "The audit was interrupted after the node had served this step, which it serves once; its earlier proofs were lost with the interrupted run" });
        }
        return await finish(db, auditId, { status: "FAILED", flagged: true, sample, reason: `The node could not prove: ${e.message}` });
      }
    }
    const { keys, pins } = circuitKeys();
    const provable = statementFor(plan, bundle.commitment.schema);
    const circuit = provable.ok ? chunkCircuitName(provable.statement, registered.chunkRows) : null;
    if (circuit && (!keys[circuit] || !keys.release)) return await finish(db, auditId, { status: "FAILED", flagged: false, sample, reason: `No verification key is committed for circuit ${circuit}` });
    const verdict = await verifyAudit(bundle, keys, pins);
    const stored = auditBundle.safeParse(bundle).success ? bundle : undefined;
    await finish(db, auditId, {
      status: verdict.ok ? "PASSED" : "FAILED", flagged: !verdict.ok, chunks: bundle.accs.length - 1, sample, bundle: stored, checks: verdict.checks,
      provingMs: Date.now() - t0, reason: verdict.ok ? undefined : verdict.checks.filter((c) => !c.ok).map((c) => `${c.what}: ${c.detail ?? "failed"}`).join("; "),
    });
  } catch (e) {
    await finish(db, auditId, { status: "FAILED", reason: `The audit could not run: ${(e as Error).message}` }).catch(() => {});
  }
}

/** End a RUNNING audit that cannot go on (not flagged: nothing says the node did wrong). */
export async function endAudit(db: PrismaClient, auditId: string, reason: string) {
  await finish(db, auditId, { status: "FAILED", reason });
}

export const auditListInput = z.object({ queryId: z.uuid().optional(), flagged: z.boolean().optional(), limit: z.number().int().min(1).max(200).default(50) });

export async function listAudits(db: PrismaClient, o: z.input<typeof auditListInput> & { orgId: string; supervisor: boolean }) {
  const input = auditListInput.parse(o);
  const mine = o.supervisor ? {} : { queryId: { in: (await db.queryJob.findMany({ where: { buyerOrgId: o.orgId, ...(input.queryId ? { id: input.queryId } : {}) }, select: { id: true } })).map((j) => j.id) } };
  const audits = await db.audit.findMany({
    where: { ...(input.queryId && o.supervisor ? { queryId: input.queryId } : {}), ...mine, ...(input.flagged !== undefined ? { flagged: input.flagged } : {}) },
    orderBy: { createdAt: "desc" }, take: input.limit,
    select: { id: true, queryId: true, nodeId: true, status: true, reason: true, flagged: true, chunks: true, sample: true, sampleBps: true, provingMs: true, createdAt: true, finishedAt: true },
  });
  const nodes = await db.computationNode.findMany({ where: { id: { in: [...new Set(audits.map((a) => a.nodeId))] } }, select: { id: true, name: true, organisation: { select: { name: true, nameZh: true } } } });
  const byId = new Map(nodes.map((n) => [n.id, n]));
  // A failed check's detail may quote a holder's exact figures: the supervisor's to read, not the buyer's.
  const shown = (a: (typeof audits)[number]) => (o.supervisor || a.status !== "FAILED" ? a.reason : "A check failed; the supervisor holds the details.");
  return audits.map((a) => ({ ...a, reason: shown(a), node: byId.get(a.nodeId)?.name ?? "?", holder: byId.get(a.nodeId)?.organisation ?? null }));
}

/**
 * One audit. The supervisor sees everything: the bundle (chains, per-node figures) and each
 * check's detail. A buyer sees the verdict, the checks' names and outcomes, and the bundle's
 * hash (the one on the ledger): per-node figures are exact counts about a holder's rows, which
 * the buyer's DP budget does not pay for.
 */
export async function getAudit(db: PrismaClient, o: { auditId: string; orgId: string; supervisor: boolean }) {
  const a = await db.audit.findUnique({ where: { id: o.auditId } });
  const job = a && await db.queryJob.findUnique({ where: { id: a.queryId }, select: { buyerOrgId: true } });
  if (!a || !job || (!o.supervisor && job.buyerOrgId !== o.orgId)) throw new AppError("NOT_FOUND", "AUDIT_NOT_FOUND", "No such audit that you may see.");
  const checks = a.checks as { what: string; ok: boolean; detail?: string }[] | null;
  const bundleHash = a.bundle ? textHash(canonicalJson(a.bundle)) : null;
  const verdict = { id: a.id, queryId: a.queryId, status: a.status, flagged: a.flagged, bundleHash };
  if (o.supervisor) return { ...verdict, reason: a.reason, bundle: a.bundle as AuditBundle | null, checks };
  return { ...verdict, reason: a.reason && a.status === "FAILED" ? "A check failed; the supervisor holds the details." : a.reason, bundle: null, checks: checks?.map(({ what, ok }): { what: string; ok: boolean; detail?: string } => ({ what, ok })) ?? null };
}

/** Delivered queries the supervisor may audit, newest first. */
export async function auditableQueries(db: PrismaClient) {
  const jobs = await db.queryJob.findMany({
    where: { status: "SUCCEEDED" }, orderBy: { finishedAt: "desc" }, take: 50,
    select: { id: true, finishedAt: true, buyerOrgId: true, product: { select: { name: true, nameZh: true } } },
  });
  const audited = await db.audit.groupBy({ by: ["queryId"], where: { queryId: { in: jobs.map((j) => j.id) } }, _count: true });
  const counts = new Map(audited.map((a) => [a.queryId, a._count]));
  return jobs.map((j) => ({ ...j, audits: counts.get(j.id) ?? 0 }));
}
