/**
 * Orders and approvals. Ordering a listed product records its terms and purpose. When any
 * source of the product is a conditional resource (in force now, emergencies included), its
 * holder must approve, with a reason when refusing, within 10 working days; until every
 * holder approved the order is PENDING_APPROVAL. A NOT_SHARED source makes the order
 * impossible. The entitlement (quota, validity, purpose) is checked and used atomically by
 * every query, and given back when that query fails. Orders are prepaid (server/money): a
 * per-query order buys a number of queries; the money is recognised query by query on delivery.
 *
 *   PENDING_APPROVAL ─all approve→ PENDING_PAYMENT ─paid→ ACTIVE     PENDING_APPROVAL ─one refuses→ REFUSED
 *   (no approval needed) PENDING_PAYMENT ─paid→ ACTIVE
 *   PENDING_APPROVAL | PENDING_PAYMENT | ACTIVE (unused) ─cancel→ CANCELLED (a payment is refunded in full)
 */
import { z } from "zod";
import type { Prisma, PrismaClient } from "../db/generated/client";
import { addWorkingDays } from "../demands/working-days";
import { recordEvent, textHash } from "../ledger/events";
import { assertNotSuspended } from "../ledger/supervision";
import { AppError } from "../errors";
import { pricingSchema } from "../products/schemas";
import { activeReclassification, effectiveSharing } from "../resources/resources";

const APPROVAL_WORKING_DAYS = 10;

export const placeOrderInput = z.object({
  productId: z.uuid(),
  purpose: z.string().trim().min(2).max(80),
  /** per-query products: how many queries to buy (the order's quota) */
  quantity: z.number({ error: "The number of queries is a whole number." }).int({ error: "The number of queries is a whole number." }).min(1).max(10_000).default(10),
  idempotencyKey: z.uuid().optional(),
});

type Tx = Prisma.TransactionClient;

export type OrderState = "PENDING_APPROVAL" | "PENDING_PAYMENT" | "ACTIVE" | "REFUSED" | "CANCELLED";
const ledgerType = (from: OrderState | null, to: OrderState) => (from === null ? "order.placed" : to === "ACTIVE" ? "order.activated" : "order.cancelled");

/**
 * An order's state change: kept with the order and recorded on the ledger (a refusal or the
 * last approval is the holder's decision event).
 */
export async function event(tx: Tx, o: { orderId: string; productId: string; actorOrgId: string }, from: OrderState | null, to: OrderState, actorId: string, reason?: string) {
  await tx.orderEvent.create({ data: { orderId: o.orderId, fromState: from, toState: to, actorId, reason } });
  if (to === "REFUSED" || (from === "PENDING_APPROVAL" && to === "PENDING_PAYMENT")) return;
  await recordEvent(tx, { type: ledgerType(from, to), actorOrgId: o.actorOrgId, objectId: o.orderId, refs: { productId: o.productId }, data: { state: to, ...(reason ? { reasonHash: textHash(reason) } : {}) } });
}

/** Validity an order gets when it becomes active (paid). */
export function validity(pricing: z.infer<typeof pricingSchema>, now: Date) {
  if (pricing.model === "SUBSCRIPTION") return { validFrom: now, validUntil: new Date(now.getTime() + pricing.periodDays * 86_400_000) };
  return { validFrom: now, validUntil: null };
}

/** What an order costs and how many queries it buys. */
function price(pricing: z.infer<typeof pricingSchema>, quantity: number) {
  if (pricing.model === "SUBSCRIPTION") return { amountMinor: BigInt(pricing.priceMinor), quota: pricing.quota };
  if (pricing.model === "ONE_OFF") return { amountMinor: BigInt(pricing.priceMinor), quota: 1 };
  return { amountMinor: BigInt(pricing.priceMinor) * BigInt(quantity), quota: quantity };
}

