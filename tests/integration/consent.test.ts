/**
 * One-time consent on both databases: requests validated against the subject and the
 * resource, approval only as the person's own signature (by a key linked at the holder's node,
 * here served in-process from a real config) over exactly what was asked, replay, expiry,
 * revocation, and a concurrent double spend impossible.
 */
import { exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { personNodePolicy } from "@/computation/demo/holder";
import { consentDraft, decideConsent, registerEnvelopeKey, requestConsent, revokeConsent, spendConsent } from "@/server/consent/consents";
import { signStatement, verifyStatement } from "@/core/statements";
import { approveSigned, inProcessNode, linkPerson, partyKey, writeNodeConfig, type PartyKey } from "../setup/parties";
import type { Database } from "@/server/db/client";
import { registerNode } from "@/server/nodes/nodes";
import { registerResource } from "@/server/resources/resources";
import { seedDemoWorld } from "@/server/seed/demo";
import { backends } from "../setup/databases";
import { lookups, reason } from "../setup/fixtures";

for (const backend of backends) {
  describe.skipIf(!backend.available)(`consent on ${backend.name}`, () => {
    let db: Database;
    const id: Record<string, string> = {};
    let resourceId = "";
    const dir = mkdtempSync(path.join(tmpdir(), "consent-"));
    let node: Awaited<ReturnType<typeof inProcessNode>>;
    let zhangKey: PartyKey;

    beforeAll(async () => {
      process.env.DATA_DIR = dir;
      db = await backend.open();
      await seedDemoWorld(db.prisma);
      const { org, user } = lookups(db);
      Object.assign(id, {
        bank: await org("quancheng-bank"), insurer: await org("mingshui-insurance"), social: await org("jinan-social-security"),
        bankUser: await user("bank@quancheng.example"), zhang: await user("zhang.wei@quancheng.example"), li: await user("li.na@quancheng.example"),
      });
      writeFileSync(path.join(dir, "people.csv"), "subject_ref,monthly_base,months_paid\nQC-SUBJ-0001,18200,96\n");
      const { config } = await writeNodeConfig(dir, { name: "social", datasets: { contributions: { kind: "csv", path: "people.csv" } }, policies: { contributions: personNodePolicy() } });
      node = await inProcessNode(config);
      const registered = await registerNode(db.prisma, { organisationId: id.social!, name: "social-node", url: node.url, signingKey: node.nodeId, agreementKey: node.agreementKey });
      resourceId = (await registerResource(db.prisma, {
        holderOrgId: id.social!, name: "Social insurance contributions", domain: "social", updateCycle: "MONTHLY", sharing: "CONDITIONAL", nodeId: registered.id, dataset: "contributions",
        fields: [{ name: "subject_ref", type: "string", sensitivity: "PERSONAL" }, { name: "monthly_base", type: "number", unit: "CNY", sensitivity: "PERSONAL" }, { name: "months_paid", type: "integer", sensitivity: "PERSONAL" }],
      })).id;
      const { publicKey } = await generateKeyPair("ECDH-ES", { crv: "P-256", extractable: true });
      const jwk = await exportJWK(publicKey);
      await registerEnvelopeKey(db.prisma, { buyerOrgId: id.bank!, publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } });
      zhangKey = await linkPerson(db.prisma, { userId: id.zhang!, nodeId: registered.id, nodeKey: node.nodeId, keysDir: node.keysDir, subjectRef: "QC-SUBJ-0001" });
    });
    afterAll(async () => { await node?.close(); await db?.close(); rmSync(dir, { recursive: true, force: true }); });
    const approve = (requestId: string) => approveSigned(db.prisma, { userId: id.zhang!, requestId, key: zhangKey });

    const ask = (over: Partial<Parameters<typeof requestConsent>[1]> = {}) => requestConsent(db.prisma, {
      buyerOrgId: id.bank!, userId: id.bankUser!, subjectRef: "QC-SUBJ-0001", resourceId, fields: ["monthly_base", "months_paid"], purpose: "mortgage underwriting", ...over,
    });
    const spend = (requestId: string, buyerOrgId = id.bank!, now?: Date) => db.prisma.$transaction((tx) => spendConsent(tx, { requestId, buyerOrgId, now }));

    it("refuses unknown subjects, fields not in the resource, and buyers without an envelope key", async () => {
      expect(await reason(ask({ subjectRef: "QC-SUBJ-9999" }))).toBe("UNKNOWN_SUBJECT");
      expect(await reason(ask({ fields: ["monthly_base", "diagnosis"] }))).toBe("FIELD_NOT_IN_RESOURCE");
      expect(await reason(ask({ subjectRef: "张伟" }))).toMatch(/^ZOD: A subject is named by its opaque identifier/);
      expect(await reason(ask({ buyerOrgId: id.insurer! }))).toBe("NO_ENVELOPE_KEY");
      await expect(registerEnvelopeKey(db.prisma, { buyerOrgId: id.insurer!, publicJwk: { kty: "EC", crv: "P-256", x: "A".repeat(43), y: "A".repeat(43) } })).rejects.toMatchObject({ reason: "BAD_ENVELOPE_KEY" });
    });

    it("takes a consent only as the asked person's own signature over what was asked, and spends it exactly once", async () => {
      const r = await ask();
      expect(await reason(decideConsent(db.prisma, { userId: id.li!, requestId: r.id, decision: "approve" }))).toBe("REQUEST_NOT_FOUND");
      expect(await reason(spend(r.id))).toBe("AWAITING_CONSENT");
      const { draft } = await consentDraft(db.prisma, { userId: id.zhang!, requestId: r.id });
      const statement = { ...draft, nonce: randomBytes(32).toString("base64url") };
      // Unsigned, signed by a key not linked at the holder, or signed over something else: refused.
      expect(await reason(decideConsent(db.prisma, { userId: id.zhang!, requestId: r.id, decision: "approve" }))).toBe("CONSENT_NOT_SIGNED");
      const stranger = await partyKey();
      expect(await reason(decideConsent(db.prisma, { userId: id.zhang!, requestId: r.id, decision: "approve", statement, signature: await signStatement(stranger.privateKey, statement) }))).toBe("KEY_NOT_LINKED");
      const wider = { ...statement, fields: [...statement.fields, "home_address"] };
      expect(await reason(decideConsent(db.prisma, { userId: id.zhang!, requestId: r.id, decision: "approve", statement: wider, signature: await signStatement(zhangKey.privateKey, wider) }))).toBe("CONSENT_MISMATCH");
      await decideConsent(db.prisma, { userId: id.zhang!, requestId: r.id, decision: "approve", statement, signature: await signStatement(zhangKey.privateKey, statement) });
      expect(await reason(approve(r.id))).toBe("ALREADY_DECIDED");
      expect(await reason(spend(r.id, id.insurer!))).toBe("REQUEST_NOT_FOUND");
      // Ten deliveries at once: exactly one gets the consent.
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => spend(r.id)));
      const won = results.filter((x) => x.status === "fulfilled");
      expect(won).toHaveLength(1);
      const spent = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof spend>>>).value;
      expect(await reason(spend(r.id))).toBe("CONSENT_SPENT");
      // What is relayed to the node is the person's statement and signature, verifiable with her key alone.
      expect(spent.statement).toMatchObject({ subjectRef: "QC-SUBJ-0001", buyerOrgId: id.bank, dataset: "contributions", fields: ["monthly_base", "months_paid"], purpose: "mortgage underwriting" });
      expect(spent.nullifier).toBe(spent.statement.nonce);
      expect(await verifyStatement(zhangKey.publicJwk, spent.statement, spent.signature)).toBe(true);
      expect(await verifyStatement(zhangKey.publicJwk, { ...spent.statement, purpose: "marketing" }, spent.signature)).toBe(false);
      const ledger = await db.prisma.ledgerQueue.findMany({ where: { objectId: r.id } });
      expect(ledger.map((l) => l.type)).toContain("consent.granted");
      expect(ledger.some((l) => l.body.includes("QC-SUBJ-0001"))).toBe(false); // no identity on the ledger
    });

    it("works through the API: the bank asks, the person sees it in the safe box and decides", async () => {
      const { createCaller } = await import("@/server/api/root");
      const { createContext } = await import("@/server/api/trpc");
      const bank = createCaller(await createContext({ db, userId: id.bankUser! }));
      const zhang = createCaller(await createContext({ db, userId: id.zhang! }));
      const li = createCaller(await createContext({ db, userId: id.li! }));
      const r = await bank.buyer.requestConsent({ subjectRef: "QC-SUBJ-0001", resourceId, fields: ["months_paid"], purpose: "mortgage underwriting" });
      expect((await bank.buyer.consentRequests()).find((x) => x.id === r.id)?.status).toBe("PENDING");
      const box = await zhang.subject.safeBox();
      expect(box.requests.find((x) => x.id === r.id)).toMatchObject({ buyer: "Quancheng Commercial Bank", resource: "Social insurance contributions", fields: ["months_paid"] });
      expect((await li.subject.safeBox()).requests.some((x) => x.id === r.id)).toBe(false);
      await expect(li.subject.decideConsent({ requestId: r.id, decision: "approve" })).rejects.toMatchObject({ code: "NOT_FOUND" });
      await expect(li.subject.consentDraft({ requestId: r.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
      const { draft } = await zhang.subject.consentDraft({ requestId: r.id });
      const statement = { ...draft, nonce: randomBytes(32).toString("base64url") };
      expect(await zhang.subject.decideConsent({ requestId: r.id, decision: "approve", statement, signature: await signStatement(zhangKey.privateKey, statement as never) })).toEqual({ status: "APPROVED" });
      expect((await zhang.subject.nodes()).find((n) => n.nodeKey === node.nodeId)?.keys).toEqual([zhangKey.thumbprint]);
      expect(await zhang.subject.revokeConsent({ requestId: r.id })).toEqual({ status: "REVOKED" });
      expect((await bank.buyer.envelopeKeys()).length).toBeGreaterThan(0);
      // A person whose identity is not verified sees an empty safe box, not an error.
      const { signUp } = await import("@/server/accounts/users");
      const newcomer = await signUp(db.prisma, { email: `new-${crypto.randomUUID()}@example.com`, name: "New Person", password: "a-long-password-1" });
      expect(await createCaller(await createContext({ db, userId: newcomer.user.id })).subject.safeBox()).toEqual({ subjectRef: null, requests: [], deliveries: [] });
    });

    it("lets the person withdraw before use, and expires", async () => {
      const r = await ask();
      await approve(r.id);
      await revokeConsent(db.prisma, { userId: id.zhang!, requestId: r.id });
      expect(await reason(spend(r.id))).toBe("CONSENT_REVOKED");
      expect(await reason(revokeConsent(db.prisma, { userId: id.zhang!, requestId: r.id }))).toBe("NOT_REVOCABLE");

      const late = await ask({ validDays: 1 });
      await approve(late.id);
      expect(await reason(spend(late.id, id.bank!, new Date(Date.now() + 2 * 86_400_000)))).toBe("CONSENT_EXPIRED");

      const refused = await ask();
      await decideConsent(db.prisma, { userId: id.zhang!, requestId: refused.id, decision: "refuse", reason: "I am not applying for a mortgage." });
      expect(await reason(spend(refused.id))).toBe("CONSENT_REFUSED");
    });
  });
}
