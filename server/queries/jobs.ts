/**
 * Encrypted aggregate queries as durable jobs.
 *
 *   submitQuery  checks the policy and the privacy floor, charges ε (to the product's budget
 *                and to each source dataset's, per buyer organisation) and creates the job in
 *                one transaction
 *   runQueryJob  asks every source node (in parallel), verifies their signatures, sums the
 *                masked counts (learning only totals, noisy under DP), zeroes groups below k
 *                in the summed ciphertexts, and stores the single result; any failure fails
 *                the whole query; its ε comes back only if no node was asked to compute
 *   claimNextJob takes the oldest queued job, or a running one whose worker stopped renewing its
 *                lease (killed, cut off), with a lease and a fresh claim id; a job claimed
 *                MAX_ATTEMPTS times and interrupted again is failed instead
 */
import { randomUUID } from "node:crypto";
import { addCiphertexts, encryptVector, maskCiphertexts } from "@/core/he";
import { unmaskSum } from "@/core/masks";
import {
  aggregateResponse, blockWidths, CONTRIBUTION_EPSILON, contributionResponse, type AggregatePlan, type AggregateRequest, type AggregateResponse, type ContributionRequest, type ProductPlan,
} from "@/core/protocol";
import { recognizeDelivery } from "../money/payments";
import type { Prisma, PrismaClient } from "../db/generated/client";
import { recordEvent, textHash } from "../ledger/events";
import { fetchCommitment } from "../proofs/audits";
import { assertNotSuspended } from "../ledger/supervision";
import { planHash, sha256Hex, type QueryAuthorization } from "@/core/statements";
import { checkBuyerSignature, freshCheckpoint, queryEvidence, supervisionProofs } from "./authorization";
import { type SignedCheckpoint } from "@/core/ledger";
import { canonicalJson } from "@/core/canonical-json";
import { AppError } from "../errors";
import { callNode, freshFields, httpNodeCall, ledgerHeadFor, recordWitnessed, WITNESS_TRIES, type NodeCall } from "../nodes/client";
import { consumeEntitlement, returnEntitlement } from "../orders/orders";
import { planQuery, storedPlan, type BuyerQuery } from "./policy";
import { loadPolicy } from "../products/load-policy";
import { assertFloor, floorSettings } from "./floor";

const MAX_ATTEMPTS = 3;
const NODE_TIMEOUT_MS = 120_000;


/** The plan a query would run, for the buyer to check and sign (no side effects). */
export async function prepareQuery(db: PrismaClient, opts: { productId: string; buyerOrgId: string; query: BuyerQuery }) {
  const { policy } = await loadPolicy(db, opts.productId);
  const planned = planQuery(policy, opts.query);
  return { plan: planned.plan, planHash: planHash(planned.plan), epsilon: planned.epsilon, groups: planned.groups, buyerOrgId: opts.buyerOrgId };
}

/** The statement a buyer signs for a query (core/statements.ts), built the same way here and at submission. */
export const authorizationOf = (o: { queryId: string; productId: string; buyerOrgId: string; plan: ProductPlan; publicKey: string; epsilon: number }): QueryAuthorization => ({
  type: "query-authorization", queryId: o.queryId, productId: o.productId, buyerOrgId: o.buyerOrgId, planHash: planHash(o.plan), heKeyHash: sha256Hex(o.publicKey), epsilon: o.epsilon,
});

/** A buyer's public key is checked by using it once: it must load with our parameters and encrypt. */
const validateKey = async (publicKey: string) => { await encryptVector(publicKey, [0n]); };

