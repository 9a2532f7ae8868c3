import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import type { Database } from "@/server/db/client";
import { closeDemand, overdueDemands, postDemand, respondToDemand } from "@/server/demands/demands";
import { AppError } from "@/server/errors";
import { registerResource } from "@/server/resources/resources";
import { seedDemoWorld } from "@/server/seed/demo";
import { backends } from "../setup/databases";
import { lookups } from "../setup/fixtures";

const reason = async (p: Promise<unknown>) => {
  const e = await p.then(() => null, (x: unknown) => x);
  if (e instanceof ZodError) return `ZOD: ${e.issues[0]?.message}`;
  expect(e).toBeInstanceOf(AppError);
  return (e as AppError).reason;
};

for (const backend of backends) {
  describe.skipIf(!backend.available)(`demands on ${backend.name}`, () => {
    let db: Database;
    let bank = "", bankUser = "", housing = "", housingUser = "", tax = "";
    beforeAll(async () => {
      db = await backend.open();
      await seedDemoWorld(db.prisma);
      const { org, user } = lookups(db);
      [bank, bankUser, housing, housingUser, tax] = await Promise.all([org("quancheng-bank"), user("bank@quancheng.example"), org("jinan-housing-fund"), user("housing@quancheng.example"), org("jinan-tax")]);
      await registerResource(db.prisma, { holderOrgId: housing, name: "Housing provident fund deposits", nameZh: "住房公积金缴存记录", domain: "housing", updateCycle: "MONTHLY", sharing: "CONDITIONAL",
        description: "Monthly deposits per account holder.", fields: [{ name: "deposit", type: "number", unit: "CNY", sensitivity: "PERSONAL" }] });
      await registerResource(db.prisma, { holderOrgId: tax, name: "Enterprise tax returns", nameZh: "企业纳税申报", domain: "tax", updateCycle: "MONTHLY", sharing: "CONDITIONAL",
        description: "Revenue and tax paid by enterprises.", fields: [{ name: "tax_paid", type: "number", unit: "CNY", sensitivity: "SENSITIVE" }] });
    });
    afterAll(async () => { await db?.close(); });

    it("ranks matching catalog entries, notifies their owners, and flags deadlines", async () => {
      const monday = new Date("2026-11-23T02:00:00Z");
      const d = await postDemand(db.prisma, { buyerOrgId: bank, userId: bankUser, now: monday, title: "公积金缴存 for loan checks", description: "Need housing provident fund deposit history to assess mortgage applicants.", fields: ["deposit"], purpose: "mortgage underwriting", budgetMinor: 500_000, deadline: new Date("2027-01-31") });
      expect(d.matches).toBeGreaterThanOrEqual(1);
      const matches = await db.prisma.demandMatch.findMany({ where: { demandId: d.id }, orderBy: { rank: "desc" } });
      expect(matches[0]!.ownerOrgId).toBe(housing);
      expect(await db.prisma.notification.count({ where: { orgId: housing, kind: "DEMAND_MATCHED", subjectId: d.id } })).toBe(1);
      expect(d.confirmBy.toISOString()).toBe("2026-11-30T02:00:00.000Z");

      // Six working days later nobody has answered: overdue for confirmation, not yet for publication.
      const later = await overdueDemands(db.prisma, new Date("2026-12-01T03:00:00Z"));
      expect(later.find((x) => x.id === d.id)?.flags).toEqual(["NOT_CONFIRMED"]);
      await respondToDemand(db.prisma, { demandId: d.id, fromOrgId: housing, userId: housingUser, message: "We can provide this with each applicant's consent.", now: new Date("2026-11-24T02:00:00Z") });
      expect((await overdueDemands(db.prisma, new Date("2026-12-01T03:00:00Z"))).find((x) => x.id === d.id)).toBeUndefined();
      expect((await overdueDemands(db.prisma, new Date("2026-12-08T03:00:00Z"))).find((x) => x.id === d.id)?.flags).toEqual(["NOT_PUBLISHED"]);
      expect(await reason(respondToDemand(db.prisma, { demandId: d.id, fromOrgId: housing, userId: housingUser, message: "again, twice" }))).toBe("ALREADY_OFFERED");
      expect(await reason(respondToDemand(db.prisma, { demandId: d.id, fromOrgId: bank, userId: bankUser, message: "answering myself" }))).toBe("OWN_DEMAND");
    });

    it("closes only the buyer's own open demand, once, telling those who answered", async () => {
      const d = await postDemand(db.prisma, { buyerOrgId: bank, userId: bankUser, title: "Enterprise tax for credit", description: "Enterprise tax returns to score SME credit lines.", purpose: "credit", deadline: new Date(Date.now() + 30 * 86_400_000) });
      await respondToDemand(db.prisma, { demandId: d.id, fromOrgId: tax, userId: housingUser, message: "Our tax returns resource fits." });
      expect(await reason(closeDemand(db.prisma, { demandId: d.id, buyerOrgId: housing }))).toBe("DEMAND_NOT_FOUND");
      expect((await db.prisma.demand.findUniqueOrThrow({ where: { id: d.id } })).status).toBe("OPEN");
      const closed = await closeDemand(db.prisma, { demandId: d.id, buyerOrgId: bank, note: "found a supplier" });
      expect(closed.status).toBe("CLOSED");
      expect(await db.prisma.notification.count({ where: { orgId: tax, kind: "DEMAND_CLOSED", subjectId: d.id } })).toBe(1);
      expect(await reason(closeDemand(db.prisma, { demandId: d.id, buyerOrgId: bank }))).toBe("DEMAND_CLOSED");
      expect(await db.prisma.notification.count({ where: { orgId: tax, kind: "DEMAND_CLOSED", subjectId: d.id } })).toBe(1);
      expect(await reason(respondToDemand(db.prisma, { demandId: d.id, fromOrgId: housing, userId: housingUser, message: "late answer here" }))).toBe("DEMAND_CLOSED");
      // A closed demand is never overdue.
      expect((await overdueDemands(db.prisma, new Date(Date.now() + 60 * 86_400_000))).find((x) => x.id === d.id)).toBeUndefined();
    });

    it("refuses bad demands clearly", async () => {
      const base = { buyerOrgId: bank, userId: bankUser, title: "Tax data", description: "Enterprise tax for SME credit scoring.", purpose: "credit", deadline: new Date(Date.now() + 86_400_000) };
      expect(await reason(postDemand(db.prisma, { ...base, budgetMinor: 99.5 }))).toMatch(/^ZOD: The budget is a whole number of minor units/);
      expect(await reason(postDemand(db.prisma, { ...base, deadline: new Date(Date.now() - 1000) }))).toBe("DEADLINE_PASSED");
      expect(await reason(postDemand(db.prisma, { ...base, description: "short" }))).toMatch(/^ZOD: Describe the need/);
    });
  });
}
