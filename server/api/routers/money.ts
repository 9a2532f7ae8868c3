/** Money: each party's statement; the operator's settlement console, settlement runs and refunds. */
import { z } from "zod";
import { balances } from "../../money/journal";
import { refundQuery } from "../../money/payments";
import { configuredProvider } from "../../money/providers";
import { periodOf, settle } from "../../money/settlement";
import { AppError } from "../../errors";
import { buyerProcedure, createTRPCRouter, operatorProcedure, orgProcedure, supplierProcedure } from "../trpc";

const period = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, { error: "A period is a month like 2026-11." });

export const moneyRouter = createTRPCRouter({
  /** A buyer's invoice for a paid order of its organisation. */
  invoice: buyerProcedure.input(z.object({ orderId: z.uuid() }))
    .output(z.object({
      number: z.string(), orderId: z.string(), buyer: z.string(), buyerOrgId: z.string(), item: z.string(), quantity: z.number().int(), delivered: z.number().int(),
      amountMinor: z.bigint(), refundedMinor: z.bigint(), currency: z.string(), provider: z.string(), paidAt: z.date(),
    }))
    .query(async ({ ctx, input }) => {
      const order = await ctx.prisma.order.findFirst({ where: { id: input.orderId, buyerOrgId: ctx.active.organisation.id } });
      const payment = order && await ctx.prisma.payment.findUnique({ where: { orderId: order.id } });
      if (!order || !payment?.succeededAt) throw new AppError("NOT_FOUND", "NO_INVOICE", "No paid order of your organisation has this id.");
      const product = await ctx.prisma.dataProduct.findUniqueOrThrow({ where: { id: order.productId } });
      return {
        number: `QCI-${payment.succeededAt.toISOString().slice(0, 7).replace("-", "")}-${payment.id.slice(0, 8).toUpperCase()}`, orderId: order.id,
        buyer: ctx.active.organisation.name, buyerOrgId: order.buyerOrgId, item: product.name, quantity: order.quota ?? 1, delivered: order.delivered,
        amountMinor: payment.amountMinor, refundedMinor: payment.refundedMinor, currency: payment.currency, provider: payment.provider, paidAt: payment.succeededAt,
      };
    }),
  /** Holders and developers: where their payouts go (Stripe: an onboarding link to follow; offline: ready at once). */
  payoutAccount: supplierProcedure.output(z.object({ provider: z.string(), ready: z.boolean() }).nullable())
    .query(({ ctx }) => ctx.prisma.payoutAccount.findUnique({ where: { orgId: ctx.active.organisation.id }, select: { provider: true, ready: true } })),
  onboard: supplierProcedure.output(z.object({ url: z.string(), ready: z.boolean() }))
    .mutation(async ({ ctx }) => {
      const provider = configuredProvider();
      const orgId = ctx.active.organisation.id;
      const existing = await ctx.prisma.payoutAccount.findUnique({ where: { orgId } });
      const base = process.env.NEXTAUTH_URL ?? "http://localhost:3000";
      const { accountRef, url } = await provider.onboard({ orgId, accountRef: existing?.accountRef, email: ctx.user.email, returnUrl: `${base}/organisation`, refreshUrl: `${base}/organisation` });
      const ready = provider.name === "offline";
      await ctx.prisma.payoutAccount.upsert({ where: { orgId }, create: { orgId, provider: provider.name, accountRef, ready }, update: { accountRef } });
      return { url, ready };
    }),
  /** The active organisation's postings in a period (default: this month), oldest first. */
  statement: orgProcedure.input(z.object({ period: period.optional() }).optional())
    .output(z.object({ period: z.string(), rows: z.array(z.object({
      at: z.date(), kind: z.string(), account: z.string(), amountMinor: z.bigint(), currency: z.string(), orderId: z.string().nullable(), queryId: z.string().nullable(),
    })) }))
    .query(async ({ ctx, input }) => {
      const p = input?.period ?? periodOf(new Date());
      const from = new Date(`${p}-01T00:00:00Z`), to = new Date(from);
      to.setUTCMonth(to.getUTCMonth() + 1);
      const rows = await ctx.prisma.posting.findMany({
        where: { orgId: ctx.active.organisation.id, createdAt: { gte: from, lt: to } }, orderBy: { id: "asc" }, take: 10_000,
        select: { createdAt: true, account: true, amountMinor: true, currency: true, entry: { select: { kind: true, orderId: true, queryId: true } } },
      });
      return { period: p, rows: rows.map((r) => ({ at: r.createdAt, kind: r.entry.kind, account: r.account, amountMinor: r.amountMinor, currency: r.currency, orderId: r.entry.orderId, queryId: r.entry.queryId })) };
    }),
});

export const operatorMoneyRouter = {
  settlement: operatorProcedure
    .output(z.object({
      totals: z.array(z.object({ account: z.string(), currency: z.string(), amountMinor: z.bigint() })),
      payouts: z.array(z.object({ id: z.string(), orgId: z.string(), period: z.string(), amountMinor: z.bigint(), currency: z.string(), status: z.enum(["PENDING", "PAID", "FAILED"]), attempts: z.number().int(), lastError: z.string().nullable() })),
      paymentExceptions: z.array(z.object({ orderId: z.string(), status: z.string(), failure: z.string().nullable() })),
    }))
    .query(async ({ ctx }) => {
      const all = await balances(ctx.prisma);
      const totals = new Map<string, { account: string; currency: string; amountMinor: bigint }>();
      for (const b of all) {
        const k = `${b.account}:${b.currency}`;
        totals.set(k, { account: b.account, currency: b.currency, amountMinor: (totals.get(k)?.amountMinor ?? 0n) + b.amountMinor });
      }
      return {
        totals: [...totals.values()],
        payouts: await ctx.prisma.payout.findMany({ orderBy: { createdAt: "desc" }, take: 200 }),
        paymentExceptions: await ctx.prisma.payment.findMany({ where: { OR: [{ status: "FAILED" }, { failure: { not: null } }] }, select: { orderId: true, status: true, failure: true }, take: 100 }),
      };
    }),
  settle: operatorProcedure.input(z.object({ period })).output(z.object({ period: z.string(), paid: z.number().int(), failed: z.number().int() }))
    .mutation(async ({ ctx, input }) => {
      const r = await settle(ctx.prisma, configuredProvider(), input);
      return { period: r.period, paid: r.payouts.filter((p) => p.status === "PAID").length, failed: r.payouts.filter((p) => p.status === "FAILED").length };
    }),
  refundQuery: operatorProcedure.input(z.object({ queryId: z.uuid(), reason: z.string().trim().min(5).max(2000) })).output(z.object({ refundedMinor: z.bigint() }))
    .mutation(({ ctx, input }) => refundQuery(ctx.prisma, configuredProvider(), { ...input, operatorOrgId: ctx.active.organisation.id })),
};
