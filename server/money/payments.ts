/**
 * Money for orders: the buyer pays an order up front through the payment provider; each
 * delivered query recognises its part of that payment and splits it (operator fee, developer
 * share, holders by contribution) in the journal; a failed delivery recognises nothing;
 * cancelling an unused order refunds it in full; a refunded query reverses its split exactly.
 *
 * Provider calls happen outside database transactions and carry idempotency keys, so a retry
 * after a crash repeats nothing at the provider; each journal entry has its own idempotency
 * key, so nothing is posted twice.
 */
import type { Prisma, PrismaClient } from "../db/generated/client";
import { assertNotSuspended } from "../ledger/supervision";
import { AppError } from "../errors";
import { recordEvent, textHash } from "../ledger/events";
import { cancelOrderTx, event, validity } from "../orders/orders";
import { pricingSchema, sharesSchema } from "../products/schemas";
import { post, type Line } from "./journal";
import type { PaymentProvider, ProviderEvent } from "./providers/types";
import { splitRevenue, unitPrice } from "./split";

type Tx = Prisma.TransactionClient;

/** Start paying an order awaiting payment. Offline: paid at once. Stripe: a Checkout URL to send the buyer to. */
export async function startPayment(db: PrismaClient, provider: PaymentProvider, o: { orderId: string; buyerOrgId: string; userId: string; baseUrl: string }) {
  const order = await db.order.findUnique({ where: { id: o.orderId } });
  if (!order || order.buyerOrgId !== o.buyerOrgId) throw new AppError("NOT_FOUND", "ORDER_NOT_FOUND", "No such order of your organisation.");
  if (order.status !== "PENDING_PAYMENT") throw new AppError("CONFLICT", "NOT_PAYABLE", order.status === "ACTIVE" ? "This order is already paid." : "This order cannot be paid now.");
  await assertNotSuspended(db, { buyerOrgId: o.buyerOrgId, productId: order.productId });
  const product = await db.dataProduct.findUniqueOrThrow({ where: { id: order.productId } });
  const checkout = await provider.createCheckout({
    orderId: order.id, buyerOrgId: order.buyerOrgId, amountMinor: Number(order.amountMinor), currency: order.currency,
    description: `${product.name} (${order.quota ?? 1} ${order.quota === 1 ? "query" : "queries"})`,
    successUrl: `${o.baseUrl}/buyer/orders?paid=${order.id}`, cancelUrl: `${o.baseUrl}/buyer/orders`, idempotencyKey: `checkout:${order.id}`,
  });
  await db.payment.upsert({
    where: { orderId: order.id },
    create: { orderId: order.id, buyerOrgId: order.buyerOrgId, provider: provider.name, providerRef: checkout.providerRef, amountMinor: order.amountMinor, currency: order.currency },
    update: {},
  });
  if (checkout.status === "SUCCEEDED") {
    await paymentSucceeded(db, { providerRef: checkout.providerRef, amountMinor: Number(order.amountMinor), currency: order.currency, chargeRef: checkout.chargeRef ?? null });
  }
  return { redirectUrl: checkout.redirectUrl, paid: checkout.status === "SUCCEEDED" };
}

/**
 * The provider says the payment succeeded (at once, or by a webhook, possibly twice or late).
 * Amount and currency must match the order exactly, or nothing is posted.
 */
export async function paymentSucceeded(db: PrismaClient | Tx, p: { providerRef: string; amountMinor: number; currency: string; chargeRef: string | null }) {
  const run = async (tx: Tx) => {
    const payment = await tx.payment.findUnique({ where: { providerRef: p.providerRef } });
    if (!payment) throw new AppError("NOT_FOUND", "UNKNOWN_PAYMENT", `No payment ${p.providerRef} here (yet): the provider will deliver again.`);
    if (payment.status === "SUCCEEDED" || payment.status === "REFUNDED") return { duplicate: true };
    if (!Number.isSafeInteger(p.amountMinor) || BigInt(p.amountMinor) !== payment.amountMinor) {
      throw new AppError("BAD_INPUT", "AMOUNT_MISMATCH", `The provider reports ${p.amountMinor} minor units for a payment of ${payment.amountMinor}: nothing was posted.`);
    }
    if (p.currency.toLowerCase() !== payment.currency) throw new AppError("BAD_INPUT", "CURRENCY_MISMATCH", `The provider reports ${p.currency} for a payment in ${payment.currency}: nothing was posted.`);
    const now = new Date();
    await tx.payment.update({ where: { id: payment.id }, data: { status: "SUCCEEDED", succeededAt: now, chargeRef: p.chargeRef, failure: null } });
    const order = await tx.order.findUniqueOrThrow({ where: { id: payment.orderId } });
    await post(tx, {
      kind: "payment", idempotencyKey: `payment:${payment.id}`, currency: payment.currency, orderId: order.id,
      lines: [{ account: "provider_cash", amountMinor: payment.amountMinor }, { account: "buyer_prepaid", orgId: order.buyerOrgId, amountMinor: -payment.amountMinor }],
    });
    await recordEvent(tx, { type: "payment.received", actorOrgId: order.buyerOrgId, objectId: order.id, refs: { paymentId: payment.id }, data: { amountMinor: Number(payment.amountMinor), currency: payment.currency, provider: payment.provider } });
    if (order.status === "PENDING_PAYMENT") {
      await tx.order.update({ where: { id: order.id }, data: { status: "ACTIVE", ...validity(pricingSchema.parse(order.pricing), now) } });
      await event(tx, { orderId: order.id, productId: order.productId, actorOrgId: order.buyerOrgId }, "PENDING_PAYMENT", "ACTIVE", order.placedById);
    } else {
      // Paid after it was cancelled (a late webhook): the money is owed back; the refund job sees it as an exception.
      await tx.payment.update({ where: { id: payment.id }, data: { failure: `Paid while the order was ${order.status.toLowerCase()}: refund it.` } });
    }
    return { duplicate: false };
  };
  return "$transaction" in db ? (db as PrismaClient).$transaction(run) : run(db as Tx);
}

