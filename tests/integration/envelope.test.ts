/**
 * A consented delivery end to end with a real computation node process: the person links their
 * own key at the node with the holder's activation code and signs the consent; the node checks
 * that signature, reads one record in its own domain, seals it to the buyer's key and signs the
 * envelope; the marketplace relays it and keeps only hashes. Double delivery, tampering fail.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNode, type RunningNode } from "@/computation/demo/nodes";
import { registerEnvelopeKey, requestConsent } from "@/server/consent/consents";
import { personNodePolicy } from "@/computation/demo/holder";
import { verifyNodeSignature } from "@/core/node-signature";
import { signStatement } from "@/core/statements";
import { approveSigned, linkPerson, partyKey, writeNodeConfig, type PartyKey } from "../setup/parties";
import { deliverEnvelope } from "@/server/consent/delivery";
import type { Database } from "@/server/db/client";
import { marketSigningKey } from "@/server/keys";
import { integrateAll } from "@/server/ledger/log";
import { registerNode } from "@/server/nodes/nodes";
import { registerResource } from "@/server/resources/resources";
import { lift, suspend } from "@/server/ledger/supervision";
import { seedDemoWorld } from "@/server/seed/demo";
import { openEnvelope } from "@/core/envelope";
import { backends } from "../setup/databases";
import { lookups, reason } from "../setup/fixtures";

// Shared by both backends: the marketplace's keys (in DATA_DIR) and the holder's file. Each backend gets its own database and node.
const dir = mkdtempSync(path.join(tmpdir(), "envelope-"));
beforeAll(() => {
  process.env.DATA_DIR = dir;
  writeFileSync(path.join(dir, "people.csv"), "subject_ref,monthly_base,months_paid,home_address\nQC-SUBJ-0001,18200,96,Lixia District 1\nQC-SUBJ-0002,9600,12,Shizhong District 2\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

for (const backend of backends) {
  describe.skipIf(!backend.available)(`digital envelopes through a holder's node on ${backend.name}`, () => {
    let db: Database;
    let node: RunningNode;
    const id: Record<string, string> = {};
    let resourceId = "";
    let bankKey: CryptoKey;
    let keysDir = "";
    let nodeRowId = "";
    let zhangKey: PartyKey;
    const recordsRequest = async (key: PartyKey, subjectRef: string) => {
      const statement = { type: "subject-records" as const, subjectRef, nodeId: node.nodeId, issuedAt: Date.now(), nonce: randomBytes(24).toString("base64url") };
      return { nodeId: nodeRowId, statement, signature: await signStatement(key.privateKey, statement) };
    };

    beforeAll(async () => {
      db = await backend.open();
      await seedDemoWorld(db.prisma);
      // Its own node (a node witnesses one marketplace's ledger and keeps its own bindings and spent consents) over the shared file.
      const written = await writeNodeConfig(path.join(dir, backend.name), { name: "social", datasets: { contributions: { kind: "csv", path: path.join(dir, "people.csv") } }, policies: { contributions: personNodePolicy() } });
      keysDir = written.keysDir;
      node = await startNode(written.config, { name: "social" } as never);
      const { org, user } = lookups(db);
      Object.assign(id, { bank: await org("quancheng-bank"), social: await org("jinan-social-security"), bankUser: await user("bank@quancheng.example"), zhang: await user("zhang.wei@quancheng.example"), li: await user("li.na@quancheng.example") });
      const registered = await registerNode(db.prisma, { organisationId: id.social!, name: "social", url: node.url, signingKey: node.nodeId, agreementKey: node.agreementKey });
      nodeRowId = registered.id;
      resourceId = (await registerResource(db.prisma, {
        holderOrgId: id.social!, name: "Social insurance contributions", domain: "social", updateCycle: "MONTHLY", sharing: "CONDITIONAL", nodeId: registered.id, dataset: "contributions",
        fields: [{ name: "subject_ref", type: "string", sensitivity: "PERSONAL" }, { name: "monthly_base", type: "number", sensitivity: "PERSONAL" },
          { name: "months_paid", type: "integer", sensitivity: "PERSONAL" }, { name: "home_address", type: "string", sensitivity: "PERSONAL" }],
      })).id;
      const pair = await generateKeyPair("ECDH-ES", { crv: "P-256", extractable: true });
      bankKey = pair.privateKey as CryptoKey;
      const jwk = await exportJWK(pair.publicKey);
      await registerEnvelopeKey(db.prisma, { buyerOrgId: id.bank!, publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } });
      // Zhang Wei links her own key at the holder's node with the code the holder gave her.
      zhangKey = await linkPerson(db.prisma, { userId: id.zhang!, nodeId: nodeRowId, nodeKey: node.nodeId, keysDir, subjectRef: "QC-SUBJ-0001" });
    }, 60_000);
    afterAll(async () => { node?.process.kill(); await db?.close(); });

    const approved = async (subject = "QC-SUBJ-0001", userId = id.zhang!, key = zhangKey) => {
      const r = await requestConsent(db.prisma, { buyerOrgId: id.bank!, userId: id.bankUser!, subjectRef: subject, resourceId, fields: ["monthly_base", "months_paid"], purpose: "mortgage underwriting" });
      await approveSigned(db.prisma, { userId, requestId: r.id, key });
      return r.id;
    };

    it("seals exactly the consented fields to the bank, once; the marketplace keeps only hashes", async () => {
      const requestId = await approved();
      const [a, b] = await Promise.allSettled([deliverEnvelope(db.prisma, { requestId, buyerOrgId: id.bank! }), deliverEnvelope(db.prisma, { requestId, buyerOrgId: id.bank! })]);
      const won = [a, b].filter((x) => x.status === "fulfilled") as PromiseFulfilledResult<Awaited<ReturnType<typeof deliverEnvelope>>>[];
      expect(won).toHaveLength(1);
      // The buyer checks the node's signature over the envelope before opening it.
      expect(verifyNodeSignature(won[0]!.value.signed, node.nodeId)).toBe(true);
      expect(verifyNodeSignature({ ...won[0]!.value.signed, payload: { ...won[0]!.value.signed.payload, envelopeHash: "0".repeat(64) } }, node.nodeId)).toBe(false);
      const opened = await openEnvelope(won[0]!.value.envelope, bankKey) as { subject: string; fields: Record<string, unknown> };
      expect(opened).toMatchObject({ subject: "QC-SUBJ-0001", fields: { monthly_base: 18200, months_paid: 96 } });
      expect(opened.fields).not.toHaveProperty("home_address");
      expect(await reason(deliverEnvelope(db.prisma, { requestId, buyerOrgId: id.bank! }))).toBe("CONSENT_SPENT");
      // Nothing of the record in the marketplace's tables, the ledger included.
      await integrateAll(db.prisma);
      const dump = JSON.stringify(await Promise.all([
        db.prisma.consentRequest.findMany(), db.prisma.envelopeDelivery.findMany(), db.prisma.ledgerLeaf.findMany({ select: { body: true } }),
      ]), (_k, v) => (typeof v === "bigint" ? v.toString() : v));
      for (const secret of ["18200", "Lixia District", "home_address"]) expect(dump).not.toContain(secret);
      const types = (await db.prisma.ledgerLeaf.findMany({ where: { objectId: requestId }, orderBy: { index: "asc" } })).map((l) => l.type);
      expect(types).toEqual(["consent.granted", "consent.spent", "envelope.delivered"]);
    });

    it("asks the holder's node which records it keeps about a person (names only), only on the person's signed request", async () => {
      const { subjectRecords } = await import("@/server/consent/delivery");
      expect(await subjectRecords(db.prisma, { userId: id.zhang!, requests: [await recordsRequest(zhangKey, "QC-SUBJ-0001")] }))
        .toEqual([{ resourceId, resource: "Social insurance contributions", holder: "Jinan Social Insurance Center", available: true }]);
      // A key the node never bound (the operator's, say) gets no answer: the node is shown as unavailable.
      expect(await subjectRecords(db.prisma, { userId: id.zhang!, requests: [await recordsRequest(await partyKey(), "QC-SUBJ-0001")] }))
        .toEqual([{ resourceId, resource: "Social insurance contributions", holder: "Jinan Social Insurance Center", available: false }]);
      // Nobody asks about another person: the statement must name the signed-in person.
      expect(await reason(subjectRecords(db.prisma, { userId: id.zhang!, requests: [await recordsRequest(zhangKey, "QC-SUBJ-0002")] }))).toBe("BAD_STATEMENT");
    });

    it("gives the use back when the holder has no record of the person, and the node refuses tampered consents", async () => {
      // A person this holder keeps no record about (Li Na under an identifier the file lacks).
      await db.prisma.subjectIdentity.update({ where: { userId: id.li! }, data: { subjectRef: "QC-SUBJ-0099" } });
      const liKey = await linkPerson(db.prisma, { userId: id.li!, nodeId: nodeRowId, nodeKey: node.nodeId, keysDir, subjectRef: "QC-SUBJ-0099" });
      const requestId = await approved("QC-SUBJ-0099", id.li!, liKey);
      expect(await reason(deliverEnvelope(db.prisma, { requestId, buyerOrgId: id.bank! }))).toBe("SUBJECT_NOT_FOUND");
      expect((await db.prisma.consentRequest.findUniqueOrThrow({ where: { id: requestId } })).usesLeft).toBe(1);
      // A consent whose purpose the relay altered no longer carries the person's signature.
      const other = await approved();
      const call = async (url: string, body: unknown, signal: AbortSignal, p?: string) => {
        const signed = body as { payload: { consent: { statement: Record<string, unknown>; signature: string } } };
        const { signPayload } = await import("@/core/signing");
        const consent = { ...signed.payload.consent, statement: { ...signed.payload.consent.statement, purpose: "marketing" } };
        const tampered = signPayload("market-request", { ...signed.payload, consent }, marketSigningKey().privateKey);
        const res = await fetch(`${url}${p}`, { method: "POST", body: JSON.stringify(tampered), signal });
        return { status: res.status, json: await res.json() };
      };
      expect(await reason(deliverEnvelope(db.prisma, { requestId: other, buyerOrgId: id.bank!, call: call as never }))).toBe("NOT_SIGNED_BY_PERSON");
      expect((await db.prisma.consentRequest.findUniqueOrThrow({ where: { id: other } })).status).toBe("APPROVED");
    });

    it("refuses a registration over a dataset the node does not serve", async () => {
      const nodeRow = await db.prisma.computationNode.findUniqueOrThrow({ where: { id: nodeRowId } });
      expect(await reason(registerResource(db.prisma, {
        holderOrgId: id.social!, name: "Typo", domain: "social", updateCycle: "MONTHLY", sharing: "CONDITIONAL", nodeId: nodeRow.id, dataset: "contribution",
        fields: [{ name: "subject_ref", type: "string", sensitivity: "PERSONAL" }],
      }))).toBe("UNKNOWN_DATASET");
      expect(await db.prisma.dataResource.count({ where: { name: "Typo" } })).toBe(0);
    });

    it("a person cannot grant a suspended buyer anything, and the buyer cannot fetch what was granted before", async () => {
      const before = await approved();
      const pending = await requestConsent(db.prisma, { buyerOrgId: id.bank!, userId: id.bankUser!, subjectRef: "QC-SUBJ-0001", resourceId, fields: ["months_paid"], purpose: "limit review" });
      const supervisor = await lookups(db).org("jinan-data-supervision");
      const s = await suspend(db.prisma, { supervisorOrgId: supervisor, userId: id.bankUser!, kind: "BUYER", targetId: id.bank!, reason: "Consent requests outside their purposes." });
      try {
        expect(await reason(approveSigned(db.prisma, { userId: id.zhang!, requestId: pending.id, key: zhangKey }))).toBe("REQUESTER_SUSPENDED");
        expect((await db.prisma.consentRequest.findUniqueOrThrow({ where: { id: pending.id } })).status).toBe("PENDING");
        expect(await reason(deliverEnvelope(db.prisma, { requestId: before, buyerOrgId: id.bank! }))).toBe("BUYER_SUSPENDED");
        expect(await reason(requestConsent(db.prisma, { buyerOrgId: id.bank!, userId: id.bankUser!, subjectRef: "QC-SUBJ-0001", resourceId, fields: ["months_paid"], purpose: "again" }))).toBe("BUYER_SUSPENDED");
      } finally {
        await lift(db.prisma, { supervisorOrgId: supervisor, userId: id.bankUser!, suspensionId: s.id, reason: "Cleared." });
      }
    });
  });
}
