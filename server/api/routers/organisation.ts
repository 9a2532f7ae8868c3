import { z } from "zod";
import { inviteMember, listMembers, setMemberRole } from "../../accounts/organisations";
import { memberRoles } from "../../accounts/roles";
import { inviteInput, setMemberRoleInput } from "../../accounts/schemas";
import { createTRPCRouter, orgAdminProcedure, orgProcedure } from "../trpc";

const invitationOut = z.object({ id: z.string(), email: z.string(), role: z.enum(memberRoles), expiresAt: z.date() });

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
    .mutation(({ ctx, input }) => inviteMember(ctx.prisma, {
      ...input, actorRole: ctx.active.role, organisationId: ctx.active.organisation.id, invitedById: ctx.user.id,
    })),

  setMemberRole: orgAdminProcedure
    .input(setMemberRoleInput)
    .output(z.object({ userId: z.string(), role: z.enum(memberRoles) }))
    .mutation(({ ctx, input }) => setMemberRole(ctx.prisma, {
      ...input, actorRole: ctx.active.role, organisationId: ctx.active.organisation.id,
    })),
});
