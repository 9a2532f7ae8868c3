/**
 * The encrypted query end to end, wired as tests/integration/queries.test.ts wires it:
 * the marketplace's domain functions on an in-memory PGlite database (in this process),
 * real node processes (computation/node, one per holder) answering over HTTP, and the
 * buyer decrypting with its BFV secret key (also in this process).
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { startNode, type DemoNodeSpec, type RunningNode } from "@/computation/demo/nodes";
import { decryptVector, generateKeys } from "@/core/he";
import { vectorLength } from "@/core/protocol";
import { openDatabase, type Database } from "@/server/db/client";
import { registerNode } from "@/server/nodes/nodes";
import { authorizationOf, claimNextJob, getQuery, prepareQuery, runQueryJob, submitQuery } from "@/server/queries/jobs";
import { httpNodeCall, type NodeCall } from "@/server/nodes/client";
import { registerBuyerSigningKey } from "@/server/queries/authorization";
import { approveProduct, holderKey, type HolderKey } from "@/computation/demo/holder";
import type { NodeDatasetPolicy } from "@/core/policy";
import { generateSigningKey, publicJwkOf, signStatement, type SigningPublicJwk } from "@/core/statements";
import { randomUUID } from "node:crypto";
import { sealedBody, sealRequest, SEALED_TYPE } from "@/core/transport";
import { ledgerSigningKey, marketSigningKey } from "@/server/keys";
import type { BuyerQuery, QueryPolicy } from "@/server/queries/policy";
import { createQueryProduct } from "@/server/queries/products";
import { listProduct, orderApproved } from "@/server/seed/flows";
import { seedDemoWorld } from "@/server/seed/demo";
import { decodeResult } from "@/sdk/decode";
import { onCleanup } from "../lib/cleanup";
import { now } from "../lib/report";
import { G1024, G64, GROUPS, type DataSet, type Grouping, type Truth } from "./data";

/** k of the bench's products and nodes: the market's default floor. Groups below it come back suppressed. */
export const MIN_COHORT = 10;

export const policy: QueryPolicy = {
  dimensions: [
    { column: "g64", spec: { name: "g64", kind: "category", values: G64 }, groupable: true, filterOps: [] },
    { column: "g1024", spec: { name: "g1024", kind: "category", values: G1024 }, groupable: true, filterOps: [] },
  ],
  // scale 2 keeps every cent: 10^6 rows × 10^6 (10000.00 in cents) = 10^12 < 2^58, so the overflow check passes.
  measures: [{ column: "v", min: 0, max: 10_000, scale: 2, aggregates: ["COUNT", "SUM", "AVG"] }],
  maxGroups: 1024,
  // The market's floor (server/queries/floor.ts): no product goes below k = 10.
  minCohort: MIN_COHORT,
  maxRowsTotal: 1_000_000,
  privacy: { mode: "none" },
};

/** Each bench holder's own node policy: the same columns and bounds, no DP floor (results are checked exactly). */
const nodePolicy: Omit<NodeDatasetPolicy, "products" | "version"> = {
  dimensions: { g64: { values: G64, filterOps: [] }, g1024: { values: G1024, filterOps: [] } },
  measures: { v: { min: 0, max: 10_000, aggregates: ["COUNT", "SUM", "AVG"] } },
  never: [], minCohort: MIN_COHORT, maxGroups: 8192,
  dp: { required: false, maxEpsilonPerQuery: 1, epsilonPerBuyer: 1, periodDays: 30 },
};

export const buyerQuery = (grouping: Grouping): BuyerQuery => ({
  groupBy: grouping === "none" ? [] : [grouping],
  measures: [{ column: "v", aggregate: "SUM" }, { column: "v", aggregate: "AVG" }],
});

export const datasetName = (rows: number, nodes: number) => `r${rows}_n${nodes}`;

export class CheckFailed extends Error {}

