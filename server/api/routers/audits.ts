/** Audits of delivered queries and dataset commitments (docs/proofs.md). */
import { z } from "zod";
import { auditableQueries, auditListInput, auditRequestInput, getAudit, listAudits, recommitResource, requestAndStartAudits } from "../../proofs/audits";
import { createTRPCRouter, holderProcedure, roleProcedure, supervisorProcedure } from "../trpc";

/** The supervisor audits any delivered query; a buyer its own. */
const auditorProcedure = roleProcedure("SUPERVISOR", "BUYER");
const who = (ctx: { active: { organisation: { id: string; roles: string[] } } }) => ({ orgId: ctx.active.organisation.id, supervisor: ctx.active.organisation.roles.includes("SUPERVISOR") });

const status = z.enum(["RUNNING", "PASSED", "FAILED", "NOT_PROVABLE"]);
const check = z.object({ what: z.string(), ok: z.boolean(), detail: z.string().optional() });

export const auditRouter = createTRPCRouter({
  request: auditorProcedure.input(auditRequestInput).output(z.array(z.object({ id: z.string(), nodeId: z.string(), status })))
    .mutation(({ ctx, input }) => requestAndStartAudits(ctx.prisma, { ...input, ...who(ctx), userId: ctx.user.id })),
  list: auditorProcedure.input(auditListInput).output(z.array(z.object({
    id: z.string(), queryId: z.string(), nodeId: z.string(), node: z.string(), holder: z.object({ name: z.string(), nameZh: z.string().nullable() }).nullable(),
    status, reason: z.string().nullable(), flagged: z.boolean(), chunks: z.number().int().nullable(), sample: z.array(z.number().int()), sampleBps: z.number().int(),
    provingMs: z.number().int().nullable(), createdAt: z.date(), finishedAt: z.date().nullable(),
  }))).query(({ ctx, input }) => listAudits(ctx.prisma, { ...input, ...who(ctx) })),
  get: auditorProcedure.input(z.object({ auditId: z.uuid() })).output(z.object({
    id: z.string(), queryId: z.string(), status, reason: z.string().nullable(), flagged: z.boolean(), bundleHash: z.string().nullable(), bundle: z.unknown(), checks: z.array(check).nullable(),
  })).query(({ ctx, input }) => getAudit(ctx.prisma, { ...input, ...who(ctx) })),
  /** Delivered queries, newest first, with how many audits each has. */
  queries: supervisorProcedure.output(z.array(z.object({
    id: z.string(), finishedAt: z.date().nullable(), buyerOrgId: z.string(), product: z.object({ name: z.string(), nameZh: z.string().nullable() }), audits: z.number().int(),
  }))).query(({ ctx }) => auditableQueries(ctx.prisma)),
  /** A holder asks its node to commit a resource's data anew (a new update cycle), and registers it. */
  recommit: holderProcedure.input(z.object({ resourceId: z.uuid() })).output(z.object({ root: z.string(), rows: z.number().int(), chunkRows: z.number().int() }))
    .mutation(({ ctx, input }) => recommitResource(ctx.prisma, { resourceId: input.resourceId, holderOrgId: ctx.active.organisation.id })),
});
