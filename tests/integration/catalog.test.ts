/** Catalog search on a fixed corpus, Chinese and English, on both backends. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { searchCatalog, upsertCatalogEntry } from "@/server/catalog/catalog";
import { hanBigrams } from "@/server/catalog/tokens";
import { readThrough, type Database } from "@/server/db/client";
import { registerResource, retireResource } from "@/server/resources/resources";
import type { ResourceInput } from "@/server/resources/schemas";
import { seedDemoWorld } from "@/server/seed/demo";
import { backends } from "../setup/databases";

const f = (name: string, unit?: string) => ({ name, type: "number" as const, unit, sensitivity: "SENSITIVE" as const });
const corpus: (ResourceInput & { holder: string })[] = [
  { holder: "jinan-central-hospital", name: "Outpatient claims", nameZh: "门诊医疗费用记录", domain: "health", updateCycle: "DAILY", sharing: "CONDITIONAL", description: "Claim amounts of outpatient visits by district and age.", fields: [f("claim_amount", "CNY"), f("age")] },
  { holder: "jinan-second-hospital", name: "Inpatient stays", nameZh: "住院记录", domain: "health", updateCycle: "DAILY", sharing: "CONDITIONAL", description: "Length of stay and costs of hospital admissions.", fields: [f("stay_days", "days"), f("cost", "CNY")] },
  { holder: "jinan-tax", name: "Enterprise tax returns", nameZh: "企业纳税申报", domain: "tax", updateCycle: "MONTHLY", sharing: "CONDITIONAL", description: "Revenue and tax paid by registered enterprises.", fields: [f("revenue", "CNY"), f("tax_paid", "CNY")] },
  { holder: "jinan-social-security", name: "Pension contributions", nameZh: "养老保险缴费记录", domain: "social-security", updateCycle: "MONTHLY", sharing: "NOT_SHARED", description: "Monthly contributions per insured person.", fields: [f("contribution", "CNY")] },
  { holder: "jinan-housing-fund", name: "Housing provident fund deposits", nameZh: "住房公积金缴存记录", domain: "housing", updateCycle: "MONTHLY", sharing: "UNCONDITIONAL", description: "Deposits into housing provident fund accounts.", fields: [f("deposit", "CNY")] },
];

for (const backend of backends) {
  describe.skipIf(!backend.available)(`catalog search on ${backend.name}`, () => {
    let db: Database;
    const ids: Record<string, string> = {};
    beforeAll(async () => {
      db = await backend.open();
      await seedDemoWorld(db.prisma);
      for (const { holder, ...r } of corpus) {
        const org = await db.prisma.organisation.findUniqueOrThrow({ where: { slug: holder } });
        ids[r.name] = (await registerResource(db.prisma, { holderOrgId: org.id, ...r })).id;
      }
    });
    afterAll(async () => { await db?.close(); });
    const titles = async (q: string, extra = {}) => (await searchCatalog(db.read, { q, ...extra })).items.map((i) => i.title);

    it("finds English words through stemming, title matches first", async () => {
      expect(await titles("claim")).toEqual(["Outpatient claims"]);
      expect((await titles("hospital costs"))[0]).toBe("Inpatient stays");
      expect(await titles("tax")).toEqual(["Enterprise tax returns"]);
    });

    it("finds Chinese by character bigrams, in titles and descriptions", async () => {
      expect(await titles("医疗费用")).toEqual(["Outpatient claims"]);
      expect(await titles("公积金")).toEqual(["Housing provident fund deposits"]);
      expect((await titles("缴费")).sort()).toEqual(["Pension contributions"]);
      expect(await titles("记录")).toHaveLength(4);
      expect(await titles("卫星")).toEqual([]);
    });

    it("filters, sorts and paginates", async () => {
      expect((await titles("", { domain: "health" })).sort()).toEqual(["Inpatient stays", "Outpatient claims"]);
      expect(await titles("", { sharing: "UNCONDITIONAL" })).toEqual(["Housing provident fund deposits"]);
      expect((await titles("", { updateCycle: "MONTHLY" })).length).toBe(3);
      expect(await titles("", { sort: "newest", pageSize: 1 })).toEqual(["Housing provident fund deposits"]);
      const p2 = await searchCatalog(db.read, { q: "", sort: "newest", page: 2, pageSize: 2 });
      expect(p2.items.map((i) => i.title)).toEqual(["Enterprise tax returns", "Inpatient stays"]);
      expect(p2.total).toBe(5);
      // A page past the last still says how many there are; a search that finds nothing says 0.
      const past = await searchCatalog(db.read, { q: "", page: 4, pageSize: 2 });
      expect([past.items, past.total, past.more]).toEqual([[], 5, false]);
      const none = await searchCatalog(db.read, { q: "卫星" });
      expect([none.items, none.total, none.more]).toEqual([[], 0, false]);
    });

    it("reads the same hits, typed alike, on the driver directly as through Prisma", async () => {
      for (const q of [{ q: "" }, { q: "记录 claims", match: "any" as const }, { q: "", kind: "PRODUCT" as const, priceMinMinor: 1n }, { q: "", priceMaxMinor: 2n ** 62n, sort: "used" as const }]) {
        const direct = await searchCatalog(db.read, q);
        expect(direct).toEqual(await searchCatalog(readThrough(db.prisma), q));
        for (const hit of direct.items) {
          expect(hit.createdAt).toBeInstanceOf(Date);
          expect(hit.priceMinor === null || typeof hit.priceMinor === "bigint").toBe(true);
          expect([typeof hit.usedCount, typeof hit.rank]).toEqual(["number", "number"]);
        }
      }
      // An int8 price beyond 2^53 survives the driver whole, and filters as a bigint.
      const owner = await db.prisma.organisation.findUniqueOrThrow({ where: { slug: "jinan-tax" } });
      const price = 2n ** 62n + 7n;
      await upsertCatalogEntry(db.prisma, { kind: "PRODUCT", refId: "7b0e6f1c-2a9e-4d1b-8c3e-9f0012345678", ownerOrgId: owner.id, title: "Priced zebra product", summary: "A test entry.", keywords: "", domain: "tax", priceMinor: price, active: true });
      const priced = await searchCatalog(db.read, { q: "zebra", priceMinMinor: price });
      expect(priced.items.map((h) => h.priceMinor)).toEqual([price]);
      expect(await searchCatalog(readThrough(db.prisma), { q: "zebra", priceMinMinor: price })).toEqual(priced);
      expect((await searchCatalog(db.read, { q: "zebra", priceMinMinor: price + 1n })).items).toEqual([]);
    });

    it("drops retired resources from the catalog", async () => {
      const org = await db.prisma.organisation.findUniqueOrThrow({ where: { slug: "jinan-second-hospital" } });
      await retireResource(db.prisma, { holderOrgId: org.id, resourceId: ids["Inpatient stays"]! });
      expect(await titles("hospital costs")).not.toContain("Inpatient stays");
    });
  });
}

describe("Chinese tokens", () => {
  it("makes overlapping bigrams of each run of Han characters", () => {
    expect(hanBigrams("医疗费用 统计 A区")).toEqual(["医疗", "疗费", "费用", "统计", "区"]);
  });
});
