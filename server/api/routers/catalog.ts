/** The catalog: anyone signed in may browse and search it (it describes, never reveals, data). */
import { z } from "zod";
import { searchCatalog, searchInput } from "../../catalog/catalog";
import { productPage } from "../../products/page";
import { pricingSchema } from "../../products/schemas";
import { queryPolicy } from "../../queries/policy";
import { authedProcedure, createTRPCRouter } from "../trpc";

const named = z.object({ name: z.string(), nameZh: z.string().nullable() });
/** A product as its page (and the operator's review) describes it. */
export const productDetails = z.object({
  id: z.string(), name: z.string(), nameZh: z.string().nullable(), description: z.string(), licence: z.string(), purposes: z.array(z.string()),
  pricing: pricingSchema, developer: named, holders: z.array(named), policy: queryPolicy, shape: z.array(z.string()),
});

export const catalogRouter = createTRPCRouter({
  search: authedProcedure
    .input(searchInput)
    .output(z.object({
      items: z.array(z.object({
        kind: z.enum(["RESOURCE", "PRODUCT"]), refId: z.string(), ownerOrgId: z.string(), ownerName: z.string(), ownerNameZh: z.string().nullable(), title: z.string(), titleZh: z.string().nullable(),
        summary: z.string(), domain: z.string(), sharing: z.string().nullable(), updateCycle: z.string().nullable(),
        priceMinor: z.bigint().nullable(), usedCount: z.number().int(), createdAt: z.date(), rank: z.number(),
      })),
      /** matches counted up to 1,000; `more` when there are more */
      total: z.number().int(), more: z.boolean(), page: z.number().int(), pageSize: z.number().int(),
    }))
    .query(({ ctx, input }) => searchCatalog(ctx.db.read, input)),

  /** A listed product's page: terms, policy, holders, the shape of a result (never rows). */
  product: authedProcedure
    .input(z.object({ id: z.uuid() }))
    .output(productDetails)
    .query(({ ctx, input }) => productPage(ctx.prisma, input.id)),
});
