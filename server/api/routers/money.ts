/** Money: each party's statement; the operator's settlement console, settlement runs and refunds. */
import { z } from "zod";
import { refundQuery } from "../../money/payments";
import { configuredProvider } from "../../money/providers";
import { periodSchema as period, settlePeriod } from "../../money/settlement";
import { getInvoice, getPayoutAccount, getSettlementOverview, getStatement, invoiceInput, onboardPayoutAccount, statementInput } from "../../money/views";
import { buyerProcedure, createTRPCRouter, operatorProcedure, orgProcedure, supplierProcedure } from "../trpc";

export const moneyRouter = createTRPCRouter({
  /** A buyer's invoice for a paid order of its organisation. */
  invoice: buyerProcedure.input(invoiceInput)
    .output(z.object({
      number: z.string(), orderId: z.string(), buyer: z.string(), buyerOrgId: z.string(), item: z.string(), quantity: z.number().int(), delivered: z.number().int(),
      amountMinor: z.bigint(), refundedMinor: z.bigint(), currency: z.string(), provider: z.string(), paidAt: z.date(),
    }))
    .query(({ ctx, input }) => getInvoice(ctx.prisma, { orderId: input.orderId, buyerOrgId: ctx.active.organisation.id })),
  /** Holders and developers: where their payouts go (Stripe: an onboarding link to follow; offline: ready at once). */
  payoutAccount: supplierProcedure.output(z.object({ provider: z.string(), ready: z.boolean() }).nullable())
    .query(({ ctx }) => getPayoutAccount(ctx.prisma, { orgId: ctx.active.organisation.id })),
  onboard: supplierProcedure.output(z.object({ url: z.string(), ready: z.boolean() }))
    .mutation(({ ctx }) => onboardPayoutAccount(ctx.prisma, configuredProvider(), { orgId: ctx.active.organisation.id, email: ctx.user.email, baseUrl: process.env.NEXTAUTH_URL ?? "http://localhost:3000" })),
  /** The active organisation's postings in a period (default: this month), oldest first. */
  statement: orgProcedure.input(statementInput.optional())
    .output(z.object({ period: z.string(), rows: z.array(z.object({
      at: z.date(), kind: z.string(), account: z.string(), amountMinor: z.bigint(), currency: z.string(), orderId: z.string().nullable(), queryId: z.string().nullable(),
    })) }))
    .query(({ ctx, input }) => getStatement(ctx.prisma, { orgId: ctx.active.organisation.id, period: input?.period })),
});

export const operatorMoneyRouter = {
  settlement: operatorProcedure
    .output(z.object({
      totals: z.array(z.object({ account: z.string(), currency: z.string(), amountMinor: z.bigint() })),
      payouts: z.array(z.object({ id: z.string(), orgId: z.string(), period: z.string(), amountMinor: z.bigint(), currency: z.string(), status: z.enum(["PENDING", "PAID", "FAILED"]), attempts: z.number().int(), lastError: z.string().nullable() })),
      paymentExceptions: z.array(z.object({ orderId: z.string(), status: z.string(), failure: z.string().nullable() })),
    }))
    .query(({ ctx }) => getSettlementOverview(ctx.prisma)),
  settle: operatorProcedure.input(z.object({ period })).output(z.object({ period: z.string(), paid: z.number().int(), failed: z.number().int() }))
    .mutation(({ ctx, input }) => settlePeriod(ctx.prisma, configuredProvider(), input)),
  refundQuery: operatorProcedure.input(z.object({ queryId: z.uuid(), reason: z.string().trim().min(5).max(2000) })).output(z.object({ refundedMinor: z.bigint() }))
    .mutation(({ ctx, input }) => refundQuery(ctx.prisma, configuredProvider(), { ...input, operatorOrgId: ctx.active.organisation.id })),
};
