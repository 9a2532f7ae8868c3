/**
 * Where the time of an encrypted query goes: each step of a node's and of the
 * marketplace's work, timed alone in this process (no other load, one core), on the
 * benchmark's own files. Not a sum of the end-to-end figure (there the nodes share two
 * cores and steps overlap), but it shows which step dominates.
 */
import { appendFileSync, copyFileSync, createReadStream, readFileSync } from "node:fs";
import { randomBytes, randomUUID } from "node:crypto";
import { computeVector, createConnector, generateX25519, maskCounts, unmaskSum } from "@/computation/aggregate/index";
import { csvRecords } from "@/computation/aggregate/csv";
import { addCiphertexts, decryptVector, encryptVector, maskCiphertexts } from "@/core/he";
import { aggregateRequest, nodePlan, vectorLength, type AggregatePlan, type AggregateRequest } from "@/core/protocol";
import { generateEd25519, privateKeyFromPem, ed25519PublicFromBase64, signPayload, verifyPayload } from "@/core/signing";
import { authorizationOf, slotMask } from "@/server/queries/jobs";
import { freshCheckpoint, queryEvidence, supervisionProofs } from "@/server/queries/authorization";
import { storedPlan } from "@/server/queries/policy";
import { activeSuspensions, checkFreshCheckpoint, checkQueryEvidence } from "@/computation/node/evidence";
import { NodeJournal } from "@/computation/node/journal";
import { checkPlan, nodeDatasetPolicy } from "@/core/policy";
import { generateSigningKey, planHash, signStatement } from "@/core/statements";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Database } from "@/server/db/client";
import { timeMedian } from "../lib/report";
import { GROUPS as GROUPS_PROVABLE } from "@/core/zk/encoding";
import { accumulator, fastHasher, type Hasher } from "@/core/zk/hash";
import { buildChain, chainSalt, commitDataset, statementTotals } from "@/computation/zk/node";
import { G64 } from "./data";

export type Step = { side: "node" | "marketplace" | "buyer"; step: string; ms: number };

export async function profileNode(file: string, plan: AggregatePlan, publicKey: string, peers: number, reps: number): Promise<{ steps: Step[]; vector: bigint[] }> {
  const steps: Step[] = [];
  const add = (step: string, ms: number) => steps.push({ side: "node", step, ms });
  const market = generateEd25519();
  const marketKey = privateKeyFromPem(market.privatePem), marketPub = ed25519PublicFromBase64(market.publicKey);
  const issuedAt = Date.now();
  // Evidence of the size a real one has: two ledger entries with 20-hash inclusion proofs (a 10^6-leaf ledger).
  const entry = { index: 0, body: "x".repeat(400), proof: Array.from({ length: 20 }, () => "0".repeat(64)) };
  const { dataset: _dataset, ...productPlan } = plan;
  const request: AggregateRequest = {
    type: "aggregate", queryId: randomUUID(), nodeId: market.publicKey, productId: randomUUID(), plan: productPlan, publicKey, issuedAt, expiresAt: issuedAt + 120_000, nonce: randomUUID(),
    ledger: { checkpoint: { origin: "bench", size: 0, root: "0".repeat(64), timestamp: issuedAt, signature: "" }, fromSize: 0, proof: [] },
    peers: Array.from({ length: peers }, () => ({ nodeId: generateEd25519().publicKey, x25519: generateX25519().publicKey })),
    authorization: { statement: {}, signature: "x".repeat(86), entry, keyEntry: entry }, supervision: [],
  };
  const body = JSON.stringify(signPayload("market-request", request, marketKey));
  add(`parse + verify the signed request (${Math.round(body.length / 1024)} KiB: JSON.parse, Ed25519 over canonical JSON, zod)`, await timeMedian(reps, async () => {
    const signed = JSON.parse(body) as { payload: unknown; signature: string };
    if (!verifyPayload("market-request", signed, marketPub) || !aggregateRequest.safeParse(signed.payload).success) throw new Error("request does not verify");
  }));
  add("read the file (fs stream, UTF-8 decode)", await timeMedian(reps, async () => {
    for await (const chunk of createReadStream(file, { encoding: "utf8", highWaterMark: 1 << 16 })) void chunk;
  }));
  add("read + parse CSV (csvRecords)", await timeMedian(reps, async () => {
    for await (const batch of csvRecords(createReadStream(file, { encoding: "utf8", highWaterMark: 1 << 16 }))) void batch;
  }));
  let result: { counts: bigint[]; vector: bigint[] } = { counts: [], vector: [] };
  add("read + parse + aggregate (computeVector, CSV connector)", await timeMedian(reps, async () => {
    const c = createConnector({ kind: "csv", path: file });
    result = await computeVector(c, plan);
    await c.close();
  }));
  const keys = Array.from({ length: peers }, () => ({ nodeId: randomUUID(), ...generateX25519() }));
  const queryId = randomUUID();
  add("mask the counts (X25519 + HKDF + AES-CTR per peer)", await timeMedian(reps, async () => {
    maskCounts({ queryId, self: { nodeId: keys[0]!.nodeId, x25519PrivateKey: keys[0]!.privateKey }, peers: keys.map((k) => ({ nodeId: k.nodeId, x25519: k.publicKey })), counts: result.counts });
  }));
  let ciphertexts: string[] = [];
  add(`encryptVector (${result.vector.length} slots, BFV)`, await timeMedian(reps, async () => { ciphertexts = await encryptVector(publicKey, result.vector); }));
  const ed = generateEd25519();
  const key = privateKeyFromPem(ed.privatePem);
  add("sign the response (Ed25519 over canonical JSON) + JSON.stringify", await timeMedian(reps, async () => {
    JSON.stringify(signPayload("node-response", { type: "aggregate-result", queryId, nodeId: ed.publicKey, maskedCounts: result.counts.map(String), ciphertexts }, key));
  }));
  return { steps, vector: result.vector };
}