export async function submitQuery(db: PrismaClient, opts: {
  productId: string; buyerOrgId: string; userId: string; query: BuyerQuery; publicKey: string; idempotencyKey?: string;
  /** the query id the buyer chose and signed, the signature over its authorisation, and the signing key's thumbprint */
  queryId: string; signature: string; signingKey: string;
}) {
  if (opts.idempotencyKey) {
    const existing = await db.queryJob.findUnique({ where: { buyerOrgId_idempotencyKey: { buyerOrgId: opts.buyerOrgId, idempotencyKey: opts.idempotencyKey } } });
    if (existing) return { id: existing.id, status: existing.status, epsilon: existing.epsilon };
  }
  try {
    return await acceptQuery(db, opts);
  } catch (e) {
    // A refusal is a supervised fact too: it goes on the ledger with its reason code.
    if (e instanceof AppError) {
      await db.$transaction((tx) => recordEvent(tx, { type: "query.refused", actorOrgId: opts.buyerOrgId, refs: { productId: opts.productId }, data: { code: e.reason } }))
        .catch((err: unknown) => console.error("Could not record a refused query on the ledger:", err)); // the refusal stands either way
    }
    throw e;
  }
}

async function acceptQuery(db: PrismaClient, opts: Parameters<typeof submitQuery>[1]) {
  await assertNotSuspended(db, { buyerOrgId: opts.buyerOrgId, productId: opts.productId });
  const { product, policy } = await loadPolicy(db, opts.productId);
  if (product.status !== "LISTED") throw new AppError("CONFLICT", "PRODUCT_NOT_LISTED", "This product is not listed: it cannot be queried now.");
  if (product.sources.length === 0 || product.sources.some((s) => !s.node.active)) {
    throw new AppError("UNAVAILABLE", "SOURCE_UNAVAILABLE", "A data source of this product is not available.");
  }
  // The floor holds for every query, whatever was approved before the floor changed.
  await assertFloor(db, policy, product.sources);
  const planned = planQuery(policy, opts.query);
  const statement = authorizationOf({ queryId: opts.queryId, productId: product.id, buyerOrgId: opts.buyerOrgId, plan: planned.plan, publicKey: opts.publicKey, epsilon: planned.epsilon });
  await checkBuyerSignature(db, { statement, signature: opts.signature, signingKey: opts.signingKey });
  if (await db.queryJob.findUnique({ where: { id: opts.queryId }, select: { id: true } })) throw new AppError("CONFLICT", "QUERY_ID_TAKEN", "A query with this id exists: sign a new one.");
  await validateKey(opts.publicKey).catch((e: Error & { code?: string }) => {
    throw new AppError("BAD_INPUT", "BAD_PUBLIC_KEY", `The HE public key is not usable: ${e.message}`);
  });
  return db.$transaction(async (tx) => {
    // The order's entitlement (quota, validity) and the ε budget are used together or not at all.
    const orderId = await consumeEntitlement(tx, { buyerOrgId: opts.buyerOrgId, productId: product.id });
    if (policy.privacy.mode === "dp") {
      await chargeEpsilon(tx, { productId: product.id, buyerOrgId: opts.buyerOrgId, epsilon: planned.epsilon, total: policy.privacy.epsilonPerBuyer });
      await chargeDatasets(tx, { queryId: opts.queryId, buyerOrgId: opts.buyerOrgId, epsilon: planned.epsilon, sources: product.sources });
    }
    // The key once, however many queries use it; the buyer signed its hash (statement.heKeyHash).
    const heKeyHash = statement.heKeyHash;
    if (!(await tx.heKey.findUnique({ where: { hash: heKeyHash }, select: { hash: true } }))) {
      await tx.heKey.createMany({ data: [{ hash: heKeyHash, key: opts.publicKey }], skipDuplicates: true });
    }
    const job = await tx.queryJob.create({
      data: {
        id: opts.queryId, productId: product.id, buyerOrgId: opts.buyerOrgId, requestedById: opts.userId, idempotencyKey: opts.idempotencyKey, orderId,
        query: opts.query as Prisma.InputJsonValue, plan: planned as unknown as Prisma.InputJsonValue, epsilon: planned.epsilon, heKeyHash,
        signature: opts.signature, signingKey: opts.signingKey,
      },
      select: { id: true, status: true, epsilon: true },
    });
    // Public before any node computes: the nodes require this entry's inclusion proof.
    const acceptedEntryId = await recordEvent(tx, {
      type: "query.accepted", actorOrgId: opts.buyerOrgId, objectId: job.id, refs: { productId: product.id, ...(orderId ? { orderId } : {}) },
      data: { epsilon: planned.epsilon, groups: planned.groups, planHash: statement.planHash, heKeyHash: statement.heKeyHash, buyerKey: opts.signingKey, signature: opts.signature },
    });
    await tx.queryJob.update({ where: { id: job.id }, data: { acceptedEntryId } });
    return job;
  });
}

