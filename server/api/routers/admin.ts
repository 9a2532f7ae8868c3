import { z } from "zod";
import { listOrganisations, setOrganisationRoles } from "../../accounts/organisations";
import { marketRoles } from "../../accounts/roles";
import { setOrganisationRolesInput } from "../../accounts/schemas";
import { createTRPCRouter, marketAdminProcedure } from "../trpc";
import { homeProcedure } from "./homes";

const roles = z.array(z.enum(marketRoles));
const org = z.object({ id: z.string(), slug: z.string(), name: z.string(), nameZh: z.string().nullable(), kind: z.string(), roles, requestedRoles: roles });

export const adminRouter = createTRPCRouter({
  home: homeProcedure(marketAdminProcedure, "ADMIN"),

  organisations: marketAdminProcedure
    .output(z.array(org.extend({ memberCount: z.number().int() })))
    .query(({ ctx }) => listOrganisations(ctx.prisma)),

  setOrganisationRoles: marketAdminProcedure
    .input(setOrganisationRolesInput)
    .output(org)
    .mutation(({ ctx, input }) => setOrganisationRoles(ctx.prisma, { ...input, changedById: ctx.user.id })),
});
