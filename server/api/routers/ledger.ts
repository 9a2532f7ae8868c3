/** The ledger: public reads for everyone; the feed of one's own events; supervision. */
import { z } from "zod";
import { ledgerApi, ledgerInputs, ledgerOutputs } from "../../ledger/api";
import { currentCheckpoint } from "../../ledger/log";
import { feed, feedInput, lift, liftInput, listSuspensions, getSupervisorDirectory, statistics, suspend, suspendInput } from "../../ledger/supervision";
import { createTRPCRouter, orgProcedure, publicProcedure, supervisorProcedure } from "../trpc";

const feedOut = z.array(z.object({
  index: z.number().int(), entryId: z.string(), type: z.string(), actorOrgId: z.string().nullable(), objectId: z.string().nullable(), body: z.string(), createdAt: z.date(),
}));

export const ledgerRouter = createTRPCRouter({
  key: publicProcedure.output(ledgerOutputs.key).query(() => ledgerApi.key()),
  checkpoint: publicProcedure.output(ledgerOutputs.checkpoint).query(({ ctx }) => ledgerApi.checkpoint(ctx.prisma)),
  inclusion: publicProcedure.input(ledgerInputs.inclusion).output(ledgerOutputs.proof).query(({ ctx, input }) => ledgerApi.inclusion(ctx.prisma, input)),
  inclusionMany: publicProcedure.input(ledgerInputs.inclusionMany).output(ledgerOutputs.proofs).query(({ ctx, input }) => ledgerApi.inclusionMany(ctx.prisma, input)),
  consistency: publicProcedure.input(ledgerInputs.consistency).output(ledgerOutputs.proof).query(({ ctx, input }) => ledgerApi.consistency(ctx.prisma, input)),
  leaves: publicProcedure.input(ledgerInputs.leaves).output(ledgerOutputs.leaves).query(({ ctx, input }) => ledgerApi.leaves(ctx.prisma, input)),
  entry: publicProcedure.input(ledgerInputs.entry).output(ledgerOutputs.entry).query(({ ctx, input }) => ledgerApi.entry(ctx.prisma, input)),
  /** Events where the active organisation acted. */
  mine: orgProcedure.input(feedInput.omit({ actorOrgId: true })).output(feedOut)
    .query(({ ctx, input }) => feed(ctx.prisma, { ...input, actorOrgId: ctx.active.organisation.id })),
});

export const supervisionRouter = {
  feed: supervisorProcedure.input(feedInput).output(feedOut).query(({ ctx, input }) => feed(ctx.prisma, input)),
  statistics: supervisorProcedure
    .output(z.object({
      perProduct: z.array(z.object({ productId: z.string().nullable(), n: z.number().int() })),
      epsilonPerBuyer: z.array(z.object({ buyerOrgId: z.string().nullable(), epsilon: z.number() })),
      refused: z.array(z.object({ code: z.string().nullable(), n: z.number().int() })),
      consentsPerPurpose: z.array(z.object({ purpose: z.string().nullable(), n: z.number().int() })),
    }))
    .query(({ ctx }) => statistics(ctx.prisma)),
  /** Who and what can be named in the console: organisations and products. */
  directory: supervisorProcedure
    .output(z.object({
      orgs: z.array(z.object({ id: z.string(), name: z.string(), nameZh: z.string().nullable(), roles: z.array(z.string()) })),
      products: z.array(z.object({ id: z.string(), name: z.string(), nameZh: z.string().nullable(), status: z.string() })),
    }))
    .query(({ ctx }) => getSupervisorDirectory(ctx.prisma)),
  suspensions: supervisorProcedure
    .output(z.array(z.object({ id: z.string(), kind: z.enum(["BUYER", "PRODUCT"]), targetId: z.string(), reason: z.string(), createdAt: z.date(), liftedAt: z.date().nullable(), liftReason: z.string().nullable() })))
    .query(({ ctx }) => listSuspensions(ctx.prisma)),
  suspend: supervisorProcedure.input(suspendInput).output(z.object({ id: z.string() }))
    .mutation(({ ctx, input }) => suspend(ctx.prisma, { ...input, supervisorOrgId: ctx.active.organisation.id, userId: ctx.user.id })),
  lift: supervisorProcedure.input(liftInput).output(z.object({ id: z.string() }))
    .mutation(({ ctx, input }) => lift(ctx.prisma, { ...input, supervisorOrgId: ctx.active.organisation.id, userId: ctx.user.id })),
  /** Sign a checkpoint now, even if the tree has not grown. */
  issueCheckpoint: supervisorProcedure.output(ledgerOutputs.checkpoint).mutation(({ ctx }) => currentCheckpoint(ctx.prisma, { force: true })),
};