/** Charge ε atomically: the conditional UPDATE either fits the budget or changes nothing. */
async function chargeEpsilon(tx: Prisma.TransactionClient, o: { productId: string; buyerOrgId: string; epsilon: number; total: number }) {
  await tx.privacyBudget.upsert({
    where: { productId_buyerOrgId: { productId: o.productId, buyerOrgId: o.buyerOrgId } },
    create: { productId: o.productId, buyerOrgId: o.buyerOrgId, total: o.total },
    update: {},
  });
  const charged = await tx.$executeRaw`UPDATE "PrivacyBudget" SET "spent" = "spent" + ${o.epsilon}, "updatedAt" = now()
    WHERE "productId" = ${o.productId}::uuid AND "buyerOrgId" = ${o.buyerOrgId}::uuid AND "spent" + ${o.epsilon} <= "total" + 1e-9`;
  if (charged !== 1) {
    const b = await tx.privacyBudget.findUniqueOrThrow({ where: { productId_buyerOrgId: { productId: o.productId, buyerOrgId: o.buyerOrgId } } });
    throw new AppError("CONFLICT", "BUDGET_EXHAUSTED", `Not enough privacy budget: this query needs ε ${o.epsilon}, ${Math.max(0, b.total - b.spent).toFixed(3)} of ${b.total} is left.`);
  }
}

/**
 * Charge ε to each source dataset's account for this buyer organisation, shared by every product
 * built on the dataset (a rolling window of floorSettings().periodDays). The buyer's organisation
 * row is locked first, so two concurrent queries of one buyer cannot both fit the last ε.
 */
async function chargeDatasets(tx: Prisma.TransactionClient, o: { queryId: string; buyerOrgId: string; epsilon: number; sources: { nodeId: string; dataset: string }[] }) {
  const f = floorSettings();
  await tx.$queryRaw`SELECT 1 FROM "Organisation" WHERE "id" = ${o.buyerOrgId}::uuid FOR UPDATE`;
  const since = new Date(Date.now() - f.periodDays * 86_400_000);
  for (const s of o.sources) {
    const charges = await tx.epsilonCharge.findMany({ where: { buyerOrgId: o.buyerOrgId, nodeId: s.nodeId, dataset: s.dataset, createdAt: { gte: since } }, orderBy: { createdAt: "asc" }, select: { epsilon: true, createdAt: true } });
    const spent = charges.reduce((a, c) => a + c.epsilon, 0);
    if (spent + o.epsilon > f.epsilonPerDataset + 1e-9) {
      const refresh = charges[0] ? new Date(charges[0].createdAt.getTime() + f.periodDays * 86_400_000).toISOString().slice(0, 10) : "";
      throw new AppError("CONFLICT", "BUDGET_EXHAUSTED", `Not enough privacy budget on dataset ${s.dataset}: this query needs ε ${o.epsilon}, ${Math.max(0, f.epsilonPerDataset - spent).toFixed(3)} of ${f.epsilonPerDataset} is left for your organisation over every product built on it${refresh ? ` (ε starts coming back on ${refresh})` : ""}.`);
    }
  }
  await tx.epsilonCharge.createMany({ data: o.sources.map((s) => ({ queryId: o.queryId, buyerOrgId: o.buyerOrgId, nodeId: s.nodeId, dataset: s.dataset, epsilon: o.epsilon })) });
}