/** A webhook delivery, already verified by the provider: applied once, whatever the order of arrival. */
export async function handleProviderEvent(db: PrismaClient, provider: PaymentProvider, e: ProviderEvent) {
  return db.$transaction(async (tx) => {
    const fresh = await tx.providerEvent.createMany({ data: [{ id: e.eventId, provider: provider.name, type: e.type }], skipDuplicates: true });
    if (fresh.count === 0) return { duplicate: true };
    if (e.type === "payment.succeeded") await paymentSucceeded(tx, e);
    else if (e.type === "payment.failed") {
      // Only a payment still pending can fail: a late "failed" after a success changes nothing.
      await tx.payment.updateMany({ where: { providerRef: e.providerRef, status: "PENDING" }, data: { status: "FAILED", failure: e.reason } });
    } else if (e.type === "account.ready") await tx.payoutAccount.updateMany({ where: { accountRef: e.accountRef }, data: { ready: true } });
    else if (e.type === "payout.failed") await tx.payout.updateMany({ where: { providerRef: e.transferRef }, data: { status: "FAILED", lastError: e.reason ?? "reversed by the provider" } });
    return { duplicate: false };
  });
}

/**
 * Cancel an unused order; a paid one is refunded in full. The order is cancelled first (so no
 * query can use it meanwhile), then refunded at the provider (idempotent key), then the refund
 * is posted. A refund the provider refuses is kept as the payment's failure, for the operator.
 */
export async function cancelOrder(db: PrismaClient, o: { orderId: string; buyerOrgId: string; userId: string; provider: PaymentProvider }) {
  const done = await db.$transaction((tx) => cancelOrderTx(tx, o));
  const payment = await db.payment.findUnique({ where: { orderId: o.orderId } });
  if (payment?.status !== "SUCCEEDED") return { id: done.id, status: done.status };
  try {
    await o.provider.refund({ providerRef: payment.providerRef, amountMinor: Number(payment.amountMinor), idempotencyKey: `refund:${payment.id}` });
  } catch (e) {
    await db.payment.update({ where: { id: payment.id }, data: { failure: `Cancelled, but the refund failed: ${(e as Error).message}` } });
    throw new AppError("UNAVAILABLE", "REFUND_FAILED", "The order is cancelled; its refund did not go through and will be handled by the market operator.");
  }
  await db.$transaction(async (tx) => {
    const moved = await tx.payment.updateMany({ where: { id: payment.id, status: "SUCCEEDED" }, data: { status: "REFUNDED", refundedMinor: payment.amountMinor, failure: null } });
    if (moved.count !== 1) return;
    await post(tx, {
      kind: "refund", idempotencyKey: `refund:${payment.id}`, currency: payment.currency, orderId: o.orderId,
      lines: [{ account: "buyer_prepaid", orgId: o.buyerOrgId, amountMinor: payment.amountMinor }, { account: "provider_cash", amountMinor: -payment.amountMinor }],
    });
    await recordEvent(tx, { type: "payment.refunded", actorOrgId: o.buyerOrgId, objectId: o.orderId, refs: { paymentId: payment.id }, data: { amountMinor: Number(payment.amountMinor), currency: payment.currency } });
  });
  return { id: done.id, status: done.status };
}

let operatorOrg: string | undefined;
async function marketOperator(tx: Tx): Promise<string> {
  if (operatorOrg) return operatorOrg;
  const [org] = await tx.$queryRaw<{ id: string }[]>`SELECT "id"::text AS "id" FROM "Organisation" WHERE 'OPERATOR' = ANY("roles") ORDER BY "createdAt" LIMIT 1`;
  if (!org) throw new AppError("CONFIG", "NO_OPERATOR", "The market has no operator organisation to receive its fee.");
  return (operatorOrg = org.id);
}

