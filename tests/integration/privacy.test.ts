/**
 * Differential privacy a determined buyer cannot get around (docs/queries.md, "Privacy").
 * Played as the buyer would through the API, against real node processes, and as the operator
 * would with a wiped database: the floor refuses products and queries below it, ε is spent
 * where the data is and shared by every product on a dataset, a failure after computing keeps
 * its ε, values out of bounds are clamped, and a person is the privacy unit: a differencing
 * attack repeated until the budget is spent learns about one patient only what ε allows.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approveProduct, claimsNodePolicy, type HolderKey } from "@/computation/demo/holder";
import { claims, DISTRICTS, writeCsv } from "@/computation/demo/generate";
import { startNode, type RunningNode } from "@/computation/demo/nodes";
import { decryptVector, generateKeys } from "@/core/he";
import { vectorLength } from "@/core/protocol";
import { createCaller } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import type { Database } from "@/server/db/client";
import { registerNode } from "@/server/nodes/nodes";
import { createProductFromResources } from "@/server/products/from-resources";
import { claimNextJob, getQuery, runQueryJob } from "@/server/queries/jobs";
import type { QueryPolicy } from "@/server/queries/policy";
import { createQueryProduct } from "@/server/queries/products";
import { registerResource } from "@/server/resources/resources";
import { seedDemoWorld } from "@/server/seed/demo";
import { claimsPolicy } from "@/server/seed/demo-queries";
import { listProduct, orderApproved } from "@/server/seed/flows";
import type { QuerySigner } from "@/core/signed-query";
import { backends } from "../setup/databases";
import { claimFields, lookups, reason } from "../setup/fixtures";
import { approveAtNodes, buyerSigner, signedSubmit, writeNodeConfig } from "../setup/parties";

/** Rows one patient may contribute at the node (its policy), and the target's real number of claims. */
const C = 2;
const TARGET_ROWS = 40;
const LONE = DISTRICTS[9]!; // only the target lives here
const PATIENT_COLUMNS = ["patient_ref", "district", "age", "sex", "diagnosis", "claim_amount", "month"];
const personPolicy: QueryPolicy = { ...claimsPolicy, privacy: { mode: "dp", epsilonPerBuyer: 50, maxEpsilonPerQuery: 2, maxRowsPerPerson: C } };