export async function placeOrder(db: PrismaClient, o: { buyerOrgId: string; userId: string; now?: Date } & z.input<typeof placeOrderInput>) {
  const input = placeOrderInput.parse(o);
  const now = o.now ?? new Date();
  if (input.idempotencyKey) {
    const existing = await db.order.findUnique({ where: { buyerOrgId_idempotencyKey: { buyerOrgId: o.buyerOrgId, idempotencyKey: input.idempotencyKey } } });
    if (existing) return { id: existing.id, status: existing.status };
  }
  await assertNotSuspended(db, { buyerOrgId: o.buyerOrgId, productId: input.productId });
  const product = await db.dataProduct.findUnique({ where: { id: input.productId }, include: { sources: { include: { node: true } } } });
  if (!product || product.status !== "LISTED") throw new AppError("CONFLICT", "PRODUCT_NOT_LISTED", "This product is not listed: it cannot be ordered now.");
  if (!product.purposes.includes(input.purpose)) {
    throw new AppError("BAD_INPUT", "PURPOSE_NOT_ALLOWED", `"${input.purpose}" is not an allowed purpose of this product; allowed: ${product.purposes.join(", ") || "none"}.`);
  }
  const pricing = pricingSchema.parse(product.pricing);
  return db.$transaction(async (tx) => {
    // Which holders must approve: those whose resource behind a source is conditional now.
    const approvers = new Set<string>();
    for (const s of product.sources) {
      const r = await tx.dataResource.findFirst({ where: { nodeId: s.nodeId, dataset: s.dataset, status: "ACTIVE" } });
      const sharing = r ? effectiveSharing(r.sharing, await activeReclassification(tx, r.id, now)) : "CONDITIONAL"; // unregistered: ask
      if (sharing === "NOT_SHARED") throw new AppError("FORBIDDEN", "NOT_SHARED", `A source of this product (${r?.name}) is not shared at present.`);
      if (sharing === "CONDITIONAL") approvers.add(s.node.organisationId);
    }
    const status = approvers.size ? "PENDING_APPROVAL" : "PENDING_PAYMENT";
    const order = await tx.order.create({
      data: {
        buyerOrgId: o.buyerOrgId, productId: product.id, placedById: o.userId, status, purpose: input.purpose, pricing, createdAt: now,
        idempotencyKey: input.idempotencyKey, ...price(pricing, input.quantity), currency: pricing.currency.toLowerCase(),
        approvals: { create: [...approvers].map((holderOrgId) => ({ holderOrgId, dueAt: addWorkingDays(now, APPROVAL_WORKING_DAYS) })) },
      },
    });
    await event(tx, { orderId: order.id, productId: product.id, actorOrgId: o.buyerOrgId }, null, status, o.userId);
    if (approvers.size) {
      await tx.notification.createMany({ data: [...approvers].map((orgId) => ({ orgId, kind: "APPROVAL_REQUESTED", subjectId: order.id, message: `Approval requested: ${product.name} for "${input.purpose}"` })) });
    }
    return { id: order.id, status: order.status };
  });
}

export async function decideApproval(db: PrismaClient, o: { orderId: string; holderOrgId: string; userId: string; decision: "approve" | "refuse"; reason?: string; now?: Date }) {
  const now = o.now ?? new Date();
  if (o.decision === "refuse" && !(o.reason && o.reason.trim().length >= 5)) throw new AppError("BAD_INPUT", "REASON_REQUIRED", "A refusal needs a reason (5 characters or more): the buyer sees it.");
  return db.$transaction(async (tx) => {
    const a = await tx.orderApproval.findUnique({ where: { orderId_holderOrgId: { orderId: o.orderId, holderOrgId: o.holderOrgId } } });
    // Someone else's approval looks exactly like a missing one.
    if (!a) throw new AppError("NOT_FOUND", "APPROVAL_NOT_FOUND", "No approval of your organisation is requested for this order.");
    const decided = await tx.orderApproval.updateMany({
      where: { orderId: o.orderId, holderOrgId: o.holderOrgId, status: "PENDING" },
      data: { status: o.decision === "approve" ? "APPROVED" : "REFUSED", reason: o.reason, decidedAt: now, decidedById: o.userId },
    });
    if (decided.count !== 1) throw new AppError("CONFLICT", "ALREADY_DECIDED", "This approval was already decided.");
    const order = await tx.order.findUniqueOrThrow({ where: { id: o.orderId } });
    await recordEvent(tx, {
      type: o.decision === "approve" ? "order.approved" : "order.refused", actorOrgId: o.holderOrgId, objectId: order.id,
      refs: { productId: order.productId, buyerOrgId: order.buyerOrgId }, data: { approval: o.decision, ...(o.reason ? { reasonHash: textHash(o.reason) } : {}) },
    });
    const ids = { orderId: order.id, productId: order.productId, actorOrgId: o.holderOrgId };
    if (order.status !== "PENDING_APPROVAL") return { orderStatus: order.status };
    if (o.decision === "refuse") {
      await tx.order.update({ where: { id: order.id }, data: { status: "REFUSED" } });
      await event(tx, ids, "PENDING_APPROVAL", "REFUSED", o.userId, o.reason);
      await tx.notification.create({ data: { orgId: order.buyerOrgId, kind: "ORDER_REFUSED", subjectId: order.id, message: `Order refused: ${o.reason}` } });
      return { orderStatus: "REFUSED" as const };
    }
    const pending = await tx.orderApproval.count({ where: { orderId: order.id, status: { not: "APPROVED" } } });
    if (pending > 0) return { orderStatus: "PENDING_APPROVAL" as const };
    await tx.order.update({ where: { id: order.id }, data: { status: "PENDING_PAYMENT" } });
    await event(tx, ids, "PENDING_APPROVAL", "PENDING_PAYMENT", o.userId);
    await tx.notification.create({ data: { orgId: order.buyerOrgId, kind: "ORDER_APPROVED", subjectId: order.id, message: "Order approved: pay it to start using it." } });
    return { orderStatus: "PENDING_PAYMENT" as const };
  });
}