/**
 * Recognise one delivered query in the caller's transaction: its unit of the order's prepaid
 * amount leaves the buyer's prepaid balance and is split. Contributions are rows in released
 * groups per holder, as the nodes reported them. Returns what was charged.
 */
export async function recognizeDelivery(tx: Tx, o: { queryId: string; orderId: string; contributions: { holderOrgId: string; rows: bigint }[] }) {
  // One atomic increment: it locks the order's row until the caller commits, so deliveries of
  // the same order by several workers at once queue here and each is its own k-th unit. (A
  // compare-and-set on the count failed the later of two concurrent deliveries instead.)
  const order = await tx.order.update({ where: { id: o.orderId }, data: { delivered: { increment: 1 } } });
  const product = await tx.dataProduct.findUniqueOrThrow({ where: { id: order.productId } });
  const k = order.delivered;
  const unit = unitPrice(order.amountMinor, order.quota ?? 1, k);
  const byHolder = new Map<string, bigint>();
  for (const c of o.contributions) byHolder.set(c.holderOrgId, (byHolder.get(c.holderOrgId) ?? 0n) + c.rows);
  const holders = [...byHolder].sort(([a], [b]) => (a < b ? -1 : 1)).map(([orgId, rows]) => ({ orgId, rows }));
  const split = splitRevenue(unit, sharesSchema.parse(product.shares), holders);
  const lines: Line[] = [
    { account: "buyer_prepaid", orgId: order.buyerOrgId, amountMinor: unit },
    { account: "operator_revenue", orgId: await marketOperator(tx), amountMinor: -split.operator },
    { account: "developer_payable", orgId: product.developerOrgId, amountMinor: -split.developer },
    ...split.holders.map((h): Line => ({ account: "holder_payable", orgId: h.orgId, amountMinor: -h.amount })),
  ];
  await post(tx, { kind: "delivery", idempotencyKey: `delivery:${o.queryId}`, currency: order.currency, orderId: order.id, queryId: o.queryId, lines });
  return { chargedMinor: unit, currency: order.currency, split };
}

/**
 * A dispute upheld by the operator: the query's charge goes back to the buyer (refunded at the
 * provider) and its split is reversed exactly, posting by posting.
 */
export async function refundQuery(db: PrismaClient, provider: PaymentProvider, o: { queryId: string; operatorOrgId: string; reason: string }) {
  if (o.reason.trim().length < 5) throw new AppError("BAD_INPUT", "REASON_REQUIRED", "A refund needs a reason (5 characters or more).");
  const delivery = await db.journalEntry.findUnique({ where: { idempotencyKey: `delivery:${o.queryId}` }, include: { postings: true } });
  if (!delivery) throw new AppError("NOT_FOUND", "NOT_CHARGED", "This query was never charged: nothing to refund.");
  if (await db.journalEntry.findUnique({ where: { idempotencyKey: `query-refund:${o.queryId}` } })) throw new AppError("CONFLICT", "ALREADY_REFUNDED", "This query was already refunded.");
  const payment = await db.payment.findUniqueOrThrow({ where: { orderId: delivery.orderId! } });
  const charged = delivery.postings.find((p) => p.account === "buyer_prepaid")!.amountMinor;
  await provider.refund({ providerRef: payment.providerRef, amountMinor: Number(charged), idempotencyKey: `query-refund:${o.queryId}` });
  return db.$transaction(async (tx) => {
    const buyer = delivery.postings.find((p) => p.account === "buyer_prepaid")!.orgId!;
    await post(tx, {
      kind: "query-refund", idempotencyKey: `query-refund:${o.queryId}`, currency: delivery.currency, orderId: delivery.orderId!, queryId: o.queryId, memo: o.reason,
      // Reverse every posting of the delivery, then pay the buyer's part back out of provider cash.
      lines: [
        ...delivery.postings.map((p): Line => ({ account: p.account as Line["account"], orgId: p.orgId, amountMinor: -p.amountMinor })),
        { account: "buyer_prepaid", orgId: buyer, amountMinor: charged },
        { account: "provider_cash", amountMinor: -charged },
      ],
    });
    await tx.payment.update({ where: { id: payment.id }, data: { refundedMinor: { increment: charged } } });
    await recordEvent(tx, { type: "payment.refunded", actorOrgId: o.operatorOrgId, objectId: o.queryId, refs: { orderId: delivery.orderId!, paymentId: payment.id }, data: { amountMinor: Number(charged), currency: delivery.currency, reasonHash: textHash(o.reason) } });
    return { refundedMinor: charged };
  });
}
