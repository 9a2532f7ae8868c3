/**
 * One-time consent on both databases: requests validated against the subject and the
 * resource, approval producing a signed token a node can check, replay, expiry, revocation,
 * wrong buyer and wrong purpose refused, and a concurrent double spend impossible.
 */
import { exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConsentRefusal, verifyConsent } from "@/computation/consent";
import { decideConsent, registerEnvelopeKey, requestConsent, revokeConsent, spendConsent } from "@/server/consent/consents";
import type { Database } from "@/server/db/client";
import { marketSigningKey } from "@/server/keys";
import { registerNode } from "@/server/nodes/nodes";
import { registerResource } from "@/server/resources/resources";
import { seedDemoWorld } from "@/server/seed/demo";
import { generateX25519 } from "@/computation/aggregate/masks";
import { generateEd25519 } from "@/computation/signing";
import { createPublicKey } from "node:crypto";
import { backends } from "../setup/databases";
import { lookups, reason } from "../setup/fixtures";

for (const backend of backends) {
  describe.skipIf(!backend.available)(`consent on ${backend.name}`, () => {
    let db: Database;
    const id: Record<string, string> = {};
    let resourceId = "";
    const marketPublic = () => createPublicKey(marketSigningKey().privateKey);

    beforeAll(async () => {
      db = await backend.open();
      await seedDemoWorld(db.prisma);
      const { org, user } = lookups(db);
      Object.assign(id, {
        bank: await org("quancheng-bank"), insurer: await org("mingshui-insurance"), social: await org("jinan-social-security"),
        bankUser: await user("bank@quancheng.example"), zhang: await user("zhang.wei@quancheng.example"), li: await user("li.na@quancheng.example"),
      });
      const node = await registerNode(db.prisma, { organisationId: id.social!, name: "social-node", url: "http://127.0.0.1:9", signingKey: generateEd25519().publicKey, agreementKey: generateX25519().publicKey });
      resourceId = (await registerResource(db.prisma, {
        holderOrgId: id.social!, name: "Social insurance contributions", domain: "social", updateCycle: "MONTHLY", sharing: "CONDITIONAL", nodeId: node.id, dataset: "contributions",
        fields: [{ name: "subject_ref", type: "string", sensitivity: "PERSONAL" }, { name: "monthly_base", type: "number", unit: "CNY", sensitivity: "PERSONAL" }, { name: "months_paid", type: "integer", sensitivity: "PERSONAL" }],
      })).id;
      const { publicKey } = await generateKeyPair("ECDH-ES", { crv: "P-256", extractable: true });
      const jwk = await exportJWK(publicKey);
      await registerEnvelopeKey(db.prisma, { buyerOrgId: id.bank!, publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } });
    });
    afterAll(async () => { await db?.close(); });

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

    it("signs a consent only the asked person can give, that a node can check, and that is spent exactly once", async () => {
      const r = await ask();
      expect(await reason(decideConsent(db.prisma, { userId: id.li!, requestId: r.id, decision: "approve" }))).toBe("REQUEST_NOT_FOUND");
      expect(await reason(spend(r.id))).toBe("AWAITING_CONSENT");
      await decideConsent(db.prisma, { userId: id.zhang!, requestId: r.id, decision: "approve" });
      expect(await reason(decideConsent(db.prisma, { userId: id.zhang!, requestId: r.id, decision: "approve" }))).toBe("ALREADY_DECIDED");
      expect(await reason(spend(r.id, id.insurer!))).toBe("REQUEST_NOT_FOUND");
      // Ten deliveries at once: exactly one gets the consent.
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => spend(r.id)));
      const won = results.filter((x) => x.status === "fulfilled");
      expect(won).toHaveLength(1);
      const { token } = (won[0] as PromiseFulfilledResult<{ token: string }>).value;
      expect(await reason(spend(r.id))).toBe("CONSENT_SPENT");
      // The node's checks.
      const claims = await verifyConsent(token, marketPublic(), { buyerOrgId: id.bank!, purpose: "mortgage underwriting", fields: ["monthly_base"] });
      expect(claims).toMatchObject({ sub: "QC-SUBJ-0001", aud: id.bank, dataset: "contributions", fields: ["monthly_base", "months_paid"] });
      await expect(verifyConsent(token, marketPublic(), { buyerOrgId: id.insurer!, purpose: "mortgage underwriting", fields: [] })).rejects.toMatchObject({ code: "WRONG_BUYER" });
      await expect(verifyConsent(token, marketPublic(), { buyerOrgId: id.bank!, purpose: "marketing", fields: [] })).rejects.toMatchObject({ code: "WRONG_PURPOSE" });
      await expect(verifyConsent(token, marketPublic(), { buyerOrgId: id.bank!, purpose: "mortgage underwriting", fields: ["home_address"] })).rejects.toMatchObject({ code: "FIELDS_NOT_COVERED" });
      await expect(verifyConsent(`${token.slice(0, -4)}AAAA`, marketPublic(), { buyerOrgId: id.bank!, purpose: "mortgage underwriting", fields: [] })).rejects.toBeInstanceOf(ConsentRefusal);
      await expect(verifyConsent(token, marketPublic(), { buyerOrgId: id.bank!, purpose: "mortgage underwriting", fields: [], now: new Date(Date.now() + 30 * 86_400_000) })).rejects.toMatchObject({ code: "CONSENT_EXPIRED" });
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
      expect(await zhang.subject.decideConsent({ requestId: r.id, decision: "approve" })).toEqual({ status: "APPROVED" });
      expect(await zhang.subject.revokeConsent({ requestId: r.id })).toEqual({ status: "REVOKED" });
      expect((await bank.buyer.envelopeKeys()).length).toBeGreaterThan(0);
      // A person whose identity is not verified sees an empty safe box, not an error.
      const { signUp } = await import("@/server/accounts/users");
      const newcomer = await signUp(db.prisma, { email: `new-${crypto.randomUUID()}@example.com`, name: "New Person", password: "a-long-password-1" });
      expect(await createCaller(await createContext({ db, userId: newcomer.user.id })).subject.safeBox()).toEqual({ subjectRef: null, records: [], requests: [], deliveries: [] });
    });

    it("lets the person withdraw before use, and expires", async () => {
      const r = await ask();
      await decideConsent(db.prisma, { userId: id.zhang!, requestId: r.id, decision: "approve" });
      await revokeConsent(db.prisma, { userId: id.zhang!, requestId: r.id });
      expect(await reason(spend(r.id))).toBe("CONSENT_REVOKED");
      expect(await reason(revokeConsent(db.prisma, { userId: id.zhang!, requestId: r.id }))).toBe("NOT_REVOCABLE");

      const late = await ask({ validDays: 1 });
      await decideConsent(db.prisma, { userId: id.zhang!, requestId: late.id, decision: "approve" });
      expect(await reason(spend(late.id, id.bank!, new Date(Date.now() + 2 * 86_400_000)))).toBe("CONSENT_EXPIRED");

      const refused = await ask();
      await decideConsent(db.prisma, { userId: id.zhang!, requestId: refused.id, decision: "refuse", reason: "I am not applying for a mortgage." });
      expect(await reason(spend(refused.id))).toBe("CONSENT_REFUSED");
    });
  });
}
