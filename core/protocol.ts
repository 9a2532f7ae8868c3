/**
 * The contract between the marketplace and a holder's computation node for aggregate
 * queries ("usable but invisible"). Shared by both sides; imports nothing from server/.
 *
 * Slot layout. A plan fixes G groups (the cross product of the group-by dimensions'
 * values, in order, last dimension fastest). Every node produces the same vector
 *   [count_0..count_{G-1}] ++ for each stat s: [s_0 .. s_{G-1}]  (a histogram stat has
 *   G × buckets slots, group-major)
 * of integers (fixed point), split into chunks of SLOTS, each encrypted as one BFV
 * ciphertext. Slot i of every node's ciphertext means the same thing, so the marketplace
 * can add them and mask whole groups without decrypting.
 */
import { z } from "zod";

export const SLOTS = 8192;

export const filterOps = ["eq", "neq", "in", "lt", "lte", "gt", "gte", "between"] as const;
export type FilterOp = (typeof filterOps)[number];
export const aggregates = ["COUNT", "SUM", "AVG", "VARIANCE", "STDDEV", "HISTOGRAM"] as const;
export type Aggregate = (typeof aggregates)[number];

/** A dimension: categories (strings) or numeric buckets [edges[i], edges[i+1]). */
export const dimensionSpec = z.discriminatedUnion("kind", [
  z.object({ name: z.string(), kind: z.literal("category"), values: z.array(z.string()).min(1).max(1024) }),
  z.object({ name: z.string(), kind: z.literal("bucket"), edges: z.array(z.number()).min(2).max(1025) }),
]);
export type DimensionSpec = z.infer<typeof dimensionSpec>;

/** One column-level statistic a node computes per group. COUNT is always computed. */
export const statSpec = z.discriminatedUnion("kind", [
  /** Σ round(v·10^scale) */
  z.object({ kind: z.literal("sum"), column: z.string(), scale: z.number().int().min(0).max(6) }),
  /** Σ round(v·10^scale)² */
  z.object({ kind: z.literal("sumsq"), column: z.string(), scale: z.number().int().min(0).max(6) }),
  /** count of rows per bucket [edges[i], edges[i+1]) of the column */
  z.object({ kind: z.literal("hist"), column: z.string(), edges: z.array(z.number()).min(2).max(65) }),
]);
export type StatSpec = z.infer<typeof statSpec>;

export const filterSpec = z.object({
  column: z.string(),
  op: z.enum(filterOps),
  /** a string or number; an array for "in"; [low, high] (inclusive) for "between" */
  value: z.union([z.string(), z.number(), z.array(z.union([z.string(), z.number()])).max(1024)]),
});
export type FilterSpec = z.infer<typeof filterSpec>;

/** Declared range of a measure column: the node clamps every value into it (and imputes a missing one, docs/queries.md). */
export const columnRange = z.object({ column: z.string(), min: z.number(), max: z.number() });

/**
 * Differential-privacy noise each node adds (computation/aggregate/noise.ts: discrete Laplace,
 * sampled exactly). Every node adds a full draw, so the noise holds even if all other sources
 * collude with the buyer (docs/queries.md).
 */
export const noiseSpec = z.object({
  /** discrete Laplace scale b per block of the vector, in the block's own fixed-point units; index 0 is the count */
  scales: z.array(z.number().nonnegative()),
  /** scale of the noisy count on which each group is kept or suppressed (its own share of ε) */
  selection: z.number().positive(),
}).nullable();

export const aggregatePlan = z.object({
  /** the node-local dataset (resource) name */
  dataset: z.string(),
  groupBy: z.array(dimensionSpec).max(4),
  filters: z.array(filterSpec).max(16),
  stats: z.array(statSpec).max(16),
  ranges: z.array(columnRange),
  noise: noiseSpec,
  /** the product's minimum cohort: a product's only source suppresses below the larger of it and its own */
  minCohort: z.number().int().min(1).max(1_000_000).optional(),
});
export type AggregatePlan = z.infer<typeof aggregatePlan>;

