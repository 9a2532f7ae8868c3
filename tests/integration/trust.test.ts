/**
 * The holder's node decides (docs/architecture.md, "Threat model"). Every attack here is made
 * the way a malicious market operator would make it: with the marketplace's own signing key,
 * its own database and ledger, and the relay position, against computation nodes running as
 * their own processes. Each must be refused by the node itself, with its reason code.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimsNodePolicy, personNodePolicy, type HolderKey } from "@/computation/demo/holder";
import { requiredNoise } from "@/core/policy";
import { CLAIM_COLUMNS, claims, writeCsv } from "@/computation/demo/generate";
import { startNode, type RunningNode } from "@/computation/demo/nodes";
import { generateKeys } from "@/core/he";
import type { AggregateRequest, LedgerHead, ProductPlan } from "@/core/protocol";
import { signPayload } from "@/core/signing";
import { createCaller } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import { registerEnvelopeKey, requestConsent } from "@/server/consent/consents";
import { deliverEnvelope } from "@/server/consent/delivery";
import type { Database } from "@/server/db/client";
import { marketSigningKey } from "@/server/keys";
import { recordEvent } from "@/server/ledger/events";
import { lift, suspend } from "@/server/ledger/supervision";
import { registerNode } from "@/server/nodes/nodes";
import { entryProofAt, freshCheckpoint, queryEvidence, registerBuyerSigningKey, supervisionProofs } from "@/server/queries/authorization";
import { authorizationOf, claimNextJob, getQuery, runQueryJob } from "@/server/queries/jobs";
import { httpNodeCall, ledgerHeadFor } from "@/server/nodes/client";
import { storedPlan, type QueryPolicy } from "@/server/queries/policy";
import { createQueryProduct } from "@/server/queries/products";
import { registerResource } from "@/server/resources/resources";
import { seedDemoWorld } from "@/server/seed/demo";
import { claimsPolicy } from "@/server/seed/demo-queries";
import { listProduct, orderApproved } from "@/server/seed/flows";
import { verifyNodeSignature } from "@/core/node-signature";
import type { QuerySigner } from "@/core/signed-query";
import { bindingMac, planHash, sha256Hex, signStatement, type ConsentStatement, type QueryAuthorization } from "@/core/statements";
import { backends } from "../setup/databases";
import { lookups, reason } from "../setup/fixtures";
import { approveAtNodes, approveSigned, buyerSigner, inProcessNode, linkPerson, partyKey, signedSubmit, writeNodeConfig, type PartyKey } from "../setup/parties";

const dpPolicy: QueryPolicy = { ...claimsPolicy, minCohort: 10, privacy: { mode: "dp", epsilonPerBuyer: 50, maxEpsilonPerQuery: 2 } };
const query = { groupBy: ["district"], measures: [{ column: "claim_amount", aggregate: "AVG" as const }], epsilon: 1 };

// Shared by both backends: the marketplace's keys (in DATA_DIR), the holders' files (only read) and the buyer's HE keys.
const dir = mkdtempSync(path.join(tmpdir(), "trust-"));
let he: { publicKey: string; secretKey: string };
beforeAll(async () => {
  process.env.DATA_DIR = dir;
  await writeCsv(path.join(dir, "a.csv"), CLAIM_COLUMNS, claims(41, 600, 0));
  await writeCsv(path.join(dir, "b.csv"), CLAIM_COLUMNS, claims(42, 500, 2));
  writeFileSync(path.join(dir, "people.csv"), `subject_ref,employer,contribution_base\n${Array.from({ length: 64 }, (_, i) => `QC-SUBJ-${String(i + 1).padStart(4, "0")},Employer ${i},${10_000 + i * 7}`).join("\n")}\n`);
  he = await generateKeys();
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

for (const backend of backends) {
  describe.skipIf(!backend.available)(`the holder's node decides, whatever the operator signs, on ${backend.name}`, () => {
    // Its own database and its own nodes: a node witnesses one marketplace's ledger and keeps its own answers, bindings and ε accounts.
    const nodeDir = path.join(dir, backend.name);
    let db: Database;
    const nodes: RunningNode[] = [];
    const configs: string[] = [];
    const holders: HolderKey[] = [];
    let social: RunningNode;
    let socialRow = "";
    let socialKeys = "";
    const id: Record<string, string> = {};
    let productId = "";
    let insurer: ReturnType<typeof createCaller>;
    let signer: QuerySigner;
    let zhangKey: PartyKey;
    let resourceId = "";

    beforeAll(async () => {
      const hospitals = [["a", "jinan-central-hospital"], ["b", "jinan-second-hospital"]] as const;
      for (const [name] of hospitals) {
        const w = await writeNodeConfig(nodeDir, { name, datasets: { claims: { kind: "csv", path: path.join(dir, `${name}.csv`) } }, policies: { claims: claimsNodePolicy({ epsilonPerBuyer: 20 }) } });
        configs.push(w.config);
        holders.push(w.holder);
      }
      const w = await writeNodeConfig(nodeDir, { name: "social", datasets: { contributions: { kind: "csv", path: path.join(dir, "people.csv") } }, policies: { contributions: personNodePolicy() } });
      socialKeys = w.keysDir;
      db = await backend.open();
      await seedDemoWorld(db.prisma);
      await Promise.all([
        ...hospitals.map(([name], i) => startNode(configs[i]!, { name } as never).then((n) => { nodes[i] = n; })),
        startNode(w.config, { name: "social" } as never).then((n) => { social = n; }),
      ]);
      const { org, user } = lookups(db);
      Object.assign(id, {
        insurer: await org("mingshui-insurance"), bank: await org("quancheng-bank"), operator: await org("quancheng-data-operations"), supervisor: await org("jinan-data-supervision"),
        social: await org("jinan-social-security"), insurerUser: await user("insurer@quancheng.example"), bankUser: await user("bank@quancheng.example"), zhang: await user("zhang.wei@quancheng.example"),
      });
      const registered = [];
      for (const [i, [name, slug]] of hospitals.entries()) {
        const node = nodes[i]!;
        registered.push(await registerNode(db.prisma, { organisationId: await org(slug), name, url: node.url, signingKey: node.nodeId, agreementKey: node.agreementKey }));
      }
      socialRow = (await registerNode(db.prisma, { organisationId: id.social!, name: "social", url: social.url, signingKey: social.nodeId, agreementKey: social.agreementKey })).id;
      resourceId = (await registerResource(db.prisma, {
        holderOrgId: id.social!, name: "Contributions", domain: "social", updateCycle: "MONTHLY", sharing: "CONDITIONAL", nodeId: socialRow, dataset: "contributions",
        fields: [{ name: "subject_ref", type: "string", sensitivity: "PERSONAL" }, { name: "employer", type: "string", sensitivity: "PERSONAL" }, { name: "contribution_base", type: "number", sensitivity: "PERSONAL" }],
      })).id;

      const developer = await org("baotu-data-studio");
      productId = (await createQueryProduct(db.prisma, { developerOrgId: developer, slug: "trust-claims", name: "Claims (DP)", policy: dpPolicy, sources: registered.map((r) => ({ nodeId: r.id, dataset: "claims" })) })).id;
      await listProduct(db.prisma, productId);
      await orderApproved(db.prisma, { productId, buyerOrgId: id.insurer! });
      await approveAtNodes(productId, nodes.map((n, i) => ({ url: n.url, nodeId: n.nodeId, holder: holders[i]! })));
      insurer = createCaller(await createContext({ db, userId: id.insurerUser! }));
      signer = await buyerSigner(db.prisma, id.insurer!);

      const pair = await generateKeyPair("ECDH-ES", { crv: "P-256", extractable: true });
      const jwk = await exportJWK(pair.publicKey);
      await registerEnvelopeKey(db.prisma, { buyerOrgId: id.bank!, publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } });
      zhangKey = await linkPerson(db.prisma, { userId: id.zhang!, nodeId: socialRow, nodeKey: social.nodeId, keysDir: socialKeys, subjectRef: "QC-SUBJ-0001" });
    }, 180_000);

    afterAll(async () => {
      for (const n of [...nodes, social]) n?.process.kill();
      await db?.close();
    });

    // ------------------------------------------------------------------------------------------
    // What the operator holds: the market key, the database, the ledger. These helpers use only that.

    /** POST a payload to a node, signed with the marketplace's key. */
    async function post(node: { url: string }, p: string, payload: unknown) {
      const res = await fetch(`${node.url}${p}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(signPayload("market-request", payload, marketSigningKey().privateKey)) });
      const body = await res.json() as { error?: { code: string; message: string }; payload?: Record<string, unknown> };
      return { status: res.status, code: body.error?.code ?? null, message: body.error?.message ?? "", body };
    }
    /** A ledger head the node will accept as consistent with what it witnessed (its /v1/witness is public). */
    async function headFor(node: { url: string }, cp = undefined as Awaited<ReturnType<typeof freshCheckpoint>> | undefined): Promise<LedgerHead> {
      const seen = (await (await fetch(`${node.url}/v1/witness`)).json()) as { checkpoint: { size: number } | null };
      const checkpoint = cp ?? await freshCheckpoint(db.prisma);
      return ledgerHeadFor(db.prisma, Math.min(seen.checkpoint?.size ?? 0, checkpoint.size), checkpoint);
    }
    const fresh = () => { const t = Date.now(); return { issuedAt: t, expiresAt: t + 60_000, nonce: randomBytes(18).toString("base64url") }; };
    const peersOf = (ns: RunningNode[]) => ns.map((n) => ({ nodeId: n.nodeId, x25519: n.agreementKey }));

    /** The request the marketplace would send for a real (buyer-signed, ledgered) query, with the operator's overrides. */
    async function aggregateFor(jobId: string, node: RunningNode, over: Partial<AggregateRequest> = {}): Promise<AggregateRequest> {
      const { heKey, ...row } = await db.prisma.queryJob.findUniqueOrThrow({ where: { id: jobId }, include: { heKey: true } });
      const job = { ...row, publicKey: heKey.key };
      const planned = storedPlan(job.plan);
      const statement = authorizationOf({ queryId: job.id, productId: job.productId, buyerOrgId: job.buyerOrgId, plan: planned.plan, publicKey: job.publicKey, epsilon: job.epsilon });
      const ledger = await headFor(node);
      return {
        type: "aggregate", queryId: job.id, nodeId: node.nodeId, productId: job.productId, plan: planned.plan, publicKey: job.publicKey, peers: peersOf(nodes),
        ...fresh(), ledger, authorization: await queryEvidence(db.prisma, job, statement, ledger.checkpoint.size),
        supervision: await supervisionProofs(db.prisma, [job.buyerOrgId, job.productId], ledger.checkpoint.size), ...over,
      };
    }
    /** A real query the buyer signed in its own name (accepted and on the ledger, not yet run). */
    async function buyerQuery() {
      const job = await signedSubmit(insurer, signer, { productId, query, publicKey: he.publicKey });
      return job.id;
    }
    async function runToEnd(jobId: string) {
      expect(await claimNextJob(db.prisma)).toBe(jobId);
      await runQueryJob(db.prisma, jobId);
      return getQuery(db.prisma, { jobId, buyerOrgId: id.insurer! });
    }

    /**
     * A query the operator makes up entirely: its own organisation as "buyer" with a key it
     * registered itself, its own BFV key, its own ledger entry. Everything the ledger and the
     * signature checks ask for is there: only the holders' own policies stand in the way.
     */
    async function operatorQuery(node: RunningNode, o: { productId: string; plan: ProductPlan; peers: RunningNode[]; epsilon: number }) {
      const key = await partyKey();
      await registerBuyerSigningKey(db.prisma, { buyerOrgId: id.operator!, publicJwk: key.publicJwk });
      const queryId = randomUUID();
      const statement: QueryAuthorization = { type: "query-authorization", queryId, productId: o.productId, buyerOrgId: id.operator!, planHash: planHash(o.plan), heKeyHash: sha256Hex(he.publicKey), epsilon: o.epsilon };
      const signature = await signStatement(key.privateKey, statement);
      const acceptedEntryId = await db.prisma.$transaction((tx) => recordEvent(tx, {
        type: "query.accepted", actorOrgId: id.operator!, objectId: queryId, refs: { productId: o.productId },
        data: { epsilon: o.epsilon, groups: 1, planHash: statement.planHash, heKeyHash: statement.heKeyHash, buyerKey: key.thumbprint, signature },
      }));
      const ledger = await headFor(node);
      const request: AggregateRequest = {
        type: "aggregate", queryId, nodeId: node.nodeId, productId: o.productId, plan: o.plan, publicKey: he.publicKey, peers: peersOf(o.peers), ...fresh(), ledger,
        authorization: await queryEvidence(db.prisma, { acceptedEntryId, signature, signingKey: key.thumbprint }, statement, ledger.checkpoint.size), supervision: [],
      };
      return post(node, "/v1/aggregate", request);
    }
    const count: ProductPlan = { groupBy: [], filters: [], stats: [], ranges: [], noise: null };

    // ------------------------------------------------------------------------------------------

    it("refuses raw values from one signed request: the operator's own query on a person-level dataset", async () => {
      // The attack of the issue: one peer (no masks), no noise, the operator's BFV key, grouped by the person.
      const refs = Array.from({ length: 64 }, (_, i) => `QC-SUBJ-${String(i + 1).padStart(4, "0")}`);
      const plan: ProductPlan = { groupBy: [{ name: "subject_ref", kind: "category", values: refs }], filters: [], stats: [{ kind: "sum", column: "contribution_base", scale: 0 }], ranges: [{ column: "contribution_base", min: 0, max: 1e6 }], noise: null };
      const r = await operatorQuery(social, { productId: randomUUID(), plan, peers: [social], epsilon: 0 });
      expect(r.code).toBe("PRODUCT_NOT_APPROVED");
      expect(r.message).not.toMatch(/1000\d/);
    });

    it("refuses an operator-made query on an approved product: isolated peer, no DP, undeclared column", async () => {
      const [a, b] = nodes as [RunningNode, RunningNode];
      expect((await operatorQuery(a, { productId, plan: count, peers: [a], epsilon: 0 })).code).toBe("PEERS_NOT_APPROVED");
      expect((await operatorQuery(a, { productId, plan: count, peers: [a, b], epsilon: 0 })).code).toBe("DP_REQUIRED");
      const byMonth: ProductPlan = { ...count, groupBy: [{ name: "month", kind: "category", values: ["2025-01"] }], noise: { scales: [2], selection: 2 } };
      expect((await operatorQuery(a, { productId, plan: byMonth, peers: [a, b], epsilon: 1 })).code).toBe("DIMENSION_NOT_ALLOWED");
      // A nearly free query: the node has its own ε floor, whatever the operator signs.
      expect((await operatorQuery(a, { productId, plan: { ...count, noise: requiredNoise(count, 1e-9) }, peers: [a, b], epsilon: 1e-9 })).code).toBe("EPSILON_TOO_SMALL");
      const thin: ProductPlan = { ...count, noise: { scales: [0.001], selection: 2 } };
      expect((await operatorQuery(a, { productId, plan: thin, peers: [a, b], epsilon: 1 })).code).toBe("NOISE_TOO_SMALL");
      const ageSlice: ProductPlan = { ...count, filters: [{ column: "age", op: "between", value: [37, 37] }], noise: { scales: [2], selection: 2 } };
      expect((await operatorQuery(a, { productId, plan: ageSlice, peers: [a, b], epsilon: 1 })).code).toBe("FILTER_NOT_ALLOWED");
    });

    it("refuses a plan changed after the buyer signed, and a signature that is not the buyer's", async () => {
      const jobId = await buyerQuery();
      const job = await db.prisma.queryJob.findUniqueOrThrow({ where: { id: jobId } });
      const planned = storedPlan(job.plan);
      // The operator drops the noise in its own database before running the query.
      await db.prisma.queryJob.update({ where: { id: jobId }, data: { plan: { ...planned, plan: { ...planned.plan, noise: null } } as never } });
      const done = await runToEnd(jobId);
      expect(done.status).toBe("FAILED");
      expect(done.error).toMatch(/PLAN_CHANGED/);
      // Re-signing the statement with a key of its own, next to the buyer's registered key, does not help either.
      const other = await buyerQuery();
      const req = await aggregateFor(other, nodes[0]!);
      const forged = await signStatement((await partyKey()).privateKey, req.authorization.statement as QueryAuthorization);
      expect((await post(nodes[0]!, "/v1/aggregate", { ...req, authorization: { ...req.authorization, signature: forged } })).code).toMatch(/NOT_ON_LEDGER|BAD_BUYER_SIGNATURE/);
      await runToEnd(other); // the honest run is unaffected
    });

    it("refuses a query that is not on the ledger as signed", async () => {
      const jobId = await buyerQuery();
      const req = await aggregateFor(jobId, nodes[0]!);
      const body = JSON.parse(req.authorization.entry.body) as { data: Record<string, unknown> };
      const altered = JSON.stringify({ ...body, data: { ...body.data, epsilon: 0.001 } });
      expect((await post(nodes[0]!, "/v1/aggregate", { ...req, authorization: { ...req.authorization, entry: { ...req.authorization.entry, body: altered } } })).code).toBe("NOT_ON_LEDGER");
      // The key registration of another organisation does not stand in for the buyer's.
      const k = await partyKey();
      await registerBuyerSigningKey(db.prisma, { buyerOrgId: id.bank!, publicJwk: k.publicJwk });
      const bankKey = await db.prisma.buyerSigningKey.findUniqueOrThrow({ where: { thumbprint: k.thumbprint } });
      const again = await aggregateFor(jobId, nodes[0]!);
      const keyEntry = await entryProofAt(db.prisma, bankKey.ledgerEntryId, again.ledger.checkpoint.size);
      expect((await post(nodes[0]!, "/v1/aggregate", { ...again, authorization: { ...again.authorization, keyEntry } })).code).toBe("NOT_AUTHORISED");
      expect((await runToEnd(jobId)).status).toBe("SUCCEEDED");
    });

    it("refuses an isolated peer set and a replayed query id, even after a restart; contribution and audit probes too", async () => {
      const jobId = await buyerQuery();
      const [a, b] = nodes as [RunningNode, RunningNode];
      // Leaving hospital B out would remove every mask: hospital A refuses.
      expect((await post(a, "/v1/aggregate", await aggregateFor(jobId, a, { peers: peersOf([a]) }))).code).toBe("PEERS_NOT_APPROVED");
      expect((await post(a, "/v1/aggregate", await aggregateFor(jobId, a, { peers: peersOf([a, b, a]) }))).code).toMatch(/PEERS_NOT_APPROVED|WRONG_NODE/);
      const done = await runToEnd(jobId);
      expect(done.status, done.error ?? "").toBe("SUCCEEDED");
      // A second answer would be a second, independently noised copy: refused, and still after a restart.
      expect((await post(a, "/v1/aggregate", await aggregateFor(jobId, a))).code).toBe("QUERY_ANSWERED");
      a.process.kill();
      await new Promise((r) => a.process.once("exit", r));
      nodes[0] = await startNode(configs[0]!, { name: "a" } as never);
      await db.prisma.computationNode.updateMany({ where: { signingKey: nodes[0].nodeId }, data: { url: nodes[0].url } });
      expect((await post(nodes[0], "/v1/aggregate", await aggregateFor(jobId, nodes[0]))).code).toBe("QUERY_ANSWERED");
      // One-hot contribution probes: served once per query (noisy), only for queries the node answered.
      const groups = (done.planned.groups);
      const oneHot = Array.from({ length: groups }, (_, g) => g === 0);
      expect((await post(b, "/v1/contribution", { type: "contribution", queryId: jobId, nodeId: b.nodeId, released: oneHot, ...fresh() })).code).toBe("ALREADY_SERVED");
      expect((await post(b, "/v1/contribution", { type: "contribution", queryId: randomUUID(), nodeId: b.nodeId, released: oneHot, ...fresh() })).code).toBe("UNKNOWN_QUERY");
      // Audit probes: only for the plan the node ran.
      const planned = done.planned;
      const root = (await db.prisma.contribution.findFirstOrThrow({ where: { queryId: jobId } })).commitmentRoot ?? "1";
      const otherPlan = { ...planned.plan, dataset: "claims", filters: [{ column: "sex", op: "eq", value: "F" }] };
      expect((await post(b, "/v1/audit/chain", { type: "audit-chain", queryId: jobId, nodeId: b.nodeId, plan: otherPlan, root, ...fresh() })).code).toBe("PLAN_CHANGED");
      expect((await post(b, "/v1/audit/prove", { type: "audit-prove", queryId: randomUUID(), nodeId: b.nodeId, plan: otherPlan, root, chunks: [0], released: [true], k: 0, ...fresh() })).code).toBe("UNKNOWN_QUERY");
    }, 120_000);

    it("refuses a consent the operator minted, a key it tries to bind, and a membership probe it signs", async () => {
      const operatorKey = await partyKey();
      const pair = await generateKeyPair("ECDH-ES", { crv: "P-256", extractable: true });
      const jwk = await exportJWK(pair.publicKey);
      const envelopeKey = { kty: jwk.kty!, crv: jwk.crv!, x: jwk.x!, y: jwk.y! };
      const { calculateJwkThumbprint } = await import("jose");
      const statement: ConsentStatement = {
        type: "consent", requestId: randomUUID(), subjectRef: "QC-SUBJ-0001", buyerOrgId: id.operator!, envelopeKey: await calculateJwkThumbprint(envelopeKey, "sha256"),
        nodeId: social.nodeId, dataset: "contributions", fields: ["employer", "contribution_base"], purpose: "curiosity", expiresAt: Date.now() + 3_600_000, uses: 1, nonce: randomBytes(24).toString("base64url"),
      };
      const ledger = await headFor(social);
      const envelope = { type: "envelope", requestId: statement.requestId, nodeId: social.nodeId, consent: { statement, signature: await signStatement(operatorKey.privateKey, statement) }, buyerKey: envelopeKey, ...fresh(), ledger, supervision: [] };
      expect((await post(social, "/v1/envelope", envelope)).code).toBe("NOT_SIGNED_BY_PERSON");
      // Binding its own key to her reference needs the holder's activation code, which the operator never sees.
      const mac = await bindingMac("GUESSED-CODE", { nodeId: social.nodeId, subjectRef: "QC-SUBJ-0001", thumbprint: operatorKey.thumbprint });
      expect((await post(social, "/v1/subject/bind", { type: "bind-subject", nodeId: social.nodeId, subjectRef: "QC-SUBJ-0001", publicJwk: operatorKey.publicJwk, mac, ...fresh() })).code).toBe("BAD_ACTIVATION");
      // Which holders keep a record about her: only on her own signed request.
      const probe = { type: "subject-records", subjectRef: "QC-SUBJ-0001", nodeId: social.nodeId, issuedAt: Date.now(), nonce: randomBytes(24).toString("base64url") } as const;
      expect((await post(social, "/v1/subject-records", { type: "subject-records", nodeId: social.nodeId, request: { statement: probe, signature: await signStatement(operatorKey.privateKey, probe) }, ...fresh() })).code).toBe("NOT_SIGNED_BY_PERSON");
      const own = await post(social, "/v1/subject-records", { type: "subject-records", nodeId: social.nodeId, request: { statement: probe, signature: await signStatement(zhangKey.privateKey, probe) }, ...fresh() });
      expect(own.body.payload).toMatchObject({ datasets: ["contributions"] });
    });

    it("refuses a consent replayed after the marketplace's database was reset", async () => {
      const r = await requestConsent(db.prisma, { buyerOrgId: id.bank!, userId: id.bankUser!, subjectRef: "QC-SUBJ-0001", resourceId, fields: ["contribution_base"], purpose: "mortgage underwriting" });
      await approveSigned(db.prisma, { userId: id.zhang!, requestId: r.id, key: zhangKey });
      const first = await deliverEnvelope(db.prisma, { requestId: r.id, buyerOrgId: id.bank! });
      expect(verifyNodeSignature(first.signed, social.nodeId)).toBe(true);
      // The operator rewinds its own tables as if the use had never been spent.
      await db.prisma.consentRequest.update({ where: { id: r.id }, data: { status: "APPROVED", usesLeft: 1 } });
      expect(await reason(deliverEnvelope(db.prisma, { requestId: r.id, buyerOrgId: id.bank! }))).toBe("CONSENT_SPENT");
    });

    it("refuses a suspended buyer's query and envelope at the node, even when the operator relays them", async () => {
      const jobId = await buyerQuery();
      const s = await suspend(db.prisma, { supervisorOrgId: id.supervisor!, userId: id.supervisor!, kind: "BUYER", targetId: id.insurer!, reason: "Suspected re-identification attempts." });
      expect((await post(nodes[1]!, "/v1/aggregate", await aggregateFor(jobId, nodes[1]!))).code).toBe("SUSPENDED");
      await lift(db.prisma, { supervisorOrgId: id.supervisor!, userId: id.supervisor!, suspensionId: s.id, reason: "Investigation closed." });
      expect((await runToEnd(jobId)).status).toBe("SUCCEEDED");

      const r = await requestConsent(db.prisma, { buyerOrgId: id.bank!, userId: id.bankUser!, subjectRef: "QC-SUBJ-0001", resourceId, fields: ["employer"], purpose: "mortgage underwriting" });
      await approveSigned(db.prisma, { userId: id.zhang!, requestId: r.id, key: zhangKey });
      const bankSuspension = await suspend(db.prisma, { supervisorOrgId: id.supervisor!, userId: id.supervisor!, kind: "BUYER", targetId: id.bank!, reason: "Misuse of consented records." });
      expect(await reason(deliverEnvelope(db.prisma, { requestId: r.id, buyerOrgId: id.bank! }))).toBe("BUYER_SUSPENDED");
      expect(await reason(requestConsent(db.prisma, { buyerOrgId: id.bank!, userId: id.bankUser!, subjectRef: "QC-SUBJ-0001", resourceId, fields: ["employer"], purpose: "another" }))).toBe("BUYER_SUSPENDED");
      // An operator skipping its own check still meets the node's, on the supervisor's ledger entry.
      const spent = await db.prisma.consentRequest.findUniqueOrThrow({ where: { id: r.id } });
      const key = await db.prisma.envelopeKey.findFirstOrThrow({ where: { buyerOrgId: id.bank!, retiredAt: null } });
      const ledger = await headFor(social);
      const relay = {
        type: "envelope", requestId: r.id, nodeId: social.nodeId, consent: { statement: spent.statement, signature: spent.signature }, buyerKey: JSON.parse(key.publicJwk), ...fresh(), ledger,
        supervision: await supervisionProofs(db.prisma, [id.bank!], ledger.checkpoint.size),
      };
      expect((await post(social, "/v1/envelope", relay)).code).toBe("SUSPENDED");
      await lift(db.prisma, { supervisorOrgId: id.supervisor!, userId: id.supervisor!, suspensionId: bankSuspension.id, reason: "Cleared." });
    });

    it("keeps node traffic sealed to the node's registered key; a node set to 'sealed' refuses plain JSON", async () => {
      const w = await writeNodeConfig(nodeDir, { name: "sealed", datasets: { contributions: { kind: "csv", path: path.join(dir, "people.csv") } }, policies: { contributions: personNodePolicy() }, extra: { transport: "sealed" } });
      const n = await inProcessNode(w.config);
      try {
        const probe = { type: "subject-records", subjectRef: "QC-SUBJ-0001", nodeId: n.nodeId, issuedAt: Date.now(), nonce: randomBytes(24).toString("base64url") } as const;
        const payload = { type: "subject-records", nodeId: n.nodeId, request: { statement: probe, signature: await signStatement(zhangKey.privateKey, probe) }, ...fresh() };
        const plain = await post(n, "/v1/subject-records", payload);
        expect(plain.status).toBe(426);
        expect(plain.code).toBe("SEAL_REQUIRED");
        // Sealed (what the marketplace sends): the node answers (here: she linked no key at this node), sealed back.
        const sealed = await httpNodeCall(n.url, signPayload("market-request", { ...payload, ...fresh() }, marketSigningKey().privateKey), AbortSignal.timeout(5000), "/v1/subject-records", n.agreementKey);
        expect((sealed.json as { error: { code: string } }).error.code).toBe("NOT_SIGNED_BY_PERSON");
        // Sealed to another node's key: refused without being read.
        const wrong = await httpNodeCall(n.url, signPayload("market-request", { ...payload, ...fresh() }, marketSigningKey().privateKey), AbortSignal.timeout(5000), "/v1/subject-records", social.agreementKey);
        expect(wrong.status).toBe(400);
      } finally {
        await n.close();
      }
    });

    it("changes a node's policy only on the holder's own signature; the policy is published signed by the node", async () => {
      const a = nodes[0]!;
      const doc = await (await fetch(`${a.url}/v1/policy`)).json() as { payload: { policies: { claims: { version: number } } }; signature: string };
      expect(verifyNodeSignature(doc, a.nodeId)).toBe(true);
      const current = doc.payload.policies.claims;
      const open = { ...current, version: current.version + 1, dp: { required: false, maxEpsilonPerQuery: 10, epsilonPerBuyer: 1000, periodDays: 30 } };
      const statement = { type: "node-policy" as const, nodeId: a.nodeId, dataset: "claims", version: open.version, policy: open };
      const byOperator = await fetch(`${a.url}/v1/policy`, { method: "POST", body: JSON.stringify({ statement, signature: await signStatement((await partyKey()).privateKey, statement) }) });
      expect(((await byOperator.json()) as { error: { code: string } }).error.code).toBe("NOT_SIGNED_BY_HOLDER");
      const stale = { ...statement, version: current.version };
      const byHolderStale = await fetch(`${a.url}/v1/policy`, { method: "POST", body: JSON.stringify({ statement: stale, signature: await signStatement(holders[0]!.privateKey, stale) }) });
      expect(((await byHolderStale.json()) as { error: { code: string } }).error.code).toBe("STALE_POLICY");
    });
  });
}