// Shared by both backends: the marketplace's keys (in DATA_DIR), the holders' files (only read) and the buyers' HE keys.
const dir = mkdtempSync(path.join(tmpdir(), "privacy-"));
let he: { publicKey: string; secretKey: string };
beforeAll(async () => {
  process.env.DATA_DIR = dir;
  // Patients with about five claims each, none in LONE; the target has 40 claims, all in LONE,
  // and one claim of 9,999,999 (far above the declared bound of 200,000).
  const rows = [...claims(61, 2000, 0)].map((r, i) => ({ ...r, patient_ref: `P-${i % 400}`, district: r.district === LONE ? DISTRICTS[0]! : r.district }));
  for (let i = 0; i < TARGET_ROWS; i++) rows.push({ patient_ref: "TARGET", district: LONE, age: 47, sex: "F", diagnosis: "neoplasm", claim_amount: i === 0 ? 9_999_999 : 5000, month: "2026-03" });
  await writeCsv(path.join(dir, "patients.csv"), PATIENT_COLUMNS, rows);
  await writeCsv(path.join(dir, "plain.csv"), PATIENT_COLUMNS.slice(1), claims(62, 800, 1));
  he = await generateKeys();
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

for (const backend of backends) {
  describe.skipIf(!backend.available)(`differential privacy a determined buyer cannot get around on ${backend.name}`, () => {
    // Its own database and its own nodes: a node witnesses one marketplace's ledger and keeps its own ε accounts.
    const nodeDir = path.join(dir, backend.name);
    let db: Database;
    const running: RunningNode[] = [];
    const node: Record<string, { row: string; run: RunningNode; holder: HolderKey }> = {};
    const id: Record<string, string> = {};
    let insurerSigner: QuerySigner;
    let bankSigner: QuerySigner;
    let resourceId = "";

    beforeAll(async () => {
      const specs = [
        // The node's own account: 21 ε per period over all buyers, 20 per buyer; a patient counts 2 rows at most.
        ["patients", "jinan-central-hospital", "patients.csv", { ...claimsNodePolicy({ epsilonPerBuyer: 20 }), person: { column: "patient_ref", maxRows: C }, dp: { required: true, maxEpsilonPerQuery: 2, epsilonPerBuyer: 20, epsilonTotal: 21, periodDays: 30 } }],
        ["plain", "jinan-second-hospital", "plain.csv", claimsNodePolicy({ epsilonPerBuyer: 20 })],
        ["bystander", "licheng-district-hospital", "plain.csv", claimsNodePolicy()],
      ] as const;
      db = await backend.open();
      await seedDemoWorld(db.prisma);
      const configs: Awaited<ReturnType<typeof writeNodeConfig>>[] = [];
      for (const [name, , file, policy] of specs) configs.push(await writeNodeConfig(nodeDir, { name, datasets: { claims: { kind: "csv", path: path.join(dir, file) } }, policies: { claims: policy } }));
      const runs = await Promise.all(specs.map(([name], i) => startNode(configs[i]!.config, { name } as never).then((run) => { running.push(run); return run; })));
      const { org, user } = lookups(db);
      Object.assign(id, {
        insurer: await org("mingshui-insurance"), bank: await org("quancheng-bank"), dev: await org("baotu-data-studio"),
        central: await org("jinan-central-hospital"), second: await org("jinan-second-hospital"),
        insurerUser: await user("insurer@quancheng.example"), bankUser: await user("bank@quancheng.example"),
      });
      for (const [i, [name, slug]] of specs.entries()) {
        const run = runs[i]!;
        node[name] = { run, holder: configs[i]!.holder, row: (await registerNode(db.prisma, { organisationId: await org(slug), name, url: run.url, signingKey: run.nodeId, agreementKey: run.agreementKey })).id };
      }
      resourceId = (await registerResource(db.prisma, {
        holderOrgId: id.central!, name: "Patient claims", domain: "health", updateCycle: "DAILY", sharing: "CONDITIONAL", nodeId: node.patients!.row, dataset: "claims",
        fields: [{ name: "patient_ref", type: "string", sensitivity: "PERSONAL" }, ...claimFields, { name: "month", type: "string", sensitivity: "INTERNAL" }],
      })).id;
      insurerSigner = await buyerSigner(db.prisma, id.insurer!);
      bankSigner = await buyerSigner(db.prisma, id.bank!);
    }, 180_000);

    afterAll(async () => {
      for (const n of running) n.process.kill();
      await db?.close();
    });

    /** A listed product over these nodes, approved by each holder at its node, ordered by both buyers. */
    async function product(slug: string, policy: QueryPolicy, sources: string[], approvedBy = sources) {
      const productId = (await createQueryProduct(db.prisma, { developerOrgId: id.dev!, slug, name: slug, policy, sources: sources.map((s) => ({ nodeId: node[s]!.row, dataset: "claims" })) })).id;
      await listProduct(db.prisma, productId);
      for (const buyer of [id.insurer!, id.bank!]) await orderApproved(db.prisma, { productId, buyerOrgId: buyer });
      // Each approving holder approves at its own node, with the product's full source set.
      const all = sources.map((s) => node[s]!.run.nodeId);
      for (const s of approvedBy) await approveProduct({ url: node[s]!.run.url, nodeId: node[s]!.run.nodeId, dataset: "claims", productId, sources: all, key: node[s]!.holder });
      return productId;
    }
    const caller = async (buyer: "insurer" | "bank") => createCaller(await createContext({ db, userId: id[`${buyer}User`]! }));
    async function ask(buyer: "insurer" | "bank", productId: string, query: Record<string, unknown>) {
      const job = await signedSubmit(await caller(buyer), buyer === "insurer" ? insurerSigner : bankSigner, { productId, query, publicKey: he.publicKey });
      expect(await claimNextJob(db.prisma)).toBe(job.id);
      await runQueryJob(db.prisma, job.id);
      return getQuery(db.prisma, { jobId: job.id, buyerOrgId: id[buyer]! });
    }
    const failure = (p: Promise<unknown>) => p.then(() => "OK", (e: { reason?: string; cause?: { reason?: string }; message?: string }) => e.cause?.reason ?? e.reason ?? e.message ?? String(e));

    it("refuses products below the floor: person-level data without DP, k of 1, the person column as a dimension", async () => {
      const make = (slug: string, policy: QueryPolicy) => reason(createProductFromResources(db.prisma, { developerOrgId: id.dev!, slug, name: slug, policy, resourceIds: [resourceId] }));
      expect(await make("floor-no-dp", { ...claimsPolicy, privacy: { mode: "none" } })).toBe("PRIVACY_FLOOR");
      expect(await make("floor-k1", { ...personPolicy, minCohort: 1 })).toBe("PRIVACY_FLOOR");
      const byPatient: QueryPolicy = { ...personPolicy, dimensions: [...personPolicy.dimensions, { column: "patient_ref", spec: { name: "patient_ref", kind: "category", values: ["TARGET"] }, groupable: true, filterOps: ["eq"] }] };
      expect(await make("floor-person-dim", byPatient)).toBe("PRIVACY_FLOOR");
      expect(await make("floor-eps", { ...personPolicy, privacy: { ...personPolicy.privacy, maxEpsilonPerQuery: 5 } as QueryPolicy["privacy"] })).toBe("PRIVACY_FLOOR");
      // One row per person where the holder counts two: the node's own policy refuses it.
      expect(await make("floor-rows", { ...personPolicy, privacy: { ...personPolicy.privacy, maxRowsPerPerson: 1 } as QueryPolicy["privacy"] })).toBe("SOURCE_POLICY_REFUSES");
      // Made past the checks (straight into the database, as a careless operator could): never submitted, listed or queried.
      const sneaked = (await createQueryProduct(db.prisma, { developerOrgId: id.dev!, slug: "floor-sneaked", name: "Sneaked", policy: { ...claimsPolicy, privacy: { mode: "none" } }, sources: [{ nodeId: node.patients!.row, dataset: "claims" }] })).id;
      expect(await reason(listProduct(db.prisma, sneaked))).toBe("PRIVACY_FLOOR");
      await db.prisma.dataProduct.update({ where: { id: sneaked }, data: { status: "LISTED" } });
      await orderApproved(db.prisma, { productId: sneaked, buyerOrgId: id.insurer! });
      expect(await failure(signedSubmit(await caller("insurer"), insurerSigner, { productId: sneaked, query: { measures: [{ column: "*", aggregate: "COUNT" }] }, publicKey: he.publicKey }))).toBe("PRIVACY_FLOOR");
    }, 120_000);

    it("refuses a nearly free query (ε below the floor)", async () => {
      const productId = await product("eps-floor", personPolicy, ["plain"]);
      expect(await failure(signedSubmit(await caller("insurer"), insurerSigner, { productId, query: { epsilon: 1e-9 }, publicKey: he.publicKey }))).toBe("EPSILON_TOO_SMALL");
    }, 120_000);

    it("shares one ε account per buyer and dataset across every product built on it", async () => {
      const a = await product("shared-a", personPolicy, ["plain"]);
      const b = await product("shared-b", { ...personPolicy, minCohort: 12 }, ["plain"]);
      process.env.PRIVACY_EPSILON_PER_DATASET = "3";
      try {
        expect((await ask("bank", a, { groupBy: ["sex"], epsilon: 2 })).status).toBe("SUCCEEDED");
        // A second product over the same dataset does not start afresh.
        expect(await failure(signedSubmit(await caller("bank"), bankSigner, { productId: b, query: { groupBy: ["sex"], epsilon: 2 }, publicKey: he.publicKey }))).toBe("BUDGET_EXHAUSTED");
        expect((await ask("bank", b, { groupBy: ["sex"], epsilon: 1 })).status).toBe("SUCCEEDED");
      } finally {
        delete process.env.PRIVACY_EPSILON_PER_DATASET;
      }
      const charges = await db.prisma.epsilonCharge.aggregate({ where: { buyerOrgId: id.bank!, nodeId: node.plain!.row }, _sum: { epsilon: true } });
      expect(charges._sum.epsilon).toBeCloseTo(3, 9);
    }, 180_000);

    it("keeps the ε of a query that fails after a node computed", async () => {
      // The bystander never approves this product: it refuses, after "plain" has computed.
      const productId = await product("fails-late", personPolicy, ["plain", "bystander"], ["plain"]);
      const before = await db.prisma.epsilonCharge.count({ where: { buyerOrgId: id.insurer! } });
      const done = await ask("insurer", productId, { groupBy: ["sex"], epsilon: 1 });
      expect(done.status).toBe("FAILED");
      expect(done.error).toMatch(/bystander refused \(PRODUCT_NOT_APPROVED\)/);
      expect(await db.prisma.epsilonCharge.count({ where: { buyerOrgId: id.insurer! } })).toBe(before + 2);
      expect(done.budget?.spent).toBeCloseTo(1, 9);
    }, 180_000);

    it("clamps a value outside the declared bounds instead of refusing with it, and bounds each patient to c rows: a differencing attack learns no more than ε allows", async () => {
      const productId = await product("patients", personPolicy, ["patients"]);
      // The attacker's pair: all of [D0, LONE] minus D0, i.e. exactly the target's rows.
      const withTarget = { measures: [{ column: "*", aggregate: "COUNT" as const }, { column: "claim_amount", aggregate: "SUM" as const }], filters: [{ column: "district", op: "in" as const, value: [DISTRICTS[0]!, LONE] }], epsilon: 1 };
      const without = { ...withTarget, filters: [{ column: "district", op: "in" as const, value: [DISTRICTS[0]!] }] };
      const counts: number[][] = [[], []];
      let refusal = "";
      for (let i = 0; i < 40 && !refusal; i++) {
        const q = i % 2 === 0 ? withTarget : without;
        const job = await signedSubmit(await caller("insurer"), insurerSigner, { productId, query: q, publicKey: he.publicKey }).catch((e: { message: string }) => e);
        if ("message" in job && !("id" in job)) { refusal = job.message; break; }
        const j = job as { id: string };
        expect(await claimNextJob(db.prisma)).toBe(j.id);
        await runQueryJob(db.prisma, j.id);
        const done = await getQuery(db.prisma, { jobId: j.id, buyerOrgId: id.insurer! });
        if (done.status !== "SUCCEEDED") { refusal = done.error ?? ""; break; }
        const vector = await decryptVector(he.secretKey, done.result!.ciphertexts, vectorLength(done.planned.plan));
        counts[i % 2]!.push(Number(vector[0]));
      }
      // The node's account stopped the attacker: 20 ε per buyer, and nothing after it.
      expect(refusal).toMatch(/BUDGET_EXHAUSTED/);
      expect(counts[0]!.length + counts[1]!.length).toBe(20);
      // Each released count carries discrete Laplace noise of scale c·m/ε = 2·3/1 = 6 (variance ≈ 72);
      // the mean difference of 10 pairs has sd ≈ 3.8. Unbounded, the target moves a count by 40;
      // bounded to c = 2 rows it moves it by 2: the estimate sits near 2, more than 5 sd below 40.
      const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
      const estimate = mean(counts[0]!) - mean(counts[1]!);
      expect(estimate).toBeLessThan(21);
      expect(estimate).toBeGreaterThan(-17);
      // What ε allows for the target: each count spends ε/m = 1/3 on a difference of at most c rows,
      // so 20 counts give a privacy loss of at most 20/3 about the target (and the sums' and the
      // selections' shares as much again): bounded, and spent. The advantage bound itself is
      // measured over many repetitions in computation/aggregate/differencing.test.ts.
    }, 600_000);

    it("a wiped marketplace database does not reset the node's own account", async () => {
      // The operator starts over with an empty database: new organisations, new keys, new products.
      const fresh = await backend.open();
      try {
        await seedDemoWorld(fresh.prisma);
        const { org, user } = lookups(fresh);
        const developer = await org("baotu-data-studio"), buyer = await org("quancheng-bank"), hospital = await org("jinan-central-hospital");
        const c = createCaller(await createContext({ db: fresh, userId: await user("bank@quancheng.example") }));
        const signer = await buyerSigner(fresh.prisma, buyer);
        const attempt = async (slug: string) => {
          const p = node.patients!;
          const row = (await registerNode(fresh.prisma, { organisationId: hospital, name: "patients", url: p.run.url, signingKey: p.run.nodeId, agreementKey: p.run.agreementKey })).id;
          const productId = (await createQueryProduct(fresh.prisma, { developerOrgId: developer, slug, name: slug, policy: personPolicy, sources: [{ nodeId: row, dataset: "claims" }] })).id;
          await listProduct(fresh.prisma, productId);
          await orderApproved(fresh.prisma, { productId, buyerOrgId: buyer });
          await approveAtNodes(productId, [{ url: p.run.url, nodeId: p.run.nodeId, holder: p.holder }]);
          const job = await signedSubmit(c, signer, { productId, query: { groupBy: ["sex"], epsilon: 2 }, publicKey: he.publicKey });
          expect(await claimNextJob(fresh.prisma)).toBe(job.id);
          await runQueryJob(fresh.prisma, job.id);
          return getQuery(fresh.prisma, { jobId: job.id, buyerOrgId: buyer });
        };
        // The node sees the ledger shrink: it serves nothing to a marketplace that rolled its history back.
        const first = await attempt("patients-again");
        expect(first.error).toMatch(/WITNESS_BEHIND/);
        // Even if its holder chose to trust the new ledger (its witness record removed, the node restarted),
        // the node's own ε account stands: 20 spent by the insurer, 21 for all buyers, too little for 2.
        node.patients!.run.process.kill();
        await new Promise((r) => node.patients!.run.process.once("exit", r));
        rmSync(path.join(nodeDir, "keys-patients", "witness.json"), { force: true });
        node.patients!.run = await startNode(path.join(nodeDir, "patients.json"), { name: "patients" } as never);
        running.push(node.patients!.run);
        const second = await attempt("patients-third");
        expect(second.status).toBe("FAILED");
        expect(second.error).toMatch(/BUDGET_EXHAUSTED/);
      } finally {
        await fresh.close();
      }
    }, 180_000);
  });
}