/**
 * Cancel an unused order inside the caller's transaction (server/money/payments.cancelOrder
 * refunds a payment first). Returns the state it left.
 */
export async function cancelOrderTx(tx: Tx, o: { orderId: string; buyerOrgId: string; userId: string }) {
  {
    const order = await tx.order.findUnique({ where: { id: o.orderId } });
    if (!order || order.buyerOrgId !== o.buyerOrgId) throw new AppError("NOT_FOUND", "ORDER_NOT_FOUND", "No such order of your organisation.");
    const moved = await tx.order.updateMany({ where: { id: order.id, status: { in: ["PENDING_APPROVAL", "PENDING_PAYMENT", "ACTIVE"] }, used: 0 }, data: { status: "CANCELLED" } });
    if (moved.count !== 1) {
      throw new AppError("CONFLICT", order.used > 0 ? "ORDER_IN_USE" : "ILLEGAL_TRANSITION",
        order.used > 0 ? "This order has been used: it can no longer be cancelled." : `A ${order.status.toLowerCase().replace("_", " ")} order cannot be cancelled.`);
    }
    await event(tx, { orderId: order.id, productId: order.productId, actorOrgId: o.buyerOrgId }, order.status as OrderState, "CANCELLED", o.userId);
    return { id: order.id, status: "CANCELLED" as const, was: order.status as OrderState };
  }
}

/**
 * Use one query of the buyer's entitlement to a product, atomically (inside the caller's
 * transaction). Throws FORBIDDEN with the precise reason when there is none.
 */
export async function consumeEntitlement(tx: Tx, o: { buyerOrgId: string; productId: string; now?: Date }): Promise<string> {
  const now = o.now ?? new Date();
  const rows = await tx.$queryRaw<{ id: string }[]>`
    UPDATE "Order" SET "used" = "used" + 1
    WHERE "id" = (SELECT "id" FROM "Order"
      WHERE "buyerOrgId" = ${o.buyerOrgId}::uuid AND "productId" = ${o.productId}::uuid AND "status" = 'ACTIVE'
        AND ("quota" IS NULL OR "used" < "quota") AND ("validUntil" IS NULL OR "validUntil" > ${now})
      ORDER BY "validUntil" ASC NULLS LAST, "createdAt" ASC LIMIT 1 FOR UPDATE)
    RETURNING "id"::text AS "id"`;
  if (rows[0]) return rows[0].id;
  const orders = await tx.order.findMany({ where: { buyerOrgId: o.buyerOrgId, productId: o.productId } });
  if (orders.length === 0) throw new AppError("FORBIDDEN", "NO_ORDER", "Order this product before querying it.");
  if (orders.some((x) => x.status === "PENDING_APPROVAL")) throw new AppError("FORBIDDEN", "AWAITING_APPROVAL", "Your order is waiting for the holders' approval.");
  if (orders.some((x) => x.status === "PENDING_PAYMENT")) throw new AppError("FORBIDDEN", "AWAITING_PAYMENT", "Your order is approved but not paid yet.");
  if (orders.some((x) => x.status === "ACTIVE" && x.validUntil && x.validUntil <= now)) throw new AppError("FORBIDDEN", "ORDER_EXPIRED", "Your subscription has expired: order again.");
  if (orders.some((x) => x.status === "ACTIVE")) throw new AppError("FORBIDDEN", "QUOTA_EXHAUSTED", "Your order's query quota is used up: order again.");
  throw new AppError("FORBIDDEN", "NO_ACTIVE_ORDER", "You have no active order of this product (refused or cancelled).");
}

/** Give a use back (the query failed: nothing was delivered). */
export async function returnEntitlement(tx: Tx, orderId: string) {
  await tx.$executeRaw`UPDATE "Order" SET "used" = GREATEST("used" - 1, 0) WHERE "id" = ${orderId}::uuid`;
}
