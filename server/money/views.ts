/**
 * What each party reads about money: a buyer's invoice, an organisation's statement, the
 * operator's settlement overview, and where a supplier's payouts go (onboarding included).
 */
import { z } from "zod";
import type { PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";
import { balances } from "./journal";
import type { PaymentProvider } from "./providers/types";
import { periodOf, periodSchema } from "./settlement";

export const invoiceInput = z.object({ orderId: z.uuid() });

/**
 * A buyer's invoice for a paid order of its organisation. Its number is derived from the
 * payment (the month paid and the payment's id), not stored and counted up, so there is no
 * read-then-write to race: asking for it again, or many times at once, gives the same number.
 */
export async function getInvoice(db: PrismaClient, o: { buyerOrgId: string } & z.input<typeof invoiceInput>) {
  const input = invoiceInput.parse(o);
  const order = await db.order.findFirst({ where: { id: input.orderId, buyerOrgId: o.buyerOrgId } });
  const payment = order && await db.payment.findUnique({ where: { orderId: order.id } });
  if (!order || !payment?.succeededAt) throw new AppError("NOT_FOUND", "NO_INVOICE", "No paid order of your organisation has this id.");
  const product = await db.dataProduct.findUniqueOrThrow({ where: { id: order.productId }, select: { name: true } });
  const buyer = await db.organisation.findUniqueOrThrow({ where: { id: order.buyerOrgId }, select: { name: true } });
  return {
    number: `QCI-${payment.succeededAt.toISOString().slice(0, 7).replace("-", "")}-${payment.id.slice(0, 8).toUpperCase()}`, orderId: order.id,
    buyer: buyer.name, buyerOrgId: order.buyerOrgId, item: product.name, quantity: order.quota ?? 1, delivered: order.delivered,
    amountMinor: payment.amountMinor, refundedMinor: payment.refundedMinor, currency: payment.currency, provider: payment.provider, paidAt: payment.succeededAt,
  };
}

export const statementInput = z.object({ period: periodSchema.optional() });

/** An organisation's postings in a period (default: this month), oldest first. */
export async function getStatement(db: PrismaClient, o: { orgId: string; now?: Date } & z.input<typeof statementInput>) {
  const period = statementInput.parse(o).period ?? periodOf(o.now ?? new Date());
  const from = new Date(`${period}-01T00:00:00Z`), to = new Date(from);
  to.setUTCMonth(to.getUTCMonth() + 1);
  const rows = await db.posting.findMany({
    where: { orgId: o.orgId, createdAt: { gte: from, lt: to } }, orderBy: { id: "asc" }, take: 10_000,
    select: { createdAt: true, account: true, amountMinor: true, currency: true, entry: { select: { kind: true, orderId: true, queryId: true } } },
  });
  return { period, rows: rows.map((r) => ({ at: r.createdAt, kind: r.entry.kind, account: r.account, amountMinor: r.amountMinor, currency: r.currency, orderId: r.entry.orderId, queryId: r.entry.queryId })) };
}

/** The operator's console: the journal's totals per account and currency, recent payouts, payments that failed. */
export async function getSettlementOverview(db: PrismaClient) {
  const totals = new Map<string, { account: string; currency: string; amountMinor: bigint }>();
  for (const b of await balances(db)) {
    const k = `${b.account}:${b.currency}`;
    totals.set(k, { account: b.account, currency: b.currency, amountMinor: (totals.get(k)?.amountMinor ?? 0n) + b.amountMinor });
  }
  return {
    totals: [...totals.values()],
    payouts: await db.payout.findMany({ orderBy: { createdAt: "desc" }, take: 200 }),
    paymentExceptions: await db.payment.findMany({ where: { OR: [{ status: "FAILED" }, { failure: { not: null } }] }, select: { orderId: true, status: true, failure: true }, take: 100 }),
  };
}

/** Where an organisation's payouts go, or null before it has onboarded. */
export function getPayoutAccount(db: PrismaClient, o: { orgId: string }) {
  return db.payoutAccount.findUnique({ where: { orgId: o.orgId }, select: { provider: true, ready: true } });
}

/**
 * Where a holder's or developer's payouts go: the provider's onboarding link (Stripe), or ready
 * at once (offline). Concurrent calls end with one account row: the provider is asked with an
 * idempotency key per organisation, and the row is written by one atomic upsert
 * (INSERT … ON CONFLICT). The read before it only finds an account to reuse; the write does
 * not depend on it, so two calls that both read nothing still write one row. The provider's
 * call stays outside any transaction: a network round trip must not hold a lock.
 */
export async function onboardPayoutAccount(db: PrismaClient, provider: PaymentProvider, o: { orgId: string; email: string; baseUrl: string }) {
  const existing = await db.payoutAccount.findUnique({ where: { orgId: o.orgId } });
  const back = `${o.baseUrl}/organisation`;
  const { accountRef, url } = await provider.onboard({ orgId: o.orgId, accountRef: existing?.accountRef, email: o.email, returnUrl: back, refreshUrl: back });
  const ready = provider.name === "offline";
  await db.payoutAccount.upsert({ where: { orgId: o.orgId }, create: { orgId: o.orgId, provider: provider.name, accountRef, ready }, update: { accountRef } });
  return { url, ready };
}
