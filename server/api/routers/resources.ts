/** Resource registration (holders). */
import { z } from "zod";
import { listResources, reclassifyResource, registerResource, retireResource, updateResource } from "../../resources/resources";
import { fieldSchema, reclassifyInput, resourceInput, sharingClasses, updateCycles } from "../../resources/schemas";
import { holderProcedure } from "../trpc";

const resourceOut = z.object({
  id: z.string(), name: z.string(), nameZh: z.string().nullable(), description: z.string(), domain: z.string(),
  fields: z.array(fieldSchema), updateCycle: z.enum(updateCycles), sharing: z.enum(sharingClasses),
  nodeId: z.string().nullable(), dataset: z.string().nullable(), commitment: z.string().nullable(),
  certificateNo: z.string(), version: z.number().int(), status: z.enum(["ACTIVE", "RETIRED"]),
  createdAt: z.date(), updatedAt: z.date(), retiredAt: z.date().nullable(),
});

export const holderResourceRouter = {
  resources: holderProcedure
    .output(z.array(resourceOut.extend({
      effectiveSharing: z.enum(sharingClasses),
      emergency: z.object({ toClass: z.enum(sharingClasses), reason: z.string(), endsAt: z.date() }).passthrough().nullable(),
    })))
    .query(({ ctx }) => listResources(ctx.prisma, ctx.active.organisation.id)),

  registerResource: holderProcedure.input(resourceInput).output(resourceOut)
    .mutation(({ ctx, input }) => registerResource(ctx.prisma, { ...input, holderOrgId: ctx.active.organisation.id })),

  updateResource: holderProcedure
    .input(z.object({ resourceId: z.uuid(), expectedVersion: z.number().int().positive(), resource: resourceInput }))
    .output(resourceOut)
    .mutation(({ ctx, input }) => updateResource(ctx.prisma, {
      ...input.resource, resourceId: input.resourceId, expectedVersion: input.expectedVersion, holderOrgId: ctx.active.organisation.id, userId: ctx.user.id,
    })),

  retireResource: holderProcedure.input(z.object({ resourceId: z.uuid() })).output(resourceOut)
    .mutation(({ ctx, input }) => retireResource(ctx.prisma, { resourceId: input.resourceId, holderOrgId: ctx.active.organisation.id })),

  reclassifyResource: holderProcedure.input(reclassifyInput)
    .output(z.object({ id: z.string(), fromClass: z.enum(sharingClasses), toClass: z.enum(sharingClasses), reason: z.string(), startsAt: z.date(), endsAt: z.date() }))
    .mutation(({ ctx, input }) => reclassifyResource(ctx.prisma, { ...input, holderOrgId: ctx.active.organisation.id, userId: ctx.user.id })),
};