export async function profileMarket(db: Database, plan: AggregatePlan, vector: bigint[], keys: { publicKey: string; secretKey: string }, nodes: number, reps: number): Promise<Step[]> {
  const steps: Step[] = [];
  const ciphertexts = await encryptVector(keys.publicKey, vector);
  const parts = Array.from({ length: nodes }, () => ciphertexts);
  const ed = generateEd25519();
  const signed = signPayload("node-response", { type: "aggregate-result", queryId: randomUUID(), nodeId: ed.publicKey, maskedCounts: vector.map(String), ciphertexts }, privateKeyFromPem(ed.privatePem));
  const text = JSON.stringify(signed);
  const pub = ed25519PublicFromBase64(ed.publicKey);
  steps.push({ side: "marketplace", step: `parse + verify ${nodes} node answers (JSON.parse, Ed25519)`, ms: await timeMedian(reps, async () => {
    for (let i = 0; i < nodes; i++) if (!verifyPayload("node-response", JSON.parse(text) as typeof signed, pub)) throw new Error("verify failed");
  }) });
  steps.push({ side: "marketplace", step: `unmask ${nodes} × ${vector.length / 2} counts`, ms: await timeMedian(reps, async () => { unmaskSum(parts.map(() => vector.slice(0, vector.length / 2).map(String))); }) });
  let summed: string[] = [];
  steps.push({ side: "marketplace", step: `addCiphertexts (${nodes} nodes × ${ciphertexts.length} chunk)`, ms: await timeMedian(reps, async () => { summed = await addCiphertexts(parts); }) });
  const G = vector.length / 2;
  let masked: string[] = [];
  const mask = slotMask(plan, new Array<boolean>(G).fill(false).map((_, g) => g === 0 && G > 1));
  steps.push({ side: "marketplace", step: "maskCiphertexts (one group suppressed)", ms: await timeMedian(reps, async () => { masked = await maskCiphertexts(keys.publicKey, summed, mask); }) });
  const job = await db.prisma.queryJob.findFirstOrThrow({ where: { status: "SUCCEEDED" }, orderBy: { createdAt: "desc" } });
  steps.push({ side: "marketplace", step: `store the result (Prisma update, ${Math.round(masked.reduce((a, c) => a + c.length, 0) / 1024)} KiB JSON, PGlite)`, ms: await timeMedian(reps, async () => {
    await db.prisma.queryJob.update({ where: { id: job.id }, data: { result: { ciphertexts: masked, suppressed: new Array<boolean>(G).fill(false) } } });
  }) });
  steps.push({ side: "marketplace", step: "validate the buyer's key on submit (encryptVector of one value)", ms: await timeMedian(reps, async () => { await encryptVector(keys.publicKey, [0n]); }) });
  steps.push({ side: "buyer", step: "decryptVector", ms: await timeMedian(reps, async () => { await decryptVector(keys.secretKey, masked, vectorLength(plan)); }) });
  return steps;
}