/**
 * Mark a running job failed and give its use of the order back, exactly once. Its ε comes back
 * only if no node was asked to compute: once one may have, the failure could depend on the
 * data, and a free failure would be a free look at it.
 */
async function failJob(db: PrismaClient, jobId: string, message: string, claim?: string | null) {
  await db.$transaction(async (tx) => {
    const moved = await tx.queryJob.updateMany({
      where: { id: jobId, status: { in: ["RUNNING", "QUEUED"] }, ...(claim ? { claimedBy: claim } : {}) },
      data: { status: "FAILED", error: message, finishedAt: new Date(), leaseUntil: null },
    });
    if (moved.count !== 1) return;
    const job = await tx.queryJob.findUniqueOrThrow({ where: { id: jobId } });
    const refund = job.epsilon > 0 && !job.computeStartedAt;
    await recordEvent(tx, { type: "query.failed", actorOrgId: null, objectId: job.id, refs: { productId: job.productId, buyerOrgId: job.buyerOrgId }, data: { epsilonReturned: refund ? job.epsilon : 0 } });
    if (job.orderId) await returnEntitlement(tx, job.orderId);
    if (refund) {
      await tx.epsilonCharge.deleteMany({ where: { queryId: job.id } });
      await tx.$executeRaw`UPDATE "PrivacyBudget" SET "spent" = GREATEST("spent" - ${job.epsilon}, 0), "updatedAt" = now()
        WHERE "productId" = ${job.productId}::uuid AND "buyerOrgId" = ${job.buyerOrgId}::uuid`;
    }
  });
}

/** How long a claim holds without renewal (QUERY_LEASE_MS; the run renews it every third of that). */
export const queryLeaseMs = () => Number(process.env.QUERY_LEASE_MS ?? 60_000);

/**
 * Take the oldest job waiting to run: queued, or RUNNING with a lapsed lease (its worker died or
 * lost the database). One atomic UPDATE … FOR UPDATE SKIP LOCKED, so several workers never take
 * the same job while its lease holds; each claim gets a fresh `claimedBy`, and only the run holding
 * it can move the job on (runQueryJob), so a worker that lost its lease cannot finish the job too.
 */
export async function claimNextJob(db: PrismaClient, leaseMs = queryLeaseMs()): Promise<string | null> {
  // Jobs interrupted MAX_ATTEMPTS times (a query that keeps killing its worker) end instead.
  const worn = await db.$queryRaw<{ id: string }[]>`SELECT "id"::text AS "id" FROM "QueryJob"
    WHERE "status" = 'RUNNING' AND "attempts" >= ${MAX_ATTEMPTS} AND ("leaseUntil" IS NULL OR "leaseUntil" < now()) LIMIT 10`;
  for (const j of worn) await failJob(db, j.id, `Interrupted ${MAX_ATTEMPTS} times (its worker stopped while running it).`);
  const rows = await db.$queryRaw<{ id: string }[]>`UPDATE "QueryJob" SET "status" = 'RUNNING', "startedAt" = now(), "attempts" = "attempts" + 1, "progress" = 5,
      "leaseUntil" = now() + make_interval(secs => ${leaseMs / 1000}), "claimedBy" = gen_random_uuid()
    WHERE "id" = (SELECT "id" FROM "QueryJob"
      WHERE "status" = 'QUEUED' OR ("status" = 'RUNNING' AND ("leaseUntil" IS NULL OR "leaseUntil" < now()) AND "attempts" < ${MAX_ATTEMPTS})
      ORDER BY "createdAt" LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING "id"::text AS "id"`;
  return rows[0]?.id ?? null;
}

/** Which slots belong to released groups: 1 keeps a slot, 0 zeroes it. */
export function slotMask(plan: Pick<AggregatePlan, "groupBy" | "stats">, suppressed: boolean[]): (0 | 1)[] {
  const g = suppressed.length;
  return blockWidths(plan).flatMap((w) => {
    const per = w / g; // 1 for count/sum blocks, buckets for a histogram (group-major)
    return Array.from({ length: w }, (_, i): 0 | 1 => (suppressed[Math.floor(i / per)] ? 0 : 1));
  });
}