/** One end-to-end run: wall times of its phases (ms) and what crossed the wire (bytes). */
export interface E2eRun {
  total: number;
  /** the buyer signs its plan; submitQuery: policy check, signature check, the buyer key's validation (one BFV encryption), the job row */
  submit: number;
  /** claim, then the signed requests until the last node's answer is parsed */
  nodes: number;
  /** verify signatures, unmask counts, add and mask ciphertexts, store the result */
  market: number;
  /** getQuery (the buyer fetches the result) */
  fetch: number;
  /** decryptVector + decodeResult */
  decrypt: number;
  /** per node: request body (market → node), response body, ciphertext characters in it */
  perNode: { request: number; response: number; ciphertext: number; roundTrip: number }[];
  /** base64 characters of the masked result ciphertexts the buyer downloads */
  download: number;
  chunks: number;
}

export interface Market {
  db: Database;
  nodes: RunningNode[];
  /** stop the node processes now (they are stopped at clean-up anyway) */
  stopNodes(): Promise<void>;
  run(rows: number, nodes: number, grouping: Grouping, truth: Truth): Promise<E2eRun>;
  publicKey: string;
  secretKey: string;
  /** the buyer's registered query-signing key (public half) */
  signingJwk: SigningPublicJwk;
}


export async function startMarket(dir: string, data: DataSet, opts: { cpuProfDir?: string } = {}): Promise<Market> {
  process.env.DATA_DIR = dir; // the marketplace's signing key is made and kept here
  const db = await openDatabase({ kind: "pglite", dir: null });
  onCleanup("close the marketplace database", () => db.close());
  await seedDemoWorld(db.prisma);
  const marketKey = marketSigningKey().publicKey;

  const maxNodes = Math.max(...data.nodeCounts);
  const configs: string[] = [];
  const holderKeys: HolderKey[] = [];
  for (let i = 0; i < maxNodes; i++) {
    const datasets: Record<string, { kind: "csv"; path: string }> = {};
    for (const rows of data.rowCounts) for (const n of data.nodeCounts) if (i < n) datasets[datasetName(rows, n)] = { kind: "csv", path: data.file(rows, n, i) };
    const config = path.join(dir, `node-${i}.json`);
    // Each holder's own policy (what the product asks, no DP floor: the figures are checked exactly) and its key.
    const holder = await holderKey(path.join(dir, `holder-${i}.json`));
    holderKeys.push(holder);
    writeFileSync(config, JSON.stringify({
      name: `bench-node-${i}`, listen: { host: "127.0.0.1", port: 0 }, keysDir: `keys-${i}`, marketplacePublicKey: marketKey, ledgerPublicKey: ledgerSigningKey().publicKey, datasets,
      policies: Object.fromEntries(Object.keys(datasets).map((d) => [d, nodePolicy])), holderKeys: [holder.publicJwk],
    }));
    configs.push(config);
  }
  const nodes: RunningNode[] = [];
  const stops: (() => Promise<void>)[] = [];
  const spec = (name: string): DemoNodeSpec => ({ holder: "", name, dataset: "", rows: 0, file: "", connector: {}, make: async () => {}, policy: () => nodePolicy });
  // startNode passes this process's environment on: with cpuProfDir each node preloads bench/lib/cpu-profile.mjs
  // and writes a V8 CPU profile when it exits (Node 20 does not allow --cpu-prof in NODE_OPTIONS).
  const nodeOptions = process.env.NODE_OPTIONS;
  if (opts.cpuProfDir) {
    process.env.NODE_OPTIONS = `${nodeOptions ?? ""} --import=${path.resolve("bench", "lib", "cpu-profile.mjs")}`.trim();
    process.env.BENCH_CPU_PROF_DIR = opts.cpuProfDir;
  }
  // The benchmark's plans are outside what the circuits prove (1 group, or more than 12), so no
  // answer needs a commitment; committing at start would only share the cores with the timed runs.
  // Committing is timed on its own (profile.ts, profileCommit).
  const commitOnStart = process.env.NODE_COMMIT_ON_START;
  process.env.NODE_COMMIT_ON_START = "off";
  try {
    // Two at a time: eight tsx start-ups at once on two cores come close to startNode's 60 s limit.
    for (let i = 0; i < configs.length; i += 2) {
      const started = await Promise.all(configs.slice(i, i + 2).map((c, j) => startNode(c, spec(`bench-node-${i + j}`))));
      for (const node of started) {
        nodes.push(node);
        stops.push(onCleanup(`stop ${node.spec.name}`, () => stopProcess(node.process)));
      }
    }
  } finally {
    if (commitOnStart === undefined) delete process.env.NODE_COMMIT_ON_START;
    else process.env.NODE_COMMIT_ON_START = commitOnStart;
    if (nodeOptions === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = nodeOptions;
    delete process.env.BENCH_CPU_PROF_DIR;
  }

  const holder = await db.prisma.organisation.findUniqueOrThrow({ where: { slug: "jinan-central-hospital" } });
  const registered = [];
  for (const [i, node] of nodes.entries()) {
    registered.push(await registerNode(db.prisma, { organisationId: holder.id, name: `bench-node-${i}`, url: node.url, signingKey: node.nodeId, agreementKey: node.agreementKey }));
  }
  const developer = await db.prisma.organisation.findUniqueOrThrow({ where: { slug: "baotu-data-studio" } });
  const products = new Map<string, string>();
  for (const rows of data.rowCounts) {
    for (const n of data.nodeCounts) {
      const name = datasetName(rows, n);
      const product = await createQueryProduct(db.prisma, {
        developerOrgId: developer.id, slug: `bench-${name.replace(/_/g, "-")}`, name: `Benchmark ${name}`, policy,
        sources: registered.slice(0, n).map((r) => ({ nodeId: r.id, dataset: name })),
      });
      products.set(name, product.id);
    }
  }
  const buyer = await db.prisma.user.findUniqueOrThrow({ where: { email: "insurer@quancheng.example" }, include: { memberships: true } });
  const buyerOrgId = buyer.memberships[0]!.organisationId;
  // Listed and ordered the way users do it (review, order, the holder's approval).
  for (const [name, productId] of products) {
    await listProduct(db.prisma, productId);
    await orderApproved(db.prisma, { productId, buyerOrgId });
    const sources = nodes.slice(0, Number(/_n(\d+)$/.exec(name)![1]));
    for (const [i, node] of sources.entries()) {
      await approveProduct({ url: node.url, nodeId: node.nodeId, dataset: name, productId, sources: sources.map((x) => x.nodeId), key: holderKeys[i]! });
    }
  }
  const { publicKey, secretKey } = await generateKeys();
  // The buyer's query-signing key, registered on the ledger as the browser and the SDK do it.
  const signingPair = await generateSigningKey(false);
  const signingJwk = await publicJwkOf(signingPair.publicKey);
  const { thumbprint } = await registerBuyerSigningKey(db.prisma, { buyerOrgId, publicJwk: signingJwk });

  async function run(rows: number, n: number, grouping: Grouping, truth: Truth): Promise<E2eRun> {
    const perNode: E2eRun["perNode"] = [];
    let lastAnswer = 0;
    const call: NodeCall = async (url, body, signal, path = "/v1/aggregate", sealTo) => {
      if (path !== "/v1/aggregate" || !sealTo) return httpNodeCall(url, body, signal, path, sealTo); // the contribution round: not part of these figures
      const start = now();
      // Sealed to the node's key as the marketplace sends it (core/transport.ts); sizes are of what crosses the wire.
      const sealed = sealRequest(sealTo, JSON.stringify(body));
      const request = JSON.stringify(sealed.body);
      const res = await fetch(`${url.replace(/\/$/, "")}/v1/aggregate`, { method: "POST", headers: { "content-type": SEALED_TYPE }, body: request, signal });
      const text = await res.text();
      let json: unknown = null;
      try { json = JSON.parse(sealed.open(sealedBody.parse(JSON.parse(text)))); } catch { /* reported by runQueryJob as a refusal */ }
      const cts = (json as { payload?: { ciphertexts?: string[] } } | null)?.payload?.ciphertexts ?? [];
      const end = now();
      lastAnswer = Math.max(lastAnswer, end);
      perNode.push({ request: Buffer.byteLength(request), response: Buffer.byteLength(text), ciphertext: cts.reduce((a, c) => a + c.length, 0), roundTrip: end - start });
      return { status: res.status, json };
    };

    const t0 = now();
    // What the buyer's browser or SDK does: get the plan, sign {query, product, plan hash, key hash, ε}, submit.
    const productId = products.get(datasetName(rows, n))!;
    const prepared = await prepareQuery(db.prisma, { productId, buyerOrgId, query: buyerQuery(grouping) });
    const statement = authorizationOf({ queryId: randomUUID(), productId, buyerOrgId, plan: prepared.plan, publicKey, epsilon: prepared.epsilon });
    const signature = await signStatement(signingPair.privateKey, statement);
    const job = await submitQuery(db.prisma, { productId, buyerOrgId, userId: buyer.id, query: buyerQuery(grouping), publicKey, queryId: statement.queryId, signature, signingKey: thumbprint });
    const t1 = now();
    const claimed = await claimNextJob(db.prisma);
    if (claimed !== job.id) throw new Error(`claimed job ${claimed}, expected ${job.id}`);
    await runQueryJob(db.prisma, claimed, call);
    const t2 = now();
    const done = await getQuery(db.prisma, { jobId: job.id, buyerOrgId });
    if (done.status !== "SUCCEEDED" || !done.result) throw new CheckFailed(`query ${datasetName(rows, n)} ${grouping} ${done.status}: ${done.error}`);
    const t3 = now();
    const vector = await decryptVector(secretKey, done.result.ciphertexts, vectorLength(done.planned.plan));
    const decoded = decodeResult(done.planned, vector, done.result.suppressed);
    const t4 = now();
    check(decoded, grouping, truth, `${datasetName(rows, n)} ${grouping}`);
    return {
      total: t4 - t0, submit: t1 - t0, nodes: lastAnswer - t1, market: t2 - lastAnswer, fetch: t3 - t2, decrypt: t4 - t3,
      perNode, download: done.result.ciphertexts.reduce((a, c) => a + c.length, 0), chunks: done.result.ciphertexts.length,
    };
  }

  const stopNodes = async () => { await Promise.all(stops.map((stop) => stop())); };
  return { db, nodes, stopNodes, run, publicKey, secretKey, signingJwk };
}

/** The decoded result must equal the plaintext truth exactly: counts, sums in cents, and AVG; a group below k comes back suppressed. */
export function check(rows: ReturnType<typeof decodeResult>, grouping: Grouping, truth: Truth, what: string) {
  const G = GROUPS[grouping];
  if (rows.length !== G) throw new CheckFailed(`${what}: ${rows.length} groups, expected ${G}`);
  for (let g = 0; g < G; g++) {
    const r = rows[g]!;
    const n = truth.counts[grouping][g]!, s = truth.sums[grouping][g]!;
    if (n < MIN_COHORT) {
      if (!r.suppressed) throw new CheckFailed(`${what}: group ${g} has ${n} rows, below k = ${MIN_COHORT}, yet was released`);
      continue;
    }
    if (r.suppressed || r.count !== BigInt(n) || r.raw[0]!.sum !== BigInt(s)) {
      throw new CheckFailed(`${what}: group ${g} decrypted as count ${r.count} sum ${r.raw[0]!.sum}${r.suppressed ? " (suppressed)" : ""}; plaintext count ${n} sum ${s} (cents)`);
    }
    const avg = r.values[1] as number;
    if (Math.abs(avg - s / 100 / n) > 1e-9 * Math.max(1, s / 100 / n)) throw new CheckFailed(`${what}: group ${g} AVG ${avg}, plaintext ${s / 100 / n}`);
  }
}

/** SIGTERM a child process and wait for it to exit (SIGKILL after 10 s). */
export function stopProcess(child: { exitCode: number | null; signalCode: string | null; kill(signal?: NodeJS.Signals): boolean; once(event: "exit", fn: () => void): unknown }): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => { clearTimeout(timer); resolve(); });
    child.kill("SIGTERM");
  });
}