export function groupCount(plan: Pick<AggregatePlan, "groupBy">): number {
  return plan.groupBy.reduce((n, d) => n * (d.kind === "category" ? d.values.length : d.edges.length - 1), 1);
}

/** Width in slots of each block of the vector: the count block, then one per stat. */
export function blockWidths(plan: Pick<AggregatePlan, "groupBy" | "stats">): number[] {
  const g = groupCount(plan);
  return [g, ...plan.stats.map((s) => (s.kind === "hist" ? g * (s.edges.length - 1) : g))];
}

export function vectorLength(plan: Pick<AggregatePlan, "groupBy" | "stats">): number {
  return blockWidths(plan).reduce((a, b) => a + b, 0);
}

/** The signed request the marketplace sends a node. */
/**
 * After a query, the marketplace tells each node which groups were released (not suppressed
 * below k); the node answers how many of its rows fell in them: its contribution, used to
 * split the holders' revenue. A count over released groups only, never a value. The sum over
 * nodes must equal the released totals the marketplace already knows, so a node cannot
 * inflate its share unnoticed.
 */
/** ε of the noisy count a node reports as its contribution (for the revenue split), once per query. */
export const CONTRIBUTION_EPSILON = 0.5;

export const contributionRequest = z.object({
  type: z.literal("contribution"),
  queryId: z.string().uuid(),
  nodeId: z.string(),
  released: z.array(z.boolean()).min(1).max(100_000),
  issuedAt: z.number().int(),
  expiresAt: z.number().int(),
  nonce: z.string().min(16).max(64),
});
export type ContributionRequest = z.infer<typeof contributionRequest>;
export const contributionResponse = z.object({
  type: z.literal("contribution-result"),
  queryId: z.string().uuid(),
  nodeId: z.string(),
  rows: z.string().regex(/^\d{1,20}$/),
});

/** The marketplace's current ledger head, and the proof that it extends what the node last witnessed. */
export const ledgerHead = z.object({
  checkpoint: z.object({
    origin: z.string().max(200), size: z.number().int().nonnegative(), root: z.string().regex(/^[0-9a-f]{64}$/),
    timestamp: z.number().int().nonnegative(), signature: z.string().max(200),
  }),
  fromSize: z.number().int().nonnegative(),
  proof: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(128),
});
export type LedgerHead = z.infer<typeof ledgerHead>;

/** A ledger entry with its inclusion proof under the request's checkpoint (`ledger.checkpoint`). */
export const ledgerEntryProof = z.object({
  index: z.number().int().nonnegative(),
  body: z.string().max(10_000),
  proof: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(64),
});
export type LedgerEntryProof = z.infer<typeof ledgerEntryProof>;

/**
 * The buyer's authorisation of a query, as the node checks it (computation/node/evidence.ts):
 * the statement the buyer signed, its signature, the `query.accepted` entry recording both, and
 * the `buyer.key.registered` entry of the key that signed.
 */
export const queryEvidence = z.object({
  statement: z.unknown(),
  signature: z.string().max(200),
  entry: ledgerEntryProof,
  keyEntry: ledgerEntryProof,
});
export type QueryEvidence = z.infer<typeof queryEvidence>;

/** The plan a buyer signs for a product: the same for every source (each node puts in its own dataset). */
export const productPlan = aggregatePlan.omit({ dataset: true });
export type ProductPlan = z.infer<typeof productPlan>;
/** The plan one node runs: the product's plan on that node's dataset. Audits derive it the same way. */
export const nodePlan = (plan: ProductPlan, dataset: string): AggregatePlan => ({ ...plan, dataset });

