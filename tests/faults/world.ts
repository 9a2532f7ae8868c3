/**
 * One small world for a fault suite: a fresh database on the test PostgreSQL server (or the
 * URL given), the demo organisations, two hospital nodes as real processes on fixed ports
 * (so a node killed and started again keeps its URL), one exact-count product ordered by the
 * insurer and approved at both nodes. Plus the checks every fault ends with.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { CLAIM_COLUMNS, claims, writeCsv } from "@/computation/demo/generate";
import { startNode, type RunningNode } from "@/computation/demo/nodes";
import { claimsNodePolicy, type HolderKey } from "@/computation/demo/holder";
import { openDatabase, type Database } from "@/server/db/client";
import { registerNode } from "@/server/nodes/nodes";
import { createQueryProduct } from "@/server/queries/products";
import { seedDemoWorld } from "@/server/seed/demo";
import { listProduct, orderApproved } from "@/server/seed/flows";
import { claimsPolicy } from "@/server/seed/demo-queries";
import type { QueryPolicy } from "@/server/queries/policy";
import { journalBalances } from "@/server/money/journal";
import { integrateAll } from "@/server/ledger/log";
import { currentCheckpoint } from "@/server/ledger/log";
import { ledgerPublicKey, verifyLedger } from "@/server/ops/backup";
import { freePort } from "@/scripts/lib/postgres-server";
import { generateKeys } from "@/core/he";
import { createCaller } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import type { BuyerQuery } from "@/server/queries/policy";
import { approveAtNodes, buyerSigner, signedSubmit, writeNodeConfig } from "../setup/parties";
import { createServerDatabase } from "../setup/databases";

export const exactPolicy: QueryPolicy = { ...claimsPolicy, minCohort: 20, privacy: { mode: "none" } };

export type World = Awaited<ReturnType<typeof faultWorld>>;

export async function faultWorld(name: string, o: { url?: string } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), `faults-${name}-`));
  process.env.DATA_DIR = dir; // the marketplace's signing keys live here
  process.env.NODE_COMMIT_ON_START = "off"; // no dataset commitments: not under test here, and CPU is scarce
  await writeCsv(path.join(dir, "a.csv"), CLAIM_COLUMNS, claims(21, 1200, 0));
  await writeCsv(path.join(dir, "b.csv"), CLAIM_COLUMNS, claims(22, 900, 3));
  const url = o.url ?? await createServerDatabase();
  const db = await openDatabase({ kind: "postgres", url });
  await seedDemoWorld(db.prisma);
  const holders = [{ slug: "jinan-central-hospital", name: "a" }, { slug: "jinan-second-hospital", name: "b" }];
  const configs: string[] = [];
  const holderKeys: HolderKey[] = [];
  for (const h of holders) {
    const { config, holder } = await writeNodeConfig(path.join(dir, "nodes"), {
      name: h.name, datasets: { claims: { kind: "csv", path: path.join(dir, `${h.name}.csv`) } },
      policies: { claims: claimsNodePolicy({ dpRequired: false }) }, extra: { listen: { host: "127.0.0.1", port: await freePort() } },
    });
    configs.push(config);
    holderKeys.push(holder);
  }
  const nodes: RunningNode[] = await Promise.all(configs.map((c, i) => startNode(c, { name: holders[i]!.name } as never)));
  const registered = [];
  for (const [i, h] of holders.entries()) {
    const org = await db.prisma.organisation.findUniqueOrThrow({ where: { slug: h.slug } });
    registered.push(await registerNode(db.prisma, { organisationId: org.id, name: h.name, url: nodes[i]!.url, signingKey: nodes[i]!.nodeId, agreementKey: nodes[i]!.agreementKey }));
  }
  const developer = await db.prisma.organisation.findUniqueOrThrow({ where: { slug: "baotu-data-studio" } });
  const productId = (await createQueryProduct(db.prisma, { developerOrgId: developer.id, slug: "claims-exact", name: "Claims (exact)", policy: exactPolicy, sources: registered.map((r) => ({ nodeId: r.id, dataset: "claims" })) })).id;
  const bank = await db.prisma.user.findUniqueOrThrow({ where: { email: "insurer@quancheng.example" }, include: { memberships: true } });
  const buyerOrgId = bank.memberships[0]!.organisationId;
  await listProduct(db.prisma, productId);
  await orderApproved(db.prisma, { productId, buyerOrgId });
  await approveAtNodes(productId, nodes.map((n, i) => ({ url: n.url, nodeId: n.nodeId, holder: holderKeys[i]! })));
  const signer = await buyerSigner(db.prisma, buyerOrgId);
  const buyer = createCaller(await createContext({ db, userId: bank.id }));
  const keys = await generateKeys();
  /** The insurer submits a signed query through the API (queued, not run). */
  const submit = (query: BuyerQuery = { groupBy: ["district"], measures: [{ column: "claim_amount", aggregate: "SUM" }] }) =>
    signedSubmit(buyer, signer, { productId, query, publicKey: keys.publicKey });

  /** Kill a node with SIGKILL and wait for it to be gone. */
  async function killNode(i: number) {
    const p = nodes[i]!.process;
    if (p.exitCode === null && p.signalCode === null) {
      const exited = new Promise((r) => p.once("exit", r));
      p.kill("SIGKILL");
      await exited;
    }
  }
  /** Start node i again from the same config (same keys, journal and port); `env` only for this start. */
  async function restartNode(i: number, env: Record<string, string> = {}) {
    await killNode(i);
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      nodes[i] = await startNode(configs[i]!, { name: holders[i]!.name } as never);
    } finally {
      for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
    }
  }

  /** After every fault: the ledger verifies, the journal balances, each delivered query charged exactly once, a failed one never. */
  async function invariants() {
    await integrateAll(db.prisma);
    await currentCheckpoint(db.prisma);
    expect((await verifyLedger(db, ledgerPublicKey(dir))).ok).toBe(true);
    expect(await journalBalances(db.prisma)).toBe(true);
    // One delivery entry per delivered query, none for a failed one.
    const deliveries = await db.prisma.journalEntry.count({ where: { idempotencyKey: { startsWith: "delivery:" } } });
    expect(deliveries).toBe(await db.prisma.queryJob.count({ where: { status: "SUCCEEDED", orderId: { not: null } } }));
  }

  async function close() {
    for (let i = 0; i < nodes.length; i++) await killNode(i);
    await db.close();
  }

  return { dir, url, db: db as Database, nodes, productId, buyerOrgId, submit, killNode, restartNode, invariants, close };
}
