/**
 * Supervision: suspending a buyer or a product (with a reason, on the ledger), effective at
 * once: new queries and orders are refused and queued queries fail without being run; the
 * live feed of ledger events; and statistics read from the ledger itself, so what the
 * supervisor counts is what anyone can verify.
 */
import { z } from "zod";
import type { PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";
import { eventTypes, recordEvent, textHash } from "./events";

type Db = PrismaClient | Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

export const suspendInput = z.object({
  kind: z.enum(["BUYER", "PRODUCT"]),
  targetId: z.uuid(),
  reason: z.string().trim().min(10, { error: "Give the reason (10 characters or more): it is kept and its hash goes on the ledger." }).max(2000),
});

export const liftInput = z.object({ suspensionId: z.uuid(), reason: z.string().trim().min(5).max(2000) });

/** The suspension in force on an organisation or product now, if any (what its banner shows). */
export async function activeSuspension(db: Db, targetId: string) {
  return db.suspension.findFirst({ where: { targetId, liftedAt: null }, orderBy: { createdAt: "desc" }, select: { id: true, kind: true, reason: true, createdAt: true } });
}

/** Throws FORBIDDEN when the buyer or the product is suspended now. */
export async function assertNotSuspended(db: Db, o: { buyerOrgId: string; productId?: string }) {
  const s = await db.suspension.findFirst({ where: { targetId: { in: o.productId ? [o.buyerOrgId, o.productId] : [o.buyerOrgId] }, liftedAt: null }, orderBy: { createdAt: "desc" } });
  if (!s) return;
  throw s.kind === "BUYER"
    ? new AppError("FORBIDDEN", "BUYER_SUSPENDED", `Your organisation is suspended by the supervisor: ${s.reason}`)
    : new AppError("FORBIDDEN", "PRODUCT_SUSPENDED", `This product is suspended by the supervisor: ${s.reason}`);
}

export async function suspend(db: PrismaClient, o: { supervisorOrgId: string; userId: string } & z.input<typeof suspendInput>) {
  const input = suspendInput.parse(o);
  const exists = input.kind === "BUYER"
    ? await db.organisation.count({ where: { id: input.targetId } })
    : await db.dataProduct.count({ where: { id: input.targetId } });
  if (!exists) throw new AppError("NOT_FOUND", "UNKNOWN_TARGET", input.kind === "BUYER" ? "No such organisation." : "No such product.");
  return db.$transaction(async (tx) => {
    const active = await tx.suspension.findFirst({ where: { targetId: input.targetId, liftedAt: null } });
    if (active) throw new AppError("CONFLICT", "ALREADY_SUSPENDED", "This is already suspended.");
    const s = await tx.suspension.create({ data: { kind: input.kind, targetId: input.targetId, reason: input.reason, createdById: o.userId } });
    // Queued queries of a suspended party do not run; their ε and order use come back when the worker fails them.
    await recordEvent(tx, { type: "supervision.suspended", actorOrgId: o.supervisorOrgId, objectId: s.id, refs: { targetId: input.targetId }, data: { kind: input.kind, reasonHash: textHash(input.reason) } });
    return s;
  });
}

export async function lift(db: PrismaClient, o: { supervisorOrgId: string; userId: string } & z.input<typeof liftInput>) {
  const input = liftInput.parse(o);
  return db.$transaction(async (tx) => {
    const moved = await tx.suspension.updateMany({ where: { id: input.suspensionId, liftedAt: null }, data: { liftedAt: new Date(), liftedById: o.userId, liftReason: input.reason } });
    if (moved.count !== 1) {
      const s = await tx.suspension.findUnique({ where: { id: input.suspensionId } });
      throw s ? new AppError("CONFLICT", "ALREADY_LIFTED", "This suspension was already lifted.") : new AppError("NOT_FOUND", "UNKNOWN_SUSPENSION", "No such suspension.");
    }
    const s = await tx.suspension.findUniqueOrThrow({ where: { id: input.suspensionId } });
    await recordEvent(tx, { type: "supervision.lifted", actorOrgId: o.supervisorOrgId, objectId: s.id, refs: { targetId: s.targetId }, data: { kind: s.kind, reasonHash: textHash(input.reason) } });
    return s;
  });
}

export const feedInput = z.object({
  type: z.string().regex(/^[a-z]+(\.[a-z]+)?$/, { error: "A type is like query.delivered, or a family like query." }).optional(),
  actorOrgId: z.uuid().optional(),
  objectId: z.uuid().optional(),
  /** entries with an index below this (for paging back); omitted: the newest */
  before: z.number().int().nonnegative().optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

/** Sequenced ledger entries, newest first, filtered. */
export async function feed(db: PrismaClient, o: z.input<typeof feedInput>) {
  const f = feedInput.parse(o);
  const family = f.type && !f.type.includes(".") ? eventTypes.filter((t) => t.startsWith(`${f.type}.`)) : undefined;
  const rows = await db.ledgerLeaf.findMany({
    where: {
      ...(family ? { type: { in: [...family] } } : f.type ? { type: f.type } : {}),
      ...(f.actorOrgId ? { actorOrgId: f.actorOrgId } : {}),
      ...(f.objectId ? { objectId: f.objectId } : {}),
      ...(f.before !== undefined ? { index: { lt: BigInt(f.before) } } : {}),
    },
    orderBy: { index: "desc" }, take: f.limit,
    select: { index: true, entryId: true, type: true, actorOrgId: true, objectId: true, body: true, createdAt: true },
  });
  return rows.map((r) => ({ ...r, index: Number(r.index) }));
}

/** Figures computed from the ledger's own leaves. */
export async function statistics(db: PrismaClient) {
  const [perProduct, epsilonPerBuyer, refused, consentsPerPurpose] = await Promise.all([
    db.$queryRaw<{ productId: string; n: number }[]>`SELECT ("body"::jsonb #>> '{refs,productId}') AS "productId", count(*)::int AS "n"
      FROM "LedgerLeaf" WHERE "type" = 'query.delivered' GROUP BY 1 ORDER BY 2 DESC LIMIT 50`,
    db.$queryRaw<{ buyerOrgId: string; epsilon: number }[]>`SELECT ("body"::jsonb #>> '{refs,buyerOrgId}') AS "buyerOrgId", sum(("body"::jsonb #>> '{data,epsilon}')::float8) AS "epsilon"
      FROM "LedgerLeaf" WHERE "type" = 'query.delivered' GROUP BY 1 ORDER BY 2 DESC LIMIT 50`,
    db.$queryRaw<{ code: string; n: number }[]>`SELECT ("body"::jsonb #>> '{data,code}') AS "code", count(*)::int AS "n"
      FROM "LedgerLeaf" WHERE "type" = 'query.refused' GROUP BY 1 ORDER BY 2 DESC`,
    db.$queryRaw<{ purpose: string; n: number }[]>`SELECT ("body"::jsonb #>> '{data,purpose}') AS "purpose", count(*)::int AS "n"
      FROM "LedgerLeaf" WHERE "type" = 'consent.spent' GROUP BY 1 ORDER BY 2 DESC`,
  ]);
  return { perProduct, epsilonPerBuyer, refused, consentsPerPurpose };
}

/** Who and what the supervisor's console can name: organisations and listed or paused products. */
export async function getSupervisorDirectory(db: PrismaClient) {
  return {
    orgs: await db.organisation.findMany({ orderBy: { name: "asc" }, select: { id: true, name: true, nameZh: true, roles: true } }),
    products: await db.dataProduct.findMany({ where: { status: { in: ["LISTED", "PAUSED"] } }, orderBy: { name: "asc" }, take: 500, select: { id: true, name: true, nameZh: true, status: true } }),
  };
}

/** Suspensions, newest first, lifted ones included. */
export function listSuspensions(db: PrismaClient) {
  return db.suspension.findMany({ orderBy: { createdAt: "desc" }, take: 100 });
}
