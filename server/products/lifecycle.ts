/**
 * A product's review lifecycle. Developers edit drafts (and rejected products) and submit;
 * the market operator approves or rejects with a reason; listed products can be paused
 * (by their developer, or by the operator with a reason) and resumed. Every change is a
 * ProductEvent; every transition is a conditional UPDATE, so two concurrent reviews cannot
 * both win.
 *
 *   DRAFT ─submit→ SUBMITTED ─approve→ LISTED ─pause→ PAUSED ─resume→ LISTED
 *                   SUBMITTED ─reject→ REJECTED ─submit→ SUBMITTED
 */
import type { z } from "zod";
import { upsertCatalogEntry } from "../catalog/catalog";
import type { Prisma, PrismaClient } from "../db/generated/client";
import { recordEvent, textHash } from "../ledger/events";
import { canonicalJson } from "@/core/canonical-json";
import { AppError } from "../errors";
import { termsSchema } from "./schemas";
import { assertFloor } from "../queries/floor";
import { queryPolicy } from "../queries/policy";

type Status = "DRAFT" | "SUBMITTED" | "REJECTED" | "LISTED" | "PAUSED";
type ProductRow = Awaited<ReturnType<PrismaClient["dataProduct"]["findUniqueOrThrow"]>>;
type Action = "submit" | "approve" | "reject" | "pause" | "resume";

const transitions: Record<Action, { from: Status[]; to: Status }> = {
  submit: { from: ["DRAFT", "REJECTED"], to: "SUBMITTED" },
  approve: { from: ["SUBMITTED"], to: "LISTED" },
  reject: { from: ["SUBMITTED"], to: "REJECTED" },
  pause: { from: ["LISTED"], to: "PAUSED" },
  resume: { from: ["PAUSED"], to: "LISTED" },
};

const ledgerTypes = { submit: "product.submitted", approve: "product.approved", reject: "product.rejected", pause: "product.paused", resume: "product.resumed" } as const;

async function move(db: PrismaClient, o: { productId: string; action: Action; actorId: string; actorOrgId?: string; reason?: string; guard?: (p: ProductRow) => void; data?: Prisma.DataProductUpdateManyMutationInput }) {
  const t = transitions[o.action];
  return db.$transaction(async (tx) => {
    const p = await tx.dataProduct.findUnique({ where: { id: o.productId } });
    if (!p) throw new AppError("NOT_FOUND", "PRODUCT_NOT_FOUND", "No such product.");
    o.guard?.(p);
    if (!t.from.includes(p.status)) {
      throw new AppError("CONFLICT", "ILLEGAL_TRANSITION", `A ${p.status.toLowerCase()} product cannot be ${o.action === "submit" ? "submitted" : `${o.action}d`}.`);
    }
    // Nothing below the privacy floor is submitted, listed or resumed (server/queries/floor.ts).
    if (t.to === "SUBMITTED" || t.to === "LISTED") {
      const policy = queryPolicy.safeParse(p.policy);
      if (!policy.success) throw new AppError("BAD_INPUT", "BAD_POLICY", "The product's query policy is not valid.");
      await assertFloor(tx, policy.data, await tx.productSource.findMany({ where: { productId: p.id }, select: { nodeId: true, dataset: true } }));
    }
    const moved = await tx.dataProduct.updateMany({ where: { id: p.id, status: p.status }, data: { status: t.to, ...o.data } });
    if (moved.count !== 1) throw new AppError("CONFLICT", "PRODUCT_CHANGED", "The product changed meanwhile: reload and try again.");
    await tx.productEvent.create({ data: { productId: p.id, fromState: p.status, toState: t.to, actorId: o.actorId, reason: o.reason } });
    await recordEvent(tx, {
      type: ledgerTypes[o.action], actorOrgId: o.actorOrgId ?? null, objectId: p.id, refs: { developerOrgId: p.developerOrgId },
      data: {
        from: p.status, to: t.to, ...(o.reason ? { reasonHash: textHash(o.reason) } : {}),
        termsHash: textHash(canonicalJson({ policy: p.policy, pricing: p.pricing, shares: p.shares, licence: p.licence, purposes: p.purposes })),
      },
    });
    // Listed products are in the catalog; paused ones drop out of it until resumed.
    if (t.to === "LISTED" || t.to === "PAUSED") {
      const policy = p.policy as { dimensions?: { column: string }[]; measures?: { column: string }[] };
      // A product is filed under the domain of the data it reads (the holders' resources).
      const sources = await tx.productSource.findMany({ where: { productId: p.id }, select: { nodeId: true, dataset: true } });
      const domains = sources.length ? await tx.dataResource.findMany({ where: { OR: sources }, select: { domain: true } }) : [];
      await upsertCatalogEntry(tx, {
        kind: "PRODUCT", refId: p.id, ownerOrgId: p.developerOrgId, title: p.name, titleZh: p.nameZh, summary: p.description,
        keywords: [...(policy.dimensions ?? []), ...(policy.measures ?? [])].map((c) => c.column.replace(/_/g, " ")).concat(p.purposes).join(" "),
        domain: domains[0]?.domain ?? "product", priceMinor: BigInt((p.pricing as { priceMinor?: number } | null)?.priceMinor ?? 0), active: t.to === "LISTED",
      });
    }
    return tx.dataProduct.findUniqueOrThrow({ where: { id: p.id }, select: { id: true, status: true, reviewNote: true } });
  });
}

