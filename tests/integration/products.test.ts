/** The product review state machine, including every illegal transition. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { generateX25519 } from "@/core/masks";
import { generateEd25519 } from "@/core/signing";
import type { Database } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { registerNode } from "@/server/nodes/nodes";
import { pauseProduct, resumeProduct, reviewProduct, setProductTerms, submitProduct } from "@/server/products/lifecycle";
import { createQueryProduct } from "@/server/queries/products";
import { seedDemoWorld } from "@/server/seed/demo";
import { claimsPolicy } from "@/server/seed/demo-queries";
import { backends } from "../setup/databases";

const reason = async (p: Promise<unknown> | (() => unknown)) => {
  const e = await (typeof p === "function" ? Promise.resolve().then(p) : p).then(() => null, (x: unknown) => x);
  if (e instanceof ZodError) return `ZOD: ${e.issues[0]?.message}`;
  expect(e).toBeInstanceOf(AppError);
  return (e as AppError).reason;
};

const terms = {
  pricing: { model: "PER_QUERY" as const, priceMinor: 50_000 },
  shares: { developerBps: 3000, operatorBps: 1000, holdersBps: 6000 },
  licence: "Results may be used for actuarial pricing only; no re-identification.",
  purposes: ["insurance pricing", "public health research"],
};

for (const backend of backends) {
  describe.skipIf(!backend.available)(`product review on ${backend.name}`, () => {
    let db: Database;
    let dev = "", other = "", devUser = "", operatorUser = "", nodeId = "";
    beforeAll(async () => {
      db = await backend.open();
      await seedDemoWorld(db.prisma);
      dev = (await db.prisma.organisation.findUniqueOrThrow({ where: { slug: "baotu-data-studio" } })).id;
      other = (await db.prisma.organisation.findUniqueOrThrow({ where: { slug: "daming-lake-analytics" } })).id;
      devUser = (await db.prisma.user.findUniqueOrThrow({ where: { email: "developer@quancheng.example" } })).id;
      operatorUser = (await db.prisma.user.findUniqueOrThrow({ where: { email: "operator@quancheng.example" } })).id;
      const hospital = await db.prisma.organisation.findUniqueOrThrow({ where: { slug: "jinan-central-hospital" } });
      nodeId = (await registerNode(db.prisma, { organisationId: hospital.id, name: "n", url: "http://127.0.0.1:9", signingKey: generateEd25519().publicKey, agreementKey: generateX25519().publicKey })).id;
    });
    afterAll(async () => { await db?.close(); });
    let n = 0;
    const draft = async () => (await createQueryProduct(db.prisma, { developerOrgId: dev, slug: `p-${++n}-${backend.name}`, name: `Product ${n}`, policy: claimsPolicy, sources: [{ nodeId, dataset: "claims" }] })).id;

    it("goes draft → submitted → rejected → submitted → listed → paused → listed, recording each step", async () => {
      const id = await draft();
      expect(await reason(submitProduct(db.prisma, { productId: id, developerOrgId: dev, actorId: devUser }))).toBe("TERMS_INCOMPLETE");
      await setProductTerms(db.prisma, { productId: id, developerOrgId: dev, ...terms });
      expect((await submitProduct(db.prisma, { productId: id, developerOrgId: dev, actorId: devUser })).status).toBe("SUBMITTED");
      expect(await reason(setProductTerms(db.prisma, { productId: id, developerOrgId: dev, ...terms }))).toBe("NOT_EDITABLE");
      expect(await reason(() => reviewProduct(db.prisma, { productId: id, actorId: operatorUser, decision: "reject" }))).toBe("REASON_REQUIRED");
      const rejected = await reviewProduct(db.prisma, { productId: id, actorId: operatorUser, decision: "reject", reason: "The licence must name a retention period." });
      expect(rejected).toMatchObject({ status: "REJECTED", reviewNote: "The licence must name a retention period." });
      await setProductTerms(db.prisma, { productId: id, developerOrgId: dev, ...terms, licence: `${terms.licence} Retention: 12 months.` });
      await submitProduct(db.prisma, { productId: id, developerOrgId: dev, actorId: devUser });
      expect((await reviewProduct(db.prisma, { productId: id, actorId: operatorUser, decision: "approve" })).status).toBe("LISTED");
      expect((await pauseProduct(db.prisma, { productId: id, actorId: devUser, developerOrgId: dev })).status).toBe("PAUSED");
      expect((await resumeProduct(db.prisma, { productId: id, actorId: devUser, developerOrgId: dev })).status).toBe("LISTED");
      const events = await db.prisma.productEvent.findMany({ where: { productId: id }, orderBy: { createdAt: "asc" } });
      expect(events.map((e) => `${e.fromState}→${e.toState}`)).toEqual(["DRAFT→SUBMITTED", "SUBMITTED→REJECTED", "REJECTED→SUBMITTED", "SUBMITTED→LISTED", "LISTED→PAUSED", "PAUSED→LISTED"]);
    });

    it("refuses every illegal transition", async () => {
      const id = await draft();
      const illegal = async (p: Promise<unknown>) => expect(await reason(p)).toBe("ILLEGAL_TRANSITION");
      await illegal(reviewProduct(db.prisma, { productId: id, actorId: operatorUser, decision: "approve" }));
      await illegal(pauseProduct(db.prisma, { productId: id, actorId: devUser, developerOrgId: dev }));
      await illegal(resumeProduct(db.prisma, { productId: id, actorId: devUser, developerOrgId: dev }));
      await setProductTerms(db.prisma, { productId: id, developerOrgId: dev, ...terms });
      await submitProduct(db.prisma, { productId: id, developerOrgId: dev, actorId: devUser });
      await illegal(submitProduct(db.prisma, { productId: id, developerOrgId: dev, actorId: devUser }));
      await illegal(pauseProduct(db.prisma, { productId: id, actorId: operatorUser, reason: "x" }));
      await reviewProduct(db.prisma, { productId: id, actorId: operatorUser, decision: "approve" });
      await illegal(reviewProduct(db.prisma, { productId: id, actorId: operatorUser, decision: "reject", reason: "too late now" }));
      await illegal(submitProduct(db.prisma, { productId: id, developerOrgId: dev, actorId: devUser }));
      await illegal(resumeProduct(db.prisma, { productId: id, actorId: devUser, developerOrgId: dev }));
    });

    it("lets only the owner act as developer, and one of two concurrent reviews win", async () => {
      const id = await draft();
      expect(await reason(setProductTerms(db.prisma, { productId: id, developerOrgId: other, ...terms }))).toBe("PRODUCT_NOT_FOUND");
      await setProductTerms(db.prisma, { productId: id, developerOrgId: dev, ...terms });
      expect(await reason(submitProduct(db.prisma, { productId: id, developerOrgId: other, actorId: devUser }))).toBe("PRODUCT_NOT_FOUND");
      await submitProduct(db.prisma, { productId: id, developerOrgId: dev, actorId: devUser });
      const both = await Promise.allSettled([
        reviewProduct(db.prisma, { productId: id, actorId: operatorUser, decision: "approve" }),
        reviewProduct(db.prisma, { productId: id, actorId: operatorUser, decision: "reject", reason: "conflicting review" }),
      ]);
      expect(both.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      expect(await db.prisma.productEvent.count({ where: { productId: id, fromState: "SUBMITTED" } })).toBe(1);
    });

    it("refuses prices in fractions and shares that do not add up, writing nothing", async () => {
      const id = await draft();
      expect(await reason(setProductTerms(db.prisma, { productId: id, developerOrgId: dev, ...terms, pricing: { model: "PER_QUERY", priceMinor: 499.5 } }))).toMatch(/^ZOD: Prices are whole numbers of minor units/);
      expect(await reason(setProductTerms(db.prisma, { productId: id, developerOrgId: dev, ...terms, shares: { developerBps: 3000, operatorBps: 1000, holdersBps: 5000 } }))).toMatch(/^ZOD: Revenue shares must add up to exactly 100%/);
      expect((await db.prisma.dataProduct.findUniqueOrThrow({ where: { id } })).pricing).toBeNull();
    });
  });
}
