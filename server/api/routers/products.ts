/** Products: developers build and submit them, operators review them. */
import { z } from "zod";
import { buildableResources } from "../../products/buildable";
import { createProductFromResources, productDraftInput } from "../../products/from-resources";
import { listDeveloperProducts, listProductsOnSale, pauseProduct, resumeProduct, reviewProduct, setProductTerms, submitProduct } from "../../products/lifecycle";
import { reviewQueue } from "../../products/page";
import { sharesSchema, termsSchema } from "../../products/schemas";
import { fieldSchema, sharingClasses } from "../../resources/schemas";
import { productDetails } from "./catalog";
import { developerProcedure, operatorProcedure } from "../trpc";

const status = z.enum(["DRAFT", "SUBMITTED", "REJECTED", "LISTED", "PAUSED"]);
const moved = z.object({ id: z.string(), status, reviewNote: z.string().nullable() });
const productRow = z.object({ id: z.string(), slug: z.string(), name: z.string(), nameZh: z.string().nullable(), status, reviewNote: z.string().nullable(), createdAt: z.date() });
const byId = z.object({ productId: z.uuid() });
const buildableResource = z.object({
  id: z.string(), name: z.string(), nameZh: z.string().nullable(),
  holder: z.object({ name: z.string(), nameZh: z.string().nullable() }),
  sharing: z.enum(sharingClasses), fields: z.array(fieldSchema),
});

export const developerProductRouter = {
  products: developerProcedure.output(z.array(productRow)).query(({ ctx }) => listDeveloperProducts(ctx.prisma, { developerOrgId: ctx.active.organisation.id })),
  /** Resources a product can be built on (served by a node, shared), with their declared fields. */
  buildableResources: developerProcedure.output(z.array(buildableResource)).query(({ ctx }) => buildableResources(ctx.prisma)),
  createProduct: developerProcedure.input(productDraftInput).output(z.object({ id: z.string(), slug: z.string() }))
    .mutation(({ ctx, input }) => createProductFromResources(ctx.prisma, { ...input, developerOrgId: ctx.active.organisation.id })),
  setProductTerms: developerProcedure.input(byId.extend(termsSchema.shape)).output(z.object({ id: z.string() }))
    .mutation(({ ctx, input }) => setProductTerms(ctx.prisma, { ...input, developerOrgId: ctx.active.organisation.id })),
  submitProduct: developerProcedure.input(byId).output(moved)
    .mutation(({ ctx, input }) => submitProduct(ctx.prisma, { ...input, developerOrgId: ctx.active.organisation.id, actorId: ctx.user.id })),
  pauseProduct: developerProcedure.input(byId).output(moved)
    .mutation(({ ctx, input }) => pauseProduct(ctx.prisma, { ...input, developerOrgId: ctx.active.organisation.id, actorId: ctx.user.id })),
  resumeProduct: developerProcedure.input(byId).output(moved)
    .mutation(({ ctx, input }) => resumeProduct(ctx.prisma, { ...input, developerOrgId: ctx.active.organisation.id, actorId: ctx.user.id })),
};

export const operatorProductRouter = {
  reviewQueue: operatorProcedure.output(z.array(z.object({
    id: z.string(), slug: z.string(), name: z.string(), nameZh: z.string().nullable(), createdAt: z.date(),
    details: productDetails.extend({ shares: sharesSchema.nullable() }).nullable(),
  }))).query(({ ctx }) => reviewQueue(ctx.prisma)),
  listedProducts: operatorProcedure.output(z.array(productRow)).query(({ ctx }) => listProductsOnSale(ctx.prisma)),
  reviewProduct: operatorProcedure
    .input(byId.extend({ decision: z.enum(["approve", "reject"]), reason: z.string().trim().max(2000).optional() }))
    .output(moved)
    .mutation(({ ctx, input }) => reviewProduct(ctx.prisma, { ...input, actorId: ctx.user.id, actorOrgId: ctx.active.organisation.id })),
  pauseProduct: operatorProcedure.input(byId.extend({ reason: z.string().trim().min(5).max(2000) })).output(moved)
    .mutation(({ ctx, input }) => pauseProduct(ctx.prisma, { ...input, actorId: ctx.user.id, actorOrgId: ctx.active.organisation.id })),
};
