/**
 * Demands (supply-demand docking): a buyer posts what it needs; the market ranks matching
 * catalog entries (text, fields, domain) and notifies their owners; holders and developers
 * answer with offers. The first offer confirms the demand; the first offer of a listed
 * product publishes the service. Overdue items are flagged against the seed's deadlines.
 */
import { z } from "zod";
import type { PrismaClient } from "../db/generated/client";
import { searchCatalog } from "../catalog/catalog";
import { readThrough } from "../db/client";
import { recordEvent, textHash } from "../ledger/events";
import { AppError } from "../errors";
import { demandDeadlines } from "./working-days";

const MAX_MATCHES = 10;

export const demandInput = z.object({
  title: z.string().trim().min(4).max(200),
  description: z.string().trim().min(10, { error: "Describe the need (10 characters or more)." }).max(4000),
  fields: z.array(z.string().trim().min(1).max(63)).max(50).default([]),
  purpose: z.string().trim().min(2).max(200),
  budgetMinor: z.number({ error: "The budget is a whole number of minor units (fen)." }).int({ error: "The budget is a whole number of minor units (fen), never a fraction." }).positive().optional(),
  deadline: z.coerce.date().max(new Date("9999-12-31T23:59:59.999Z"), { error: "A date before the year 10000." }),
});

export const offerInput = z.object({
  demandId: z.uuid(),
  message: z.string().trim().min(5).max(4000),
  productId: z.uuid().optional(),
  resourceId: z.uuid().optional(),
  priceMinor: z.number().int({ error: "Prices are whole minor units." }).positive().optional(),
});

export async function postDemand(db: PrismaClient, o: { buyerOrgId: string; userId: string; now?: Date } & z.input<typeof demandInput>) {
  const input = demandInput.parse(o);
  const now = o.now ?? new Date();
  if (input.deadline <= now) throw new AppError("BAD_INPUT", "DEADLINE_PASSED", "The deadline must be in the future.");
  // Rank by the words of the need, then by its fields; keep the best distinct entries.
  const hits = new Map<string, { kind: "RESOURCE" | "PRODUCT"; refId: string; ownerOrgId: string; rank: number }>();
  for (const q of [`${input.title} ${input.description}`, input.title, input.fields.join(" ").replace(/_/g, " ")].filter((x) => x.trim())) {
    for (const h of (await searchCatalog(readThrough(db), { q, match: "any", pageSize: MAX_MATCHES })).items) {
      const key = `${h.kind}:${h.refId}`;
      if (!hits.has(key) || hits.get(key)!.rank < h.rank) hits.set(key, { kind: h.kind, refId: h.refId, ownerOrgId: h.ownerOrgId, rank: h.rank });
    }
  }
  const matches = [...hits.values()].sort((a, b) => b.rank - a.rank).slice(0, MAX_MATCHES);
  return db.$transaction(async (tx) => {
    const demand = await tx.demand.create({
      data: { buyerOrgId: o.buyerOrgId, createdById: o.userId, title: input.title, description: input.description, fields: input.fields,
        purpose: input.purpose, budgetMinor: input.budgetMinor === undefined ? null : BigInt(input.budgetMinor), deadline: input.deadline, createdAt: now,
        matches: { create: matches } },
    });
    await recordEvent(tx, { type: "demand.posted", actorOrgId: o.buyerOrgId, objectId: demand.id, data: { matches: matches.length, deadline: input.deadline.toISOString(), textHash: textHash(`${input.title}\n${input.description}`) } });
    const owners = [...new Set(matches.map((m) => m.ownerOrgId))].filter((id) => id !== o.buyerOrgId);
    if (owners.length) {
      await tx.notification.createMany({ data: owners.map((orgId) => ({ orgId, kind: "DEMAND_MATCHED", subjectId: demand.id, message: `A buyer needs: ${input.title}` })) });
    }
    return { id: demand.id, matches: matches.length, notified: owners.length, ...demandDeadlines(now) };
  });
}

