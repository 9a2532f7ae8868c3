import { z } from "zod";
import { createApiToken, createApiTokenInput, listApiTokens, revokeApiToken } from "../../accounts/api-tokens";
import { inviteMember, listMembers, setMemberRole } from "../../accounts/organisations";
import { memberRoles } from "../../accounts/roles";
import { inviteInput, setMemberRoleInput } from "../../accounts/schemas";
import { consume } from "../../http/rate-limits";
import { createTRPCRouter, orgAdminProcedure, orgProcedure } from "../trpc";

const invitationOut = z.object({ id: z.string(), email: z.string(), role: z.enum(memberRoles), expiresAt: z.date() });
const tokenOut = z.object({
  id: z.string(), name: z.string(), roles: z.array(z.string()), expiresAt: z.date(), revokedAt: z.date().nullable(), lastUsedAt: z.date().nullable(), createdAt: z.date(),
  createdBy: z.object({ name: z.string(), email: z.string() }),
});

export const organisationRouter = createTRPCRouter({
  members: orgProcedure
    .output(z.object({
      members: z.array(z.object({ id: z.string(), name: z.string(), email: z.string(), role: z.enum(memberRoles), since: z.date() })),
      invitations: z.array(invitationOut),
    }))
    .query(({ ctx }) => listMembers(ctx.prisma, ctx.active.organisation.id)),

  invite: orgAdminProcedure
    .input(inviteInput)
    .output(invitationOut)
    .mutation(async ({ ctx, input }) => {
      await consume(ctx.prisma, "invitations", ctx.user.id);
      return inviteMember(ctx.prisma, { ...input, actorRole: ctx.active.role, organisationId: ctx.active.organisation.id, invitedById: ctx.user.id });
    }),

  /** The organisation's API tokens (never their secrets). */
  apiTokens: orgAdminProcedure.output(z.array(tokenOut)).query(({ ctx }) => listApiTokens(ctx.prisma, ctx.active.organisation.id)),
  /** A new API token: its secret is in this answer only. */
  createApiToken: orgAdminProcedure
    .input(createApiTokenInput)
    .output(tokenOut.extend({ token: z.string() }))
    .mutation(({ ctx, input }) => createApiToken(ctx.prisma, {
      ...input, organisationId: ctx.active.organisation.id, userId: ctx.user.id, heldRoles: ctx.active.organisation.roles,
    })),
  revokeApiToken: orgAdminProcedure
    .input(z.object({ tokenId: z.uuid() }))
    .output(z.object({ ok: z.literal(true) }))
    .mutation(({ ctx, input }) => revokeApiToken(ctx.prisma, { organisationId: ctx.active.organisation.id, tokenId: input.tokenId })),

  setMemberRole: orgAdminProcedure
    .input(setMemberRoleInput)
    .output(z.object({ userId: z.string(), role: z.enum(memberRoles) }))
    .mutation(({ ctx, input }) => setMemberRole(ctx.prisma, {
      ...input, actorRole: ctx.active.role, organisationId: ctx.active.organisation.id,
    })),
});
