/** Orders (buyers) and approvals (holders). */
import { z } from "zod";
import { decideApproval, placeOrder, placeOrderInput } from "../../orders/orders";
import { buyerOrders, holderApprovals } from "../../orders/views";
import { cancelOrder, startPayment } from "../../money/payments";
import { configuredProvider } from "../../money/providers";
import { buyerProcedure, holderProcedure } from "../trpc";

const orderStatus = z.enum(["PENDING_APPROVAL", "PENDING_PAYMENT", "ACTIVE", "REFUSED", "CANCELLED"]);
const byOrder = z.object({ orderId: z.uuid() });
const approvalStatus = z.enum(["PENDING", "APPROVED", "REFUSED"]);
const named = z.object({ name: z.string(), nameZh: z.string().nullable() });

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
      product: named, paid: z.boolean(), refundedMinor: z.bigint(),
      approvals: z.array(z.object({ holderOrgId: z.string(), holder: named, status: approvalStatus, reason: z.string().nullable(), dueAt: z.date() })),
    })))
    .query(({ ctx }) => buyerOrders(ctx.prisma, ctx.active.organisation.id)),
};

export const holderApprovalRouter = {
  approvals: holderProcedure
    .output(z.array(z.object({
      orderId: z.string(), status: approvalStatus, reason: z.string().nullable(), dueAt: z.date(), decidedAt: z.date().nullable(), overdue: z.boolean(),
      order: z.object({ purpose: z.string(), buyerOrgId: z.string(), productId: z.string(), createdAt: z.date(), quota: z.number().int().nullable(), amountMinor: z.bigint(), currency: z.string(), model: z.string() }),
      buyer: named,
      product: named.extend({
        fields: z.array(z.object({ column: z.string(), role: z.enum(["dimension", "measure"]), label: z.string().nullable(), labelZh: z.string().nullable() })),
        resources: z.array(named),
      }),
    })))
    .query(({ ctx }) => holderApprovals(ctx.prisma, ctx.active.organisation.id)),
  decideApproval: holderProcedure
    .input(byOrder.extend({ decision: z.enum(["approve", "refuse"]), reason: z.string().trim().max(2000).optional() }))
    .output(z.object({ orderStatus: orderStatus }))
    .mutation(({ ctx, input }) => decideApproval(ctx.prisma, { ...input, holderOrgId: ctx.active.organisation.id, userId: ctx.user.id })),
};