export async function respondToDemand(db: PrismaClient, o: { fromOrgId: string; userId: string; now?: Date } & z.input<typeof offerInput>) {
  const input = offerInput.parse(o);
  const now = o.now ?? new Date();
  return db.$transaction(async (tx) => {
    const demand = await tx.demand.findUnique({ where: { id: input.demandId } });
    if (!demand) throw new AppError("NOT_FOUND", "DEMAND_NOT_FOUND", "No such demand.");
    if (demand.status !== "OPEN" || demand.deadline <= now) throw new AppError("CONFLICT", "DEMAND_CLOSED", "This demand no longer takes offers.");
    if (demand.buyerOrgId === o.fromOrgId) throw new AppError("BAD_INPUT", "OWN_DEMAND", "You cannot answer your own demand.");
    let listedProduct = false;
    if (input.productId) {
      const p = await tx.dataProduct.findUnique({ where: { id: input.productId } });
      if (!p || p.developerOrgId !== o.fromOrgId) throw new AppError("NOT_FOUND", "PRODUCT_NOT_FOUND", "Offer one of your own products.");
      listedProduct = p.status === "LISTED";
    }
    if (input.resourceId) {
      const r = await tx.dataResource.findUnique({ where: { id: input.resourceId } });
      if (!r || r.holderOrgId !== o.fromOrgId) throw new AppError("NOT_FOUND", "RESOURCE_NOT_FOUND", "Offer one of your own resources.");
    }
    const offer = await tx.offer.create({
      data: { demandId: demand.id, fromOrgId: o.fromOrgId, createdById: o.userId, productId: input.productId, resourceId: input.resourceId,
        message: input.message, priceMinor: input.priceMinor === undefined ? null : BigInt(input.priceMinor), createdAt: now },
    }).catch((e: { code?: string; cause?: { code?: string } }) => {
      if (e.code === "P2002" || e.cause?.code === "23505") throw new AppError("CONFLICT", "ALREADY_OFFERED", "Your organisation already answered this demand.");
      throw e;
    });
    await recordEvent(tx, {
      type: "demand.answered", actorOrgId: o.fromOrgId, objectId: demand.id,
      refs: { offerId: offer.id, ...(input.productId ? { productId: input.productId } : {}), ...(input.resourceId ? { resourceId: input.resourceId } : {}) },
      data: { textHash: textHash(input.message) },
    });
    await tx.demand.updateMany({ where: { id: demand.id, confirmedAt: null }, data: { confirmedAt: now } });
    if (listedProduct) await tx.demand.updateMany({ where: { id: demand.id, publishedAt: null }, data: { publishedAt: now } });
    await tx.notification.create({ data: { orgId: demand.buyerOrgId, kind: "OFFER_RECEIVED", subjectId: demand.id, message: `New offer on: ${demand.title}` } });
    return { id: offer.id };
  });
}

/** Open demands past a deadline: not confirmed within 5 working days, or not published within 10. */
export async function overdueDemands(db: PrismaClient, now = new Date()) {
  const open = await db.demand.findMany({ where: { status: "OPEN", OR: [{ confirmedAt: null }, { publishedAt: null }] }, orderBy: { createdAt: "asc" } });
  return open.flatMap((d) => {
    const { confirmBy, publishBy } = demandDeadlines(d.createdAt);
    const flags = [
      ...(d.confirmedAt === null && confirmBy <= now ? ["NOT_CONFIRMED" as const] : []),
      ...(d.publishedAt === null && publishBy <= now ? ["NOT_PUBLISHED" as const] : []),
    ];
    return flags.length ? [{ id: d.id, title: d.title, buyerOrgId: d.buyerOrgId, createdAt: d.createdAt, confirmBy, publishBy, flags }] : [];
  });
}

export const closeInput = z.object({ demandId: z.uuid(), note: z.string().trim().max(2000).optional() });

/** The buyer closes its own open demand; everyone who answered is told. Closing twice is a conflict. */
export async function closeDemand(db: PrismaClient, o: { buyerOrgId: string; now?: Date } & z.input<typeof closeInput>) {
  const input = closeInput.parse(o);
  const now = o.now ?? new Date();
  return db.$transaction(async (tx) => {
    const closed = await tx.demand.updateMany({
      where: { id: input.demandId, buyerOrgId: o.buyerOrgId, status: "OPEN" },
      data: { status: "CLOSED", closedAt: now, closeNote: input.note || null },
    });
    const demand = await tx.demand.findUnique({ where: { id: input.demandId }, include: { offers: { select: { fromOrgId: true } } } });
    if (!demand || demand.buyerOrgId !== o.buyerOrgId) throw new AppError("NOT_FOUND", "DEMAND_NOT_FOUND", "No such demand among yours.");
    if (closed.count !== 1) throw new AppError("CONFLICT", "DEMAND_CLOSED", "This demand is already closed.");
    await recordEvent(tx, { type: "demand.closed", actorOrgId: o.buyerOrgId, objectId: demand.id, data: input.note ? { noteHash: textHash(input.note) } : undefined });
    const answered = [...new Set(demand.offers.map((x) => x.fromOrgId))];
    if (answered.length) {
      await tx.notification.createMany({ data: answered.map((orgId) => ({ orgId, kind: "DEMAND_CLOSED", subjectId: demand.id, message: `Closed: ${demand.title}${input.note ? ` (${input.note})` : ""}` })) });
    }
    return { id: demand.id, status: demand.status, closedAt: now };
  });
}

/** A buyer's own demands, newest first. */
export function listDemands(db: PrismaClient, o: { buyerOrgId: string }) {
  return db.demand.findMany({ where: { buyerOrgId: o.buyerOrgId }, orderBy: { createdAt: "desc" }, take: 50 });
}

/** Open demands matched to what this organisation offers. */
export function listMatchedDemands(db: PrismaClient, o: { ownerOrgId: string }) {
  return db.demand.findMany({ where: { status: "OPEN", matches: { some: { ownerOrgId: o.ownerOrgId } } }, orderBy: { createdAt: "desc" }, take: 50 });
}

/** An organisation's notifications (demands, offers, approvals), the latest 50, newest first. */
export function listNotifications(db: PrismaClient, o: { orgId: string }) {
  return db.notification.findMany({ where: { orgId: o.orgId }, orderBy: { createdAt: "desc" }, take: 50 });
}
