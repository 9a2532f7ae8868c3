/**
 * Audits end to end with real node processes and real Groth16 proofs: nodes commit their
 * data, sign commitments with their answers, reveal their chains and prove sampled chunks;
 * the marketplace verifies, records verdicts on the ledger and flags a node that cannot prove.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { CLAIM_COLUMNS, CLAIM_SQL, claims, writeCsv, writeSqlite } from "@/computation/demo/generate";
import { startNode, type RunningNode } from "@/computation/demo/nodes";
import { generateKeys } from "@/core/he";
import { nodePlan } from "@/core/protocol";
import { signPayload } from "@/core/signing";
import { verifyAudit } from "@/core/zk/verify";
import { createCaller } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import type { Database } from "@/server/db/client";
import { marketSigningKey } from "@/server/keys";
import { registerNode } from "@/server/nodes/nodes";
import { fetchCommitment, getAudit, requestAudit, runAudit } from "@/server/proofs/audits";
import { startAuditWorker } from "@/server/proofs/audit-worker";
import { circuitKeys } from "@/server/proofs/keys";
import { claimNextJob, runQueryJob } from "@/server/queries/jobs";
import { httpNodeCall } from "@/server/nodes/client";
import { storedPlan, type BuyerQuery, type QueryPolicy } from "@/server/queries/policy";
import { createQueryProduct } from "@/server/queries/products";
import { seedDemoWorld } from "@/server/seed/demo";
import { claimsPolicy } from "@/server/seed/demo-queries";
import { listProduct, orderApproved } from "@/server/seed/flows";
import { main as zkCli } from "@/sdk/zk-cli";
import { backends } from "../setup/databases";
import { claimsNodePolicy, type HolderKey } from "@/computation/demo/holder";
import type { QuerySigner } from "@/core/signed-query";
import { approveAtNodes, buyerSigner, signedSubmit, writeNodeConfig } from "../setup/parties";

const policy: QueryPolicy = { ...claimsPolicy, minCohort: 10, privacy: { mode: "none" } };
const provable: BuyerQuery = { groupBy: ["district"], filters: [{ column: "age", op: "between", value: [30, 60] }], measures: [{ column: "claim_amount", aggregate: "SUM" }] };

// Shared by both backends: the marketplace's keys (in DATA_DIR) and the buyer's HE keys.
const root = mkdtempSync(path.join(tmpdir(), "audits-"));
let keys: { publicKey: string };
beforeAll(async () => {
  process.env.DATA_DIR = root;
  keys = await generateKeys();
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

for (const backend of backends) {
  describe.skipIf(!backend.available)(`audits of delivered queries, with real nodes and real proofs, on ${backend.name}`, () => {
    // Its own database, nodes and data files: a node witnesses one marketplace's ledger, and a test here changes a holder's file.
    const dir = path.join(root, backend.name);
    let db: Database;
    const nodes: RunningNode[] = [];
    let both = "", single = "";
    let buyer: ReturnType<typeof createCaller>;
    let supervisor: { orgId: string; userId: string };
    let signer: QuerySigner;

    beforeAll(async () => {
      mkdirSync(dir, { recursive: true });
      await writeCsv(path.join(dir, "a.csv"), CLAIM_COLUMNS, claims(21, 200, 0));
      await writeSqlite(path.join(dir, "b.sqlite"), "claims", CLAIM_SQL, claims(22, 150, 2));
      const holders = [
        { slug: "jinan-central-hospital", name: "a", connector: { kind: "csv", path: "a.csv" } },
        { slug: "jinan-second-hospital", name: "b", connector: { kind: "sqlite", path: "b.sqlite", table: "claims" } },
      ];
      const configs: string[] = [];
      const holderKeys: HolderKey[] = [];
      for (const h of holders) {
        const { config, holder } = await writeNodeConfig(dir, { name: h.name, datasets: { claims: h.connector }, policies: { claims: claimsNodePolicy({ dpRequired: false, minCohort: 10 }) } });
        configs.push(config);
        holderKeys.push(holder);
      }
      db = await backend.open();
      await seedDemoWorld(db.prisma);
      await Promise.all(holders.map((h, i) => startNode(configs[i]!, { name: h.name } as never).then((node) => { nodes[i] = node; })));
      const registered = [];
      for (const [i, h] of holders.entries()) {
        const node = nodes[i]!;
        const org = await db.prisma.organisation.findUniqueOrThrow({ where: { slug: h.slug } });
        registered.push(await registerNode(db.prisma, { organisationId: org.id, name: h.name, url: node.url, signingKey: node.nodeId, agreementKey: node.agreementKey }));
      }
      // Answers are provable once each node has committed its data (it commits in the background at start).
      for (const r of await db.prisma.computationNode.findMany({ where: { id: { in: registered.map((x) => x.id) } } })) await fetchCommitment(db.prisma, r, "claims", false, httpNodeCall, 600_000);
      const developer = await db.prisma.organisation.findUniqueOrThrow({ where: { slug: "baotu-data-studio" } });
      both = (await createQueryProduct(db.prisma, { developerOrgId: developer.id, slug: "audit-both", name: "Claims (two hospitals)", policy, sources: registered.map((r) => ({ nodeId: r.id, dataset: "claims" })) })).id;
      single = (await createQueryProduct(db.prisma, { developerOrgId: developer.id, slug: "audit-single", name: "Claims (one hospital)", policy, sources: [{ nodeId: registered[0]!.id, dataset: "claims" }] })).id;
      const insurer = await db.prisma.user.findUniqueOrThrow({ where: { email: "insurer@quancheng.example" }, include: { memberships: true } });
      for (const productId of [both, single]) { await listProduct(db.prisma, productId); await orderApproved(db.prisma, { productId, buyerOrgId: insurer.memberships[0]!.organisationId }); }
      await approveAtNodes(both, nodes.map((n, i) => ({ url: n.url, nodeId: n.nodeId, holder: holderKeys[i]! })));
      await approveAtNodes(single, [{ url: nodes[0]!.url, nodeId: nodes[0]!.nodeId, holder: holderKeys[0]! }]);
      buyer = createCaller(await createContext({ db, userId: insurer.id }));
      signer = await buyerSigner(db.prisma, insurer.memberships[0]!.organisationId);
      const sup = await db.prisma.user.findUniqueOrThrow({ where: { email: "supervisor@quancheng.example" }, include: { memberships: true } });
      supervisor = { orgId: sup.memberships[0]!.organisationId, userId: sup.id };
    }, 180_000);

    afterAll(async () => {
      for (const n of nodes) n?.process.kill();
      await db?.close();
    });

    async function deliver(productId: string, query: BuyerQuery) {
      const job = await signedSubmit(buyer, signer, { productId, query, publicKey: keys.publicKey });
      await runQueryJob(db.prisma, (await claimNextJob(db.prisma))!);
      const done = await db.prisma.queryJob.findUniqueOrThrow({ where: { id: job.id } });
      expect(done.status, done.error ?? "").toBe("SUCCEEDED");
      return job.id;
    }
    async function audit(queryId: string, sampleBps = 2500) {
      const made = await requestAudit(db.prisma, { queryId, sampleBps, ...supervisor, supervisor: true });
      for (const a of made) await runAudit(db.prisma, a.id);
      return Promise.all(made.map((a) => getAudit(db.prisma, { auditId: a.id, orgId: supervisor.orgId, supervisor: true })));
    }

    it("passes an honest audit of every node, on the ledger, and verifies again from its bundle (CLI too)", async () => {
      const queryId = await deliver(both, provable);
      const commitments = await db.prisma.datasetCommitment.findMany();
      expect(commitments.map((c) => c.chunkRows)).toEqual([16, 16]);
      const contributions = await db.prisma.contribution.findMany({ where: { queryId } });
      expect(contributions.every((c) => c.commitmentRoot && c.finalAcc && !c.unprovable)).toBe(true);

      const audits = await audit(queryId);
      for (const a of audits) {
        expect(a.status, a.reason ?? "").toBe("PASSED");
        expect(a.flagged).toBe(false);
        const k = circuitKeys();
        expect((await verifyAudit(a.bundle, k.keys, k.pins)).ok).toBe(true);
        expect(a.bundle!.sample).toHaveLength(Math.ceil((a.bundle!.accs.length - 1) / 4)); // 25% of 13 or 10 chunks
      }
      const file = path.join(dir, "audit.json");
      writeFileSync(file, JSON.stringify({ bundle: audits[0]!.bundle }));
      const lines: string[] = [];
      expect(await zkCli(["verify", file], (l) => lines.push(l))).toBe(0);
      expect(lines.at(-1)).toMatch(/^Verified/);
      // Tampered on disk: the CLI says so.
      const tampered = JSON.parse(readFileSync(file, "utf8")) as { bundle: { rows: string } };
      tampered.bundle.rows = String(BigInt(tampered.bundle.rows) + 1n);
      writeFileSync(file, JSON.stringify(tampered));
      expect(await zkCli(["verify", file], () => {})).toBe(1);

      const events = await db.prisma.ledgerQueue.findMany({ where: { type: { in: ["commitment.registered", "audit.requested", "audit.completed"] } } });
      const leaves = await db.prisma.ledgerLeaf.findMany({ where: { type: { in: ["commitment.registered", "audit.requested", "audit.completed"] } } });
      const bodies = [...events, ...leaves].map((e) => JSON.parse(e.body) as { type: string; data?: { verdict?: string } });
      expect(bodies.filter((b) => b.type === "commitment.registered")).toHaveLength(2);
      expect(bodies.filter((b) => b.type === "audit.completed").map((b) => b.data?.verdict)).toEqual(["PASSED", "PASSED"]);
    }, 300_000);

    it("passes an audit of a query filtered on a text column (sex = F)", async () => {
      const queryId = await deliver(both, { ...provable, filters: [{ column: "sex", op: "eq", value: "F" }] });
      for (const a of await audit(queryId, 100)) expect(a.status, a.reason ?? "").toBe("PASSED");
    }, 300_000);

    it("proves k for a single-source query: every released group has at least k rows", async () => {
      const queryId = await deliver(single, provable);
      const [a] = await audit(queryId, 100);
      expect(a!.status, a!.reason ?? "").toBe("PASSED");
      expect(a!.bundle!.k).toBe(10);
      expect(a!.checks!.at(-1)!.detail).toMatch(/each ≥ 10/);
    }, 300_000);

    it("queues audits from the router and the audit worker runs them; a damaged stored plan ends an audit with a clear reason", async () => {
      const queryId = await deliver(single, provable);
      const worker = startAuditWorker(async () => db, { idleMs: 200 }); // what server/workers.ts starts in the web or worker process
      onTestFinished(() => worker.stop());
      const auditor = createCaller(await createContext({ db, userId: supervisor.userId }));
      const started = await auditor.audit.request({ queryId, sampleBps: 100 });
      expect(started.map((a) => a.status)).toEqual(["RUNNING"]); // answered before any proof
      const verdict = async (id: string) => {
        for (const until = Date.now() + 240_000; Date.now() < until; await new Promise((r) => setTimeout(r, 500))) {
          const a = await auditor.audit.get({ auditId: id });
          if (a.status !== "RUNNING") return a;
        }
        throw new Error("the audit is still running");
      };
      const done = await verdict(started[0]!.id);
      expect(done.status, done.reason ?? "").toBe("PASSED");

      const job = await db.prisma.queryJob.findUniqueOrThrow({ where: { id: queryId } });
      const stored = job.plan as { plan: object };
      await db.prisma.queryJob.update({ where: { id: queryId }, data: { plan: { ...stored, plan: { ...stored.plan, groupBy: "district" } } } });
      const again = await auditor.audit.request({ queryId, sampleBps: 100 });
      const damaged = await verdict(again[0]!.id);
      expect(damaged).toMatchObject({ status: "FAILED", flagged: false, reason: expect.stringMatching(/could not run: The query's stored plan is malformed/) });
    }, 300_000);

    it("says a query outside what the circuits prove is not provable, without flagging anyone", async () => {
      const queryId = await deliver(both, { groupBy: ["age"], measures: [{ column: "claim_amount", aggregate: "SUM" }] });
      for (const a of await audit(queryId)) {
        expect(a.status).toBe("NOT_PROVABLE");
        expect(a.reason).toMatch(/category dimensions/);
        expect(a.flagged).toBe(false);
      }
    }, 120_000);

    it("lets a buyer audit its own query only", async () => {
      const queryId = (await db.prisma.queryJob.findFirstOrThrow({ where: { status: "SUCCEEDED" } })).id;
      const bank = await db.prisma.user.findUniqueOrThrow({ where: { email: "bank@quancheng.example" } });
      const other = createCaller(await createContext({ db, userId: bank.id }));
      await expect(other.audit.request({ queryId })).rejects.toMatchObject({ code: "NOT_FOUND" });
      await expect(buyer.audit.list({ queryId })).resolves.toBeInstanceOf(Array);
    });

    it("has nodes refuse malformed and out-of-order audit requests with clear codes", async () => {
      const queryId = await deliver(single, provable);
      const node = nodes[0]!;
      const c = await db.prisma.contribution.findFirstOrThrow({ where: { queryId } });
      const job = await db.prisma.queryJob.findUniqueOrThrow({ where: { id: queryId } });
      const plan = nodePlan(storedPlan(job.plan).plan, "claims");
      const post = async (path: string, payload: Record<string, unknown>) => {
        const issuedAt = Date.now();
        const body = signPayload("market-request", { nodeId: node.nodeId, issuedAt, expiresAt: issuedAt + 60_000, nonce: randomBytes(18).toString("base64url"), ...payload }, marketSigningKey().privateKey);
        const res = await fetch(`${node.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        return { status: res.status, body: await res.json() as { error?: { code: string; message: string } } };
      };
      const base = { queryId, plan, root: c.commitmentRoot };
      expect((await post("/v1/audit/prove", { type: "audit-prove", ...base, chunks: [0], released: [true], k: 0 })).body.error).toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/chain first/) });
      expect((await post("/v1/audit/chain", { type: "audit-chain", ...base, root: "12345" })).body.error?.code).toBe("DATA_CHANGED");
      expect((await post("/v1/audit/chain", { type: "audit-chain", ...base, root: "not a number" })).body.error?.code).toBe("BAD_REQUEST");
      const chain = await post("/v1/audit/chain", { type: "audit-chain", ...base });
      expect(chain.status).toBe(200);
      expect((await post("/v1/audit/prove", { type: "audit-prove", ...base, chunks: [10_000], released: [true], k: 0 })).body.error).toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/no chunk 10000/) });
      // The only source decided the release itself: another vector is a probe. And a released group below k cannot be proven.
      expect((await post("/v1/audit/prove", { type: "audit-prove", ...base, chunks: [0], released: Array(10).fill(true), k: 1_000_000 })).body.error?.code).toMatch(/NOT_RELEASED|CANNOT_PROVE/);
      // Each step is served once, only for a query this node answered, with the plan it ran.
      expect((await post("/v1/audit/chain", { type: "audit-chain", ...base })).body.error?.code).toBe("ALREADY_SERVED");
      expect((await post("/v1/audit/chain", { type: "audit-chain", ...base, queryId: randomUUID() })).body.error?.code).toBe("UNKNOWN_QUERY");
      expect((await post("/v1/audit/chain", { type: "audit-chain", ...base, plan: { ...plan, filters: [] } })).body.error?.code).toBe("PLAN_CHANGED");
    }, 120_000);

    it("answers at once while a node is still committing its data, marked not yet provable; provable once committed", async () => {
      // A node that has not committed its data yet (it commits when first asked, not at start).
      await writeCsv(path.join(dir, "c.csv"), CLAIM_COLUMNS, claims(23, 5_000, 1));
      const { config, holder } = await writeNodeConfig(dir, { name: "c", datasets: { claims: { kind: "csv", path: "c.csv" } }, policies: { claims: claimsNodePolicy({ dpRequired: false, minCohort: 10 }) } });
      process.env.NODE_COMMIT_ON_START = "off";
      const node = await startNode(config, { name: "c" } as never).finally(() => delete process.env.NODE_COMMIT_ON_START);
      nodes.push(node);
      const org = await db.prisma.organisation.findUniqueOrThrow({ where: { slug: "licheng-district-hospital" } });
      const row = await registerNode(db.prisma, { organisationId: org.id, name: "c", url: node.url, signingKey: node.nodeId, agreementKey: node.agreementKey });
      const developer = await db.prisma.organisation.findUniqueOrThrow({ where: { slug: "baotu-data-studio" } });
      const productId = (await createQueryProduct(db.prisma, { developerOrgId: developer.id, slug: "audit-fresh", name: "Claims (fresh node)", policy, sources: [{ nodeId: row.id, dataset: "claims" }] })).id;
      const insurer = await db.prisma.user.findUniqueOrThrow({ where: { email: "insurer@quancheng.example" }, include: { memberships: true } });
      await listProduct(db.prisma, productId);
      await orderApproved(db.prisma, { productId, buyerOrgId: insurer.memberships[0]!.organisationId });
      await approveAtNodes(productId, [{ url: node.url, nodeId: node.nodeId, holder }]);
      const first = await deliver(productId, provable);
      expect((await db.prisma.contribution.findFirstOrThrow({ where: { queryId: first } })).unprovable).toMatch(/not yet provable/);
      await fetchCommitment(db.prisma, { ...row, organisationId: org.id }, "claims", false, httpNodeCall, 600_000); // waits for the node's commitment
      const second = await deliver(productId, provable);
      expect((await db.prisma.contribution.findFirstOrThrow({ where: { queryId: second } })).commitmentRoot).toMatch(/^\d+$/);
    }, 300_000);

    it("flags a node whose data changed after it answered", async () => {
      const queryId = await deliver(both, provable);
      const file = path.join(dir, "a.csv");
      const text = readFileSync(file, "utf8").split("\n");
      text[3] = text[3]!.replace(/,(\d+(?:\.\d+)?),(\d{4}-\d{2})$/, (_, amount: string, month: string) => `,${Number(amount) + 1},${month}`);
      writeFileSync(file, text.join("\n"));
      const audits = await audit(queryId);
      const a = audits.find((x) => x.bundle === null || x.status !== "PASSED")!;
      expect(a.status).toBe("FAILED");
      expect(a.flagged).toBe(true);
      expect(a.reason).toMatch(/could not prove.*DATA_CHANGED/);
      expect(audits.filter((x) => x.status === "PASSED")).toHaveLength(1); // the other node is fine
    }, 300_000);
  });
}