/**
 * What the trust checks add (docs/architecture.md, "Threat model"), on a real query of the run:
 * the marketplace assembling the evidence (a fresh checkpoint, two inclusion proofs, the
 * supervision entries), a node checking it (inclusion proofs, the buyer's ECDSA signature, the
 * holder's policy) and journalling its answer (fsync), and the buyer signing its plan.
 */
export async function profileTrust(db: Database, keysDir: string, reps: number): Promise<Step[]> {
  const steps: Step[] = [];
  const { heKey, ...row } = await db.prisma.queryJob.findFirstOrThrow({ where: { status: "SUCCEEDED" }, orderBy: { createdAt: "desc" }, include: { heKey: true, product: { include: { sources: { include: { node: true } } } } } });
  const job = { ...row, publicKey: heKey.key };
  const planned = storedPlan(job.plan);
  const statement = authorizationOf({ queryId: job.id, productId: job.productId, buyerOrgId: job.buyerOrgId, plan: planned.plan, publicKey: job.publicKey, epsilon: job.epsilon });
  let evidence: { authorization: Awaited<ReturnType<typeof queryEvidence>>; supervision: Awaited<ReturnType<typeof supervisionProofs>> } | null = null;
  let checkpoint = await freshCheckpoint(db.prisma);
  steps.push({ side: "marketplace", step: "assemble a query's evidence (fresh checkpoint, 2 inclusion proofs, supervision entries; once per query)", ms: await timeMedian(reps, async () => {
    checkpoint = await freshCheckpoint(db.prisma);
    evidence = { authorization: await queryEvidence(db.prisma, job, statement, checkpoint.size), supervision: await supervisionProofs(db.prisma, [job.buyerOrgId, job.productId], checkpoint.size) };
  }) });
  const peers = job.product.sources.map((s) => s.node.signingKey);
  const policy = nodeDatasetPolicy.parse({
    dimensions: Object.fromEntries(planned.plan.groupBy.map((d) => [d.name, d.kind === "category" ? { values: d.values } : { edges: d.edges }])),
    measures: Object.fromEntries(planned.plan.ranges.map((r) => [r.column, { min: r.min, max: r.max, aggregates: ["COUNT", "SUM", "AVG"] }])),
    minCohort: 1, dp: { required: false, maxEpsilonPerQuery: 1, epsilonPerBuyer: 1 }, products: { [job.productId]: { sources: peers } },
  });
  steps.push({ side: "node", step: "check the buyer's authorisation (2 inclusion proofs, ECDSA P-256), suspensions, the holder's policy", ms: await timeMedian(reps, async () => {
    checkFreshCheckpoint(checkpoint, Date.now());
    await checkQueryEvidence(evidence!.authorization, checkpoint, { queryId: job.id, productId: job.productId, plan: planned.plan, publicKey: job.publicKey });
    if (activeSuspensions(evidence!.supervision, checkpoint, [job.buyerOrgId, job.productId]).length) throw new Error("suspended");
    checkPlan(policy, { productId: job.productId, plan: nodePlan(planned.plan, "d"), epsilon: job.epsilon, peers });
  }) });
  mkdirSync(keysDir, { recursive: true });
  const journal = new NodeJournal(path.join(keysDir, "bench-journal.jsonl"));
  steps.push({ side: "node", step: "journal the answer (append + fsync: once per query id, ε per buyer)", ms: await timeMedian(reps, async () => {
    journal.append({ t: "answered", q: randomUUID(), planHash: planHash(planned.plan), dataset: "d", buyer: job.buyerOrgId, eps: 0, at: Date.now(), groups: 1 });
  }) });
  const pair = await generateSigningKey(false);
  steps.push({ side: "buyer", step: "sign the plan (SHA-256 of the plan, ECDSA P-256)", ms: await timeMedian(reps, async () => {
    await signStatement(pair.privateKey, { ...statement, planHash: planHash(planned.plan) });
  }) });
  return steps;
}

/** One source's figures for binding a provable answer (ms). */
export interface BindingFigures { source: string; aggregate: number; walk: number; engine: number }