export const aggregateRequest = z.object({
  type: z.literal("aggregate"),
  queryId: z.string().uuid(),
  nodeId: z.string(),
  productId: z.string().uuid(),
  /** exactly the plan the buyer signed (its hash is in the authorisation) */
  plan: productPlan,
  /** the buyer's BFV public key (base64 of SEAL's serialisation) */
  publicKey: z.string().max(2_000_000),
  /** every node taking part, in mask order, with its X25519 key (base64, raw 32 bytes) */
  peers: z.array(z.object({ nodeId: z.string(), x25519: z.string() })).min(1).max(64),
  issuedAt: z.number().int(),
  expiresAt: z.number().int(),
  nonce: z.string().min(16).max(64),
  ledger: ledgerHead,
  authorization: queryEvidence,
  /** every supervision entry about the buyer or the product, proven under `ledger.checkpoint` */
  supervision: z.array(ledgerEntryProof).max(1000),
});
export type AggregateRequest = z.infer<typeof aggregateRequest>;

/**
 * A consented delivery: the marketplace relays the person's signed consent (core/statements.ts)
 * and the buyer's envelope key; the node checks the person's signature against the key bound
 * to their subject reference at this node, spends its own nullifier, reads the one record in
 * its own domain, and seals it. Dataset, fields, purpose and buyer come from what the person signed.
 */
