/** Orders (buyers) and approvals (holders). */
import { z } from "zod";
import { decideApproval, placeOrder, placeOrderInput } from "../../orders/orders";
import { cancelOrder, startPayment } from "../../money/payments";
import { configuredProvider } from "../../money/providers";
import { buyerProcedure, holderProcedure } from "../trpc";

const orderStatus = z.enum(["PENDING_APPROVAL", "PENDING_PAYMENT", "ACTIVE", "REFUSED", "CANCELLED"]);
const byOrder = z.object({ orderId: z.uuid() });

export const buyerOrderRouter = {
  placeOrder: buyerProcedure.input(placeOrderInput).output(z.object({ id: z.string(), status: orderStatus }))
    .mutation(({ ctx, input }) => placeOrder(ctx.prisma, { ...input, buyerOrgId: ctx.active.organisation.id, userId: ctx.user.id })),
  cancelOrder: buyerProcedure.input(byOrder).output(z.object({ id: z.string(), status: z.literal("CANCELLED") }))
    .mutation(({ ctx, input }) => cancelOrder(ctx.prisma, { ...input, buyerOrgId: ctx.active.organisation.id, userId: ctx.user.id, provider: configuredProvider() })),
  /** Pay an approved order: offline, paid at once; Stripe, a Checkout page to open. */
  payOrder: buyerProcedure.input(byOrder).output(z.object({ redirectUrl: z.string().nullable(), paid: z.boolean() }))
    .mutation(({ ctx, input }) => startPayment(ctx.prisma, configuredProvider(), {
      ...input, buyerOrgId: ctx.active.organisation.id, userId: ctx.user.id, baseUrl: process.env.NEXTAUTH_URL ?? "http://localhost:3000",
    })),
  orders: buyerProcedure
    .output(z.array(z.object({
      id: z.string(), productId: z.string(), status: orderStatus, purpose: z.string(), quota: z.number().int().nullable(), used: z.number().int(),
      validUntil: z.date().nullable(), createdAt: z.date(), amountMinor: z.bigint(), currency: z.string(), delivered: z.number().int(),
      approvals: z.array(z.object({ holderOrgId: z.string(), status: z.enum(["PENDING", "APPROVED", "REFUSED"]), reason: z.string().nullable(), dueAt: z.date() })),
    })))
    .query(({ ctx }) => ctx.prisma.order.findMany({
      where: { buyerOrgId: ctx.active.organisation.id }, orderBy: { createdAt: "desc" }, take: 50,
      select: { id: true, productId: true, status: true, purpose: true, quota: true, used: true, validUntil: true, createdAt: true, amountMinor: true, currency: true, delivered: true,
        approvals: { select: { holderOrgId: true, status: true, reason: true, dueAt: true } } },
    })),
};

export const holderApprovalRouter = {
  approvals: holderProcedure
    .output(z.array(z.object({ orderId: z.string(), status: z.enum(["PENDING", "APPROVED", "REFUSED"]), reason: z.string().nullable(), dueAt: z.date(), overdue: z.boolean(),
      order: z.object({ purpose: z.string(), buyerOrgId: z.string(), productId: z.string(), createdAt: z.date() }) })))
    .query(async ({ ctx }) => {
      const rows = await ctx.prisma.orderApproval.findMany({
        where: { holderOrgId: ctx.active.organisation.id }, orderBy: { dueAt: "asc" }, take: 100,
        select: { orderId: true, status: true, reason: true, dueAt: true, order: { select: { purpose: true, buyerOrgId: true, productId: true, createdAt: true } } },
      });
      const now = new Date();
      return rows.map((r) => ({ ...r, overdue: r.status === "PENDING" && r.dueAt <= now }));
    }),
  decideApproval: holderProcedure
    .input(byOrder.extend({ decision: z.enum(["approve", "refuse"]), reason: z.string().trim().max(2000).optional() }))
    .output(z.object({ orderStatus: orderStatus }))
    .mutation(({ ctx, input }) => decideApproval(ctx.prisma, { ...input, holderOrgId: ctx.active.organisation.id, userId: ctx.user.id })),
};