const ownedBy = (orgId: string) => (p: { developerOrgId: string }) => {
  if (p.developerOrgId !== orgId) throw new AppError("NOT_FOUND", "PRODUCT_NOT_FOUND", "No such product of your organisation.");
};

/** Set the commercial terms (drafts and rejected products only). */
export async function setProductTerms(db: PrismaClient, o: { productId: string; developerOrgId: string } & z.input<typeof termsSchema>) {
  const terms = termsSchema.parse(o);
  const p = await db.dataProduct.findUnique({ where: { id: o.productId } });
  if (!p || p.developerOrgId !== o.developerOrgId) throw new AppError("NOT_FOUND", "PRODUCT_NOT_FOUND", "No such product of your organisation.");
  const edited = await db.dataProduct.updateMany({
    where: { id: p.id, status: { in: ["DRAFT", "REJECTED"] } },
    data: { pricing: terms.pricing, shares: terms.shares, licence: terms.licence, purposes: terms.purposes },
  });
  if (edited.count !== 1) throw new AppError("CONFLICT", "NOT_EDITABLE", "Only drafts and rejected products can be edited: pause and copy a listed one instead.");
  return { id: p.id };
}

/** Submit for review: the terms must be complete (pricing, shares, licence, purposes). */
export function submitProduct(db: PrismaClient, o: { productId: string; developerOrgId: string; actorId: string }) {
  return move(db, { ...o, actorOrgId: o.developerOrgId, action: "submit", data: { reviewNote: null }, guard: (p) => {
    ownedBy(o.developerOrgId)(p);
    if (!termsSchema.safeParse({ pricing: p.pricing, shares: p.shares, licence: p.licence, purposes: p.purposes }).success) {
      throw new AppError("BAD_INPUT", "TERMS_INCOMPLETE", "Set the pricing, revenue shares, licence and allowed purposes before submitting.");
    }
  } });
}

export function reviewProduct(db: PrismaClient, o: { productId: string; actorId: string; actorOrgId?: string; decision: "approve" | "reject"; reason?: string }) {
  if (o.decision === "reject" && !(o.reason && o.reason.trim().length >= 5)) {
    throw new AppError("BAD_INPUT", "REASON_REQUIRED", "A rejection needs a reason (5 characters or more): the developer sees it.");
  }
  return move(db, { productId: o.productId, action: o.decision, actorId: o.actorId, actorOrgId: o.actorOrgId, reason: o.reason, data: { reviewNote: o.decision === "reject" ? o.reason : null } });
}

/** The developer pauses its own product; the operator may pause any, with a reason. */
export function pauseProduct(db: PrismaClient, o: { productId: string; actorId: string; actorOrgId?: string; developerOrgId?: string; reason?: string }) {
  return move(db, { ...o, actorOrgId: o.actorOrgId ?? o.developerOrgId, action: "pause", guard: o.developerOrgId ? ownedBy(o.developerOrgId) : undefined, data: { reviewNote: o.reason ?? null } });
}

export function resumeProduct(db: PrismaClient, o: { productId: string; actorId: string; developerOrgId?: string }) {
  return move(db, { ...o, actorOrgId: o.developerOrgId, action: "resume", guard: o.developerOrgId ? ownedBy(o.developerOrgId) : undefined, data: { reviewNote: null } });
}

const productSelect = { id: true, slug: true, name: true, nameZh: true, status: true, reviewNote: true, createdAt: true } as const;

/** A developer's own products, newest first. */
export function listDeveloperProducts(db: PrismaClient, o: { developerOrgId: string }) {
  return db.dataProduct.findMany({ where: { developerOrgId: o.developerOrgId }, orderBy: { createdAt: "desc" }, select: productSelect });
}

/** Products on sale, for the operator. */
export function listProductsOnSale(db: PrismaClient) {
  return db.dataProduct.findMany({ where: { status: "LISTED" }, orderBy: { createdAt: "desc" }, take: 200, select: productSelect });
}