export async function runQueryJob(db: PrismaClient, jobId: string, call: NodeCall = httpNodeCall): Promise<void> {
  const { heKey, ...row } = await db.queryJob.findUniqueOrThrow({ where: { id: jobId }, include: { heKey: true } });
  const job = { ...row, publicKey: heKey.key };
  // This run's claim: renewed while it runs, and the condition of every step that moves the job on.
  const claim = job.claimedBy;
  const leaseMs = queryLeaseMs();
  const renew = setInterval(() => {
    void db.$executeRaw`UPDATE "QueryJob" SET "leaseUntil" = now() + make_interval(secs => ${leaseMs / 1000}) WHERE "id" = ${job.id}::uuid AND "status" = 'RUNNING' AND "claimedBy" IS NOT DISTINCT FROM ${claim}::uuid`
      .catch((e: unknown) => console.error(`[query ${job.id}] lease not renewed:`, (e as Error).message));
  }, Math.max(100, leaseMs / 3));
  const mine = { id: job.id, status: "RUNNING" as const, claimedBy: claim };
  try {
    await assertNotSuspended(db, { buyerOrgId: job.buyerOrgId, productId: job.productId });
    const { product, policy } = await loadPolicy(db, job.productId);
    const planned = storedPlan(job.plan);
    const sources = product.sources;
    const peers = sources.map((s) => ({ nodeId: s.node.signingKey, x25519: s.node.agreementKey }));
    let done = 0;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), NODE_TIMEOUT_MS);
    const statement = authorizationOf({ queryId: job.id, productId: job.productId, buyerOrgId: job.buyerOrgId, plan: planned.plan, publicKey: job.publicKey, epsilon: job.epsilon });
    const jobCheckpoint = await freshCheckpoint(db);
    /** Everything a node checks for itself, proven under the checkpoint it is given. */
    const evidenceAt = async (cp: SignedCheckpoint) => ({
      authorization: await queryEvidence(db, job, statement, cp.size),
      supervision: await supervisionProofs(db, [job.buyerOrgId, job.productId], cp.size),
    });
    // Made once per checkpoint and shared by every node's request (the nodes ask in parallel).
    const evidence = new Map<number, ReturnType<typeof evidenceAt>>();
    const evidenceFor = (cp: SignedCheckpoint) => evidence.get(cp.size) ?? evidence.set(cp.size, evidenceAt(cp)).get(cp.size)!;
    // From here a node may compute: the ε stays spent whatever happens next.
    await db.queryJob.updateMany({ where: { id: job.id, computeStartedAt: null }, data: { computeStartedAt: new Date() } });
    const answers = await Promise.all(sources.map(async (s) => {
      // Each node witnesses the ledger: it gets the current checkpoint with a consistency proof
      // from the size it last saw. If our record of that size is stale (another worker's request
      // reached the node meanwhile), it tells us its size and we retry with a fresh checkpoint.
      let fromSize = Number(s.node.witnessedSize ?? 0n);
      let answer: AggregateResponse | undefined;
      for (let attempt = 0; !answer; attempt++) {
        // One checkpoint for all the job's nodes; a retry asks for a fresh one (the node may have seen a newer one).
        const ledger = await ledgerHeadFor(db, fromSize, attempt === 0 ? jobCheckpoint : await freshCheckpoint(db));
        const request: AggregateRequest = {
          type: "aggregate", queryId: job.id, ...freshFields(s.node, 2 * 60_000), productId: job.productId, plan: planned.plan,
          publicKey: job.publicKey, peers, ledger, ...(await evidenceFor(ledger.checkpoint)),
        };
        try {
          answer = (await callNode(s.node, "/v1/aggregate", request, aggregateResponse, { call, signal: controller.signal })).payload;
        } catch (e) {
          const size = (e as AppError & { size?: number }).size;
          // Other workers' queries move the node's witnessed size too: each retry asks again from the size it reports.
          if (attempt + 1 >= WITNESS_TRIES || !(e instanceof AppError) || (e.reason !== "WITNESS_FROM" && e.reason !== "WITNESS_BEHIND") || typeof size !== "number") throw e;
          fromSize = size;
        }
      }
      if (answer.queryId !== job.id || answer.nodeId !== s.node.signingKey) throw new Error(`Node ${s.node.name} answered another request.`);
      const counted = sources.length === 1 ? answer.suppressed?.length : answer.maskedCounts.length;
      if (counted !== planned.groups) throw new Error(`Node ${s.node.name} sent ${counted ?? 0} counts for ${planned.groups} groups.`);
      done++;
      await db.queryJob.updateMany({ where: mine, data: { progress: 10 + Math.round((70 * done) / sources.length) } });
      await recordWitnessed(db, s.nodeId, answer.witnessedSize);
      return answer;
    }).map((p) => p.catch((e: unknown) => { controller.abort(); throw e; }))) // one failure ends the query: stop waiting on the rest
      .finally(() => clearTimeout(timer));

    await db.computationNode.updateMany({ where: { id: { in: sources.map((s) => s.nodeId) } }, data: { lastSeenAt: new Date() } });
    // Only the totals are ever known here: each node's counts are hidden by its masks. A product's
    // only source sends no counts at all: it applies k itself and says which groups it suppressed.
    const single = sources.length === 1;
    // Under DP every node adds a selection-noise draw to its counts: the totals here are noisy, and
    // so is each keep-or-suppress decision. Without DP (open data only, server/queries/floor.ts) they are exact.
    const totals = single ? null : unmaskSum(answers.map((a) => a.maskedCounts));
    const selectionSlack = planned.plan.noise ? BigInt(Math.ceil(sources.length * (20 * planned.plan.noise.selection + 1))) : 0n;
    // Masks that do not cancel (a node used other keys, or lied) show up as absurd totals.
    if (totals?.some((n) => n < -selectionSlack || n > BigInt(policy.maxRowsTotal) + selectionSlack)) throw new Error("The nodes' masked counts do not add up: a node answered inconsistently.");
    const suppressed = totals ? totals.map((n) => n < BigInt(policy.minCohort)) : answers[0]!.suppressed!;
    const summed = await addCiphertexts(answers.map((a) => a.ciphertexts));
    const ciphertexts = await maskCiphertexts(job.publicKey, summed, slotMask(planned.plan, suppressed));
    const result = { ciphertexts, suppressed };
    // Each node's rows in the released groups: what the holders' revenue is split by.
    const released = suppressed.map((x) => !x);
    const contributions = await Promise.all(sources.map(async (s) => {
      const request: ContributionRequest = { type: "contribution", queryId: job.id, ...freshFields(s.node), released };
      const { payload: answer } = await callNode(s.node, "/v1/contribution", request, contributionResponse, { call, timeoutMs: NODE_TIMEOUT_MS });
      if (answer.queryId !== job.id || answer.nodeId !== s.node.signingKey) throw new Error(`Node ${s.node.name} reported another query's contribution.`);
      return { nodeId: s.nodeId, holderOrgId: s.node.organisationId, rows: BigInt(answer.rows) };
    }));
    // What each node signed about its answer's provability (docs/proofs.md), kept with its contribution.
    const commitments = sources.map((_, i) => {
      const c = answers[i]!.commitment;
      return !c ? { unprovable: "The node signed no commitment with its answer" } : "notProvable" in c ? { unprovable: c.notProvable } : { commitmentRoot: c.root, finalAcc: c.finalAcc, chunks: c.chunks };
    });
    // Contributions carry each node's discrete Laplace noise (ε = CONTRIBUTION_EPSILON per person): they
    // must add up to the released (noisy) totals within a bound their noise exceeds with probability below e^-20 per draw.
    if (totals) {
      const releasedTotal = totals.reduce((a, n, g) => (released[g] ? a + n : a), 0n);
      const rowsPerPerson = policy.privacy.mode === "dp" ? policy.privacy.maxRowsPerPerson ?? 1 : 1;
      const releasedGroups = BigInt(released.filter(Boolean).length);
      const slack = BigInt(Math.ceil(sources.length * (20 * rowsPerPerson / CONTRIBUTION_EPSILON + 1))) + (selectionSlack * releasedGroups);
      const reported = contributions.reduce((a, c) => a + c.rows, 0n);
      if (reported - releasedTotal > slack || releasedTotal - reported > slack) throw new Error("The nodes' reported contributions do not add up to the released totals: a node misreported.");
    }
    await db.$transaction(async (tx) => {
      const moved = await tx.queryJob.updateMany({ where: mine, data: { status: "SUCCEEDED", progress: 100, finishedAt: new Date(), result, leaseUntil: null } });
      if (moved.count !== 1) return;
      await tx.contribution.createMany({ data: contributions.map((c, i) => ({ queryId: job.id, ...c, ...commitments[i] })) });
      // The delivered query is paid for now, out of the order's prepayment, and split by contribution.
      const charged = job.orderId ? await recognizeDelivery(tx, { queryId: job.id, orderId: job.orderId, contributions }) : null;
      await recordEvent(tx, {
        type: "query.delivered", actorOrgId: null, objectId: job.id, refs: { productId: job.productId, buyerOrgId: job.buyerOrgId },
        data: {
          epsilon: job.epsilon, groups: suppressed.length, released: released.filter(Boolean).length, nodes: sources.length, resultHash: textHash(canonicalJson(result)),
          commitmentsHash: textHash(canonicalJson(commitments)),
          ...(charged ? { chargedMinor: Number(charged.chargedMinor), currency: charged.currency } : {}),
        },
      });
    });
    // Register dataset commitments the nodes answered from that we have not seen yet (a new update cycle).
    await Promise.all(sources.map(async (s, i) => {
      const root = commitments[i]!.commitmentRoot;
      if (!root || await db.datasetCommitment.findUnique({ where: { nodeId_dataset_root: { nodeId: s.nodeId, dataset: s.dataset, root } } })) return;
      await fetchCommitment(db, s.node, s.dataset, false, call).catch((e: unknown) => console.error(`[query ${job.id}] node ${s.node.name}'s commitment could not be registered:`, (e as Error).message));
    }));
  } catch (e) {
    await failJob(db, job.id, (e as Error).message, claim);
  } finally {
    clearInterval(renew);
  }
}

