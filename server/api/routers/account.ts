import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { acceptInvitation, createOrganisation, listInvitationsFor } from "../../accounts/organisations";
import { marketRoles, memberRoles } from "../../accounts/roles";
import { createOrganisationInput, idSchema, signUpInput } from "../../accounts/schemas";
import { signUp } from "../../accounts/users";
import { consume } from "../../http/rate-limits";
import { authedProcedure, createTRPCRouter, publicProcedure } from "../trpc";

const orgOut = z.object({
  id: z.string(), slug: z.string(), name: z.string(), nameZh: z.string().nullable(), kind: z.string(),
  roles: z.array(z.enum(marketRoles)), requestedRoles: z.array(z.enum(marketRoles)),
});

export const accountRouter = createTRPCRouter({
  signUp: publicProcedure
    .input(signUpInput)
    .output(z.object({ userId: z.string(), organisationId: z.string() }))
    .mutation(async ({ ctx, input }) => {
      if (ctx.ip) await consume(ctx.prisma, "signUpIp", ctx.ip);
      const { user, organisation } = await signUp(ctx.prisma, input);
      return { userId: user.id, organisationId: organisation.id };
    }),

  me: authedProcedure
    .output(z.object({
      user: z.object({ id: z.string(), email: z.string(), name: z.string() }),
      memberships: z.array(z.object({ organisation: orgOut, role: z.enum(memberRoles) })),
      activeOrganisationId: z.string().nullable(),
    }))
    .query(({ ctx }) => ({
      user: { id: ctx.user.id, email: ctx.user.email, name: ctx.user.name },
      memberships: ctx.memberships,
      activeOrganisationId: ctx.active?.organisation.id ?? null,
    })),

  switchOrganisation: authedProcedure
    .input(z.object({ organisationId: idSchema }))
    .output(z.object({ organisationId: z.string() }))
    .mutation(({ ctx, input }) => {
      if (!ctx.memberships.some((m) => m.organisation.id === input.organisationId)) {
        throw new TRPCError({ code: "FORBIDDEN", message: "You are not a member of that organisation." });
      }
      ctx.rememberOrg(input.organisationId);
      return { organisationId: input.organisationId };
    }),

  createOrganisation: authedProcedure
    .input(createOrganisationInput)
    .output(orgOut)
    .mutation(({ ctx, input }) => createOrganisation(ctx.prisma, { ...input, userId: ctx.user.id })),

  invitations: authedProcedure
    .output(z.array(z.object({
      id: z.string(), role: z.enum(memberRoles), expiresAt: z.date(),
      organisation: z.object({ id: z.string(), name: z.string(), nameZh: z.string().nullable() }),
    })))
    .query(({ ctx }) => listInvitationsFor(ctx.prisma, ctx.user.email)),

  acceptInvitation: authedProcedure
    .input(z.object({ invitationId: idSchema }))
    .output(z.object({ organisationId: z.string(), role: z.enum(memberRoles) }))
    .mutation(async ({ ctx, input }) => {
      const r = await acceptInvitation(ctx.prisma, { userId: ctx.user.id, invitationId: input.invitationId });
      ctx.rememberOrg(r.organisationId);
      return r;
    }),
});