/**
 * What binding a provable answer costs (docs/proofs.md, "Binding an answer"), on the
 * benchmark's own rows as CSV and as Parquet: a plan the circuits cover (12 of g64's values,
 * one numeric filter, a sum). "walk": the cells walked in JavaScript, as every provable answer
 * did before; "engine": the final totals from one GROUP BY in the source's engine, then one
 * Poseidon sponge. The commitment is made with a stand-in hash (only its schema and which
 * columns have missing values are used by these steps; committing is measured elsewhere).
 */
export async function profileBinding(file: string, dir: string, reps: number): Promise<BindingFigures[]> {
  const plan: AggregatePlan = {
    dataset: "bench", groupBy: [{ name: "g64", kind: "category", values: G64.slice(0, GROUPS_PROVABLE) }],
    filters: [{ column: "v", op: "between", value: [10, 90] }], stats: [{ kind: "sum", column: "v", scale: 2 }],
    ranges: [{ column: "v", min: 0, max: 100 }], noise: null,
  };
  const parquet = path.join(dir, "binding.parquet");
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const duck = await DuckDBInstance.create(":memory:");
  const con = await duck.connect();
  await con.run(`COPY (SELECT * FROM read_csv('${file.replace(/'/g, "''")}', header = true, columns = {'g64': 'VARCHAR', 'g1024': 'VARCHAR', 'v': 'DOUBLE'})) TO '${parquet.replace(/'/g, "''")}' (FORMAT parquet)`);
  con.closeSync();
  duck.closeSync();
  const h = await fastHasher();
  const standIn: Hasher = { p16: () => 1n, p2: () => 1n, p4: () => 1n };
  const secret = randomBytes(32);
  const out: BindingFigures[] = [];
  for (const [source, config] of [["CSV (parsed in JavaScript, aggregated by DuckDB)", { kind: "csv", path: file }], ["Parquet (DuckDB)", { kind: "parquet", path: parquet }]] as const) {
    const connector = createConnector(config);
    try {
      const commitment = await commitDataset(connector, "bench", 16, secret, standIn);
      const chunks = commitment.chunkRoots.length;
      let walked: bigint | null = null, fast: bigint | null = null;
      const aggregate = await timeMedian(reps, async () => { await computeVector(connector, plan); });
      const walk = await timeMedian(reps, async () => { walked = (await buildChain(connector, commitment, plan, "q", secret, h, [], true)).accs.at(-1)!; });
      const engine = await timeMedian(reps, async () => {
        const t = (await statementTotals(connector, commitment, plan))!;
        fast = accumulator(h, chainSalt(secret, "q", "bench", chunks), t.counts, t.sums);
      });
      if (walked === null || walked !== fast) throw new Error(`${source}: the engine's binding differs from the walked one`);
      out.push({ source, aggregate, walk, engine });
    } finally {
      await connector.close();
    }
  }
  return out;
}

/**
 * Committing a data set (docs/proofs.md), timed alone: one node's first commitment of one
 * benchmark file in this process (one core, circomlibjs Poseidon, chunks of 16 as the nodes
 * use), and an incremental recommit of the same file after 1 % more rows were appended.
 */
export async function profileCommit(file: string, dir: string): Promise<{ rows: number; ms: number; appended: number; recommitMs: number }> {
  const copy = path.join(dir, "commit-profile.csv");
  copyFileSync(file, copy);
  const h = await fastHasher();
  const secret = randomBytes(32);
  const connector = createConnector({ kind: "csv", path: copy });
  try {
    let t = performance.now();
    const first = await commitDataset(connector, "bench", 16, secret, h);
    const ms = performance.now() - t;
    const lines = readFileSync(copy, "utf8").split("\n").filter(Boolean).slice(1);
    const extra = lines.slice(0, Math.max(1, Math.floor(lines.length / 100)));
    appendFileSync(copy, extra.join("\n") + "\n");
    t = performance.now();
    const again = await commitDataset(connector, "bench", 16, secret, h, first);
    const recommitMs = performance.now() - t;
    if (again.rows !== first.rows + extra.length) throw new Error("the recommit missed rows");
    return { rows: first.rows, ms, appended: extra.length, recommitMs };
  } finally {
    await connector.close();
  }
}
