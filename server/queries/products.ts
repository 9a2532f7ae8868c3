/**
 * Data products as far as encrypted queries need them: a policy over datasets on
 * holders' nodes. A product starts as a DRAFT; server/products/lifecycle.ts takes it to
 * review and listing.
 */
import { z } from "zod";
import type { Prisma, PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";
import { pricingSchema } from "../products/schemas";
import { queryPolicy } from "./policy";

export const createProductInput = z.object({
  slug: z.string().regex(/^[a-z0-9-]{3,60}$/, { error: "Use 3–60 lowercase letters, digits and dashes." }),
  name: z.string().trim().min(2).max(120),
  nameZh: z.string().trim().min(2).max(120).optional(),
  description: z.string().max(4000).default(""),
  policy: queryPolicy,
  sources: z.array(z.object({ nodeId: z.uuid(), dataset: z.string().min(1).max(64) })).min(1).max(32),
});

export async function createQueryProduct(db: PrismaClient, opts: { developerOrgId: string } & z.input<typeof createProductInput>) {
  const input = createProductInput.parse(opts);
  // Secure aggregation pairs nodes: one source per node keeps the masks well defined.
  if (new Set(input.sources.map((s) => s.nodeId)).size !== input.sources.length) {
    throw new AppError("BAD_INPUT", "DUPLICATE_NODE", "Each node may serve one dataset of a product.");
  }
  const nodes = await db.computationNode.count({ where: { id: { in: input.sources.map((s) => s.nodeId) } } });
  if (nodes !== input.sources.length) throw new AppError("NOT_FOUND", "NODE_NOT_FOUND", "A source names an unknown node.");
  return db.dataProduct.create({
    data: {
      slug: input.slug, name: input.name, nameZh: input.nameZh, description: input.description, status: "DRAFT",
      developerOrgId: opts.developerOrgId, policy: input.policy as Prisma.InputJsonValue,
      sources: { create: input.sources },
    },
    select: { id: true, slug: true },
  });
}

export async function listQueryableProducts(db: PrismaClient) {
  const rows = await db.dataProduct.findMany({
    where: { status: "LISTED" }, orderBy: { createdAt: "asc" },
    select: { id: true, slug: true, name: true, nameZh: true, description: true, policy: true, purposes: true, pricing: true, _count: { select: { sources: true } } },
  });
  return rows.map(({ _count, policy, pricing, ...p }) => ({ ...p, policy: queryPolicy.parse(policy), pricing: pricingSchema.parse(pricing), sourceCount: _count.sources }));
}
