/** Demands: buyers post them, suppliers answer, operators watch the deadlines. */
import { z } from "zod";
import { closeDemand, closeInput, demandInput, listDemands, listMatchedDemands, listNotifications, offerInput, overdueDemands, postDemand, respondToDemand } from "../../demands/demands";
import { buyerProcedure, createTRPCRouter, operatorProcedure, orgProcedure, supplierProcedure } from "../trpc";

const demandRow = z.object({
  id: z.string(), title: z.string(), description: z.string(), fields: z.array(z.string()), purpose: z.string(), budgetMinor: z.bigint().nullable(),
  deadline: z.date(), status: z.enum(["OPEN", "CLOSED"]), confirmedAt: z.date().nullable(), publishedAt: z.date().nullable(), closedAt: z.date().nullable(), closeNote: z.string().nullable(), createdAt: z.date(),
});

export const demandRouter = createTRPCRouter({
  post: buyerProcedure.input(demandInput)
    .output(z.object({ id: z.string(), matches: z.number().int(), notified: z.number().int(), confirmBy: z.date(), publishBy: z.date() }))
    .mutation(({ ctx, input }) => postDemand(ctx.prisma, { ...input, buyerOrgId: ctx.active.organisation.id, userId: ctx.user.id })),
  mine: buyerProcedure.output(z.array(demandRow))
    .query(({ ctx }) => listDemands(ctx.prisma, { buyerOrgId: ctx.active.organisation.id })),
  close: buyerProcedure.input(closeInput).output(z.object({ id: z.string(), status: z.enum(["OPEN", "CLOSED"]), closedAt: z.date() }))
    .mutation(({ ctx, input }) => closeDemand(ctx.prisma, { ...input, buyerOrgId: ctx.active.organisation.id })),
  /** Open demands matched to what this organisation offers. */
  matched: supplierProcedure.output(z.array(demandRow))
    .query(({ ctx }) => listMatchedDemands(ctx.prisma, { ownerOrgId: ctx.active.organisation.id })),
  respond: supplierProcedure.input(offerInput).output(z.object({ id: z.string() }))
    .mutation(({ ctx, input }) => respondToDemand(ctx.prisma, { ...input, fromOrgId: ctx.active.organisation.id, userId: ctx.user.id })),
  overdue: operatorProcedure
    .output(z.array(z.object({ id: z.string(), title: z.string(), buyerOrgId: z.string(), createdAt: z.date(), confirmBy: z.date(), publishBy: z.date(), flags: z.array(z.enum(["NOT_CONFIRMED", "NOT_PUBLISHED"])) })))
    .query(({ ctx }) => overdueDemands(ctx.prisma)),
  notifications: orgProcedure
    .output(z.array(z.object({ id: z.string(), kind: z.string(), subjectId: z.string(), message: z.string(), readAt: z.date().nullable(), createdAt: z.date() })))
    .query(({ ctx }) => listNotifications(ctx.prisma, { orgId: ctx.active.organisation.id })),
});
