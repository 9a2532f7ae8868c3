import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import type { Database } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { registerNode } from "@/server/nodes/nodes";
import { listResources, reclassifyResource, registerResource, retireResource, updateResource } from "@/server/resources/resources";
import type { ResourceInput } from "@/server/resources/schemas";
import { seedDemoWorld } from "@/server/seed/demo";
import { generateEd25519 } from "@/core/signing";
import { generateX25519 } from "@/core/masks";
import { backends } from "../setup/databases";

const claims: ResourceInput = {
  name: "Outpatient claims", nameZh: "门诊费用记录", domain: "health", updateCycle: "DAILY", sharing: "CONDITIONAL",
  description: "One row per outpatient claim.",
  fields: [
    { name: "district", type: "string", sensitivity: "INTERNAL" },
    { name: "age", type: "integer", unit: "years", sensitivity: "SENSITIVE" },
    { name: "claim_amount", type: "number", unit: "CNY", sensitivity: "SENSITIVE" },
  ],
};

const reason = async (p: Promise<unknown>) => {
  const e = await p.then(() => null, (x: unknown) => x);
  if (e instanceof ZodError) return "ZOD";
  expect(e).toBeInstanceOf(AppError);
  return (e as AppError).reason;
};

for (const backend of backends) {
  describe.skipIf(!backend.available)(`resource registration on ${backend.name}`, () => {
    let db: Database;
    let hospital = "", tax = "", user = "";
    beforeAll(async () => {
      db = await backend.open();
      await seedDemoWorld(db.prisma);
      hospital = (await db.prisma.organisation.findUniqueOrThrow({ where: { slug: "jinan-central-hospital" } })).id;
      tax = (await db.prisma.organisation.findUniqueOrThrow({ where: { slug: "jinan-tax" } })).id;
      user = (await db.prisma.user.findUniqueOrThrow({ where: { email: "central-hospital@quancheng.example" } })).id;
    });
    afterAll(async () => { await db?.close(); });

    it("registers a resource and issues a certificate", async () => {
      const r = await registerResource(db.prisma, { holderOrgId: hospital, ...claims });
      expect(r.certificateNo).toMatch(/^QCR-\d{4}-[0-9A-F]{8}$/);
      expect(r.version).toBe(1);
      expect(r.status).toBe("ACTIVE");
    });

    it("refuses bad registrations clearly and writes nothing", async () => {
      const before = await db.prisma.dataResource.count();
      expect(await reason(registerResource(db.prisma, { holderOrgId: hospital, ...claims }))).toBe("RESOURCE_NAME_TAKEN");
      expect(await reason(registerResource(db.prisma, { holderOrgId: hospital, ...claims, name: "Dup fields", fields: [claims.fields[0]!, claims.fields[0]!] }))).toBe("ZOD");
      expect(await reason(registerResource(db.prisma, { holderOrgId: hospital, ...claims, name: "Bad field", fields: [{ name: "1st", type: "string", sensitivity: "PUBLIC" }] }))).toBe("ZOD");
      expect(await reason(registerResource(db.prisma, { holderOrgId: hospital, ...claims, name: "No fields", fields: [] }))).toBe("ZOD");
      // A node of another holder cannot serve your resource.
      const k = generateEd25519(), x = generateX25519();
      const taxNode = await registerNode(db.prisma, { organisationId: tax, name: "tax-node", url: "http://127.0.0.1:1", signingKey: k.publicKey, agreementKey: x.publicKey });
      expect(await reason(registerResource(db.prisma, { holderOrgId: hospital, ...claims, name: "Other node", nodeId: taxNode.id, dataset: "claims" }))).toBe("NODE_NOT_YOURS");
      expect(await db.prisma.dataResource.count()).toBe(before);
    });

    it("keeps every version on update, and refuses a concurrent update of the version it saw", async () => {
      const r = await registerResource(db.prisma, { holderOrgId: hospital, ...claims, name: "Inpatient claims" });
      const v2 = await updateResource(db.prisma, { holderOrgId: hospital, userId: user, resourceId: r.id, ...claims, name: "Inpatient claims", updateCycle: "WEEKLY" });
      expect(v2.version).toBe(2);
      expect(v2.certificateNo).toBe(r.certificateNo);
      const snap = await db.prisma.resourceVersion.findUniqueOrThrow({ where: { resourceId_version: { resourceId: r.id, version: 1 } } });
      expect((snap.snapshot as { updateCycle: string }).updateCycle).toBe("DAILY");
      const results = await Promise.allSettled([1, 2].map(() => updateResource(db.prisma, { holderOrgId: hospital, userId: user, resourceId: r.id, expectedVersion: 2, ...claims, name: "Inpatient claims", updateCycle: "MONTHLY" })));
      expect(results.filter((x) => x.status === "fulfilled")).toHaveLength(1);
      expect(((results.find((x) => x.status === "rejected") as PromiseRejectedResult).reason as AppError).reason).toBe("RESOURCE_CHANGED");
      expect((await db.prisma.dataResource.findUniqueOrThrow({ where: { id: r.id } })).version).toBe(3);
      expect(await reason(updateResource(db.prisma, { holderOrgId: tax, userId: user, resourceId: r.id, ...claims }))).toBe("RESOURCE_NOT_FOUND");
    });

    it("retires for good: no update, no second retirement, no reclassification after", async () => {
      const r = await registerResource(db.prisma, { holderOrgId: hospital, ...claims, name: "Old records" });
      await retireResource(db.prisma, { holderOrgId: hospital, resourceId: r.id });
      expect(await reason(retireResource(db.prisma, { holderOrgId: hospital, resourceId: r.id }))).toBe("RESOURCE_RETIRED");
      expect(await reason(updateResource(db.prisma, { holderOrgId: hospital, userId: user, resourceId: r.id, ...claims, name: "Old records" }))).toBe("RESOURCE_RETIRED");
      expect(await reason(reclassifyResource(db.prisma, { holderOrgId: hospital, userId: user, resourceId: r.id, to: "UNCONDITIONAL", reason: "epidemic response", endsAt: new Date(Date.now() + 86_400_000) }))).toBe("RESOURCE_RETIRED");
    });

    it("reclassifies temporarily in an emergency, with a reason and an end", async () => {
      const r = await registerResource(db.prisma, { holderOrgId: hospital, ...claims, name: "Fever clinic visits" });
      const now = new Date();
      const in7 = new Date(now.getTime() + 7 * 86_400_000);
      expect(await reason(reclassifyResource(db.prisma, { holderOrgId: hospital, userId: user, resourceId: r.id, to: "UNCONDITIONAL", reason: "short", endsAt: in7 }))).toBe("ZOD");
      expect(await reason(reclassifyResource(db.prisma, { holderOrgId: hospital, userId: user, resourceId: r.id, to: "UNCONDITIONAL", reason: "epidemic response order", endsAt: new Date(now.getTime() - 1000) }))).toBe("END_IN_PAST");
      expect(await reason(reclassifyResource(db.prisma, { holderOrgId: hospital, userId: user, resourceId: r.id, to: "UNCONDITIONAL", reason: "epidemic response order", endsAt: new Date(now.getTime() + 120 * 86_400_000) }))).toBe("TOO_LONG");
      expect(await reason(reclassifyResource(db.prisma, { holderOrgId: hospital, userId: user, resourceId: r.id, to: "CONDITIONAL", reason: "epidemic response order", endsAt: in7 }))).toBe("SAME_CLASS");
      await reclassifyResource(db.prisma, { holderOrgId: hospital, userId: user, resourceId: r.id, to: "UNCONDITIONAL", reason: "epidemic response order No. 12", endsAt: in7, now });
      const during = (await listResources(db.prisma, hospital, new Date(now.getTime() + 1000))).find((x) => x.id === r.id)!;
      expect(during.effectiveSharing).toBe("UNCONDITIONAL");
      expect(during.sharing).toBe("CONDITIONAL"); // the registration itself is untouched
      const after = (await listResources(db.prisma, hospital, new Date(in7.getTime() + 1000))).find((x) => x.id === r.id)!;
      expect(after.effectiveSharing).toBe("CONDITIONAL");
    });
  });
}