export const envelopeRequest = z.object({
  type: z.literal("envelope"),
  requestId: z.string().uuid(),
  nodeId: z.string(),
  consent: z.object({ statement: z.unknown(), signature: z.string().max(200) }),
  buyerKey: z.record(z.string(), z.unknown()),
  issuedAt: z.number().int(),
  expiresAt: z.number().int(),
  nonce: z.string().min(16).max(64),
  ledger: ledgerHead,
  /** every supervision entry about the buyer, proven under `ledger.checkpoint` */
  supervision: z.array(ledgerEntryProof).max(1000),
});
export type EnvelopeRequest = z.infer<typeof envelopeRequest>;
/** What the node signs about an envelope it sealed; the buyer's browser checks this signature before opening. */
export const envelopeResponse = z.object({
  type: z.literal("envelope-result"),
  requestId: z.string().uuid(),
  nodeId: z.string(),
  envelope: z.string().max(2_000_000),
  envelopeHash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type EnvelopeResponse = z.infer<typeof envelopeResponse>;

/** Which of a node's datasets keep a record about a person: only on the person's own signed request; names only. */
export const subjectRecordsRequest = z.object({
  type: z.literal("subject-records"),
  nodeId: z.string(),
  request: z.object({ statement: z.unknown(), signature: z.string().max(200) }),
  issuedAt: z.number().int(),
  expiresAt: z.number().int(),
  nonce: z.string().min(16).max(64),
});
export type SubjectRecordsRequest = z.infer<typeof subjectRecordsRequest>;
export const subjectRecordsResponse = z.object({ type: z.literal("subject-records-result"), nodeId: z.string(), subjectRef: z.string(), datasets: z.array(z.string()).max(1000) });

/**
 * A person binds their own signing key to their subject reference at a holder's node, proving
 * with a MAC under the activation code the holder gave them (never seen by the marketplace).
 */
export const bindSubjectRequest = z.object({
  type: z.literal("bind-subject"),
  nodeId: z.string(),
  subjectRef: z.string().regex(/^[A-Za-z0-9_-]{4,64}$/),
  publicJwk: z.record(z.string(), z.unknown()),
  mac: z.string().regex(/^[0-9a-f]{64}$/),
  issuedAt: z.number().int(),
  expiresAt: z.number().int(),
  nonce: z.string().min(16).max(64),
});
export type BindSubjectRequest = z.infer<typeof bindSubjectRequest>;
/** A holder enrols a browser key at its own node, proving with a MAC under the node's enrolment code (keysDir/holder-codes.json). */
export const enrolHolderRequest = z.object({
  type: z.literal("enrol-holder"),
  nodeId: z.string(),
  publicJwk: z.record(z.string(), z.unknown()),
  mac: z.string().regex(/^[0-9a-f]{64}$/),
  issuedAt: z.number().int(),
  expiresAt: z.number().int(),
  nonce: z.string().min(16).max(64),
});
export type EnrolHolderRequest = z.infer<typeof enrolHolderRequest>;

/** The node's receipt: the binding's hash (salted: it names no one) goes on the ledger. */
export const bindSubjectResponse = z.object({ type: z.literal("subject-bound"), nodeId: z.string(), thumbprint: z.string(), bindingHash: z.string().regex(/^[0-9a-f]{64}$/) });

/** The node's signed answer: masked counts in the clear, everything else encrypted. */
export const aggregateResponse = z.object({
  type: z.literal("aggregate-result"),
  queryId: z.string().uuid(),
  nodeId: z.string(),
  /**
   * count per group plus this node's pairwise masks, mod 2^64, as decimal strings (empty when it
   * is the only source); under a noised plan each count first gets this node's selection noise,
   * so the marketplace only ever learns noisy totals
   */
  maskedCounts: z.array(z.string().regex(/^\d{1,20}$/)),
  /** when the node is the product's only source it applies k itself (on noisy counts under a noised plan) and says which groups it suppressed */
  suppressed: z.array(z.boolean()).optional(),
  /** BFV ciphertexts (base64), one per chunk of SLOTS slots of the vector */
  ciphertexts: z.array(z.string()).min(1).max(64),
  /** the ledger size this node has now witnessed */
  witnessedSize: z.number().int().nonnegative(),
  /** what the node's answer can later be audited against (docs/proofs.md) */
  commitment: z.lazy(() => answerCommitment).optional(),
});
export type AggregateResponse = z.infer<typeof aggregateResponse>;

/** A committed column (core/zk/encoding.ts CommittedColumn): numbers keep `scale` decimals. */
export const committedColumn = z.object({ name: z.string().min(1).max(200), kind: z.enum(["number", "text"]), scale: z.number().int().min(0).max(6) });

/** The node's commitment to a dataset (docs/proofs.md): Poseidon roots as decimal strings. */
export const datasetCommitmentInfo = z.object({
  dataset: z.string(),
  epoch: z.string().max(64),
  root: z.string().regex(/^\d{1,78}$/),
  treeRoot: z.string().regex(/^\d{1,78}$/),
  rows: z.number().int().nonnegative(),
  chunkRows: z.number().int().positive(),
  schema: z.array(committedColumn).min(1).max(15),
  createdAt: z.string(),
});
export type DatasetCommitmentInfo = z.infer<typeof datasetCommitmentInfo>;

/** Ask a node for its commitment to a dataset; `refresh` makes it commit anew (a new update cycle). */
export const commitmentRequest = z.object({
  type: z.literal("commitment"),
  nodeId: z.string(),
  dataset: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  refresh: z.boolean(),
  issuedAt: z.number().int(),
  expiresAt: z.number().int(),
  nonce: z.string().min(16).max(64),
});
export type CommitmentRequest = z.infer<typeof commitmentRequest>;

/**
 * What a node signs with its answer about provability: the dataset commitment it answered
 * from and the commitment to its final per-group totals, or why the plan is not provable.
 */
export const answerCommitment = z.union([
  z.object({ root: z.string().regex(/^\d{1,78}$/), finalAcc: z.string().regex(/^\d{1,78}$/), chunks: z.number().int().positive() }),
  z.object({ notProvable: z.string().max(500) }),
]);
export type AnswerCommitment = z.infer<typeof answerCommitment>;

/** Audit, step 1: the node reveals its chain of running totals for a query it answered. */
export const auditChainRequest = z.object({
  type: z.literal("audit-chain"),
  queryId: z.string().uuid(),
  nodeId: z.string(),
  plan: aggregatePlan,
  /** the dataset commitment the node answered from */
  root: z.string().regex(/^\d{1,78}$/),
  issuedAt: z.number().int(),
  expiresAt: z.number().int(),
  nonce: z.string().min(16).max(64),
});
export type AuditChainRequest = z.infer<typeof auditChainRequest>;

/** Audit, step 2 (after the sample is drawn): prove these chunks' steps and the release. */
export const auditProveRequest = auditChainRequest.extend({
  type: z.literal("audit-prove"),
  chunks: z.array(z.number().int().nonnegative()).min(0).max(4096),
  released: z.array(z.boolean()).min(1).max(12),
  k: z.number().int().min(0).max(2 ** 32 - 1),
});
export type AuditProveRequest = z.infer<typeof auditProveRequest>;