export async function getQuery(db: PrismaClient, opts: { jobId: string; buyerOrgId: string }) {
  const job = await db.queryJob.findFirst({ where: { id: opts.jobId, buyerOrgId: opts.buyerOrgId }, include: { product: { select: { name: true, nameZh: true, slug: true } } } });
  if (!job) throw new AppError("NOT_FOUND", "QUERY_NOT_FOUND", "No such query for your organisation.");
  const budget = await db.privacyBudget.findUnique({ where: { productId_buyerOrgId: { productId: job.productId, buyerOrgId: opts.buyerOrgId } } });
  return {
    id: job.id, status: job.status, progress: job.progress, error: job.error, epsilon: job.epsilon,
    product: job.product, createdAt: job.createdAt, finishedAt: job.finishedAt,
    planned: storedPlan(job.plan),
    result: job.result as { ciphertexts: string[]; suppressed: boolean[] } | null,
    budget: budget ? { total: budget.total, spent: budget.spent } : null,
  };
}

/** The buyer's most recent queries, for its console. */
export function listQueries(db: PrismaClient, buyerOrgId: string) {
  return db.queryJob.findMany({
    where: { buyerOrgId }, orderBy: { createdAt: "desc" }, take: 25,
    select: { id: true, status: true, progress: true, epsilon: true, createdAt: true, error: true, product: { select: { name: true, nameZh: true, slug: true } } },
  });
}

export const newIdempotencyKey = () => randomUUID();
