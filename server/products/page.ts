/** What a product page shows: terms, policy and holders, and the shape of a result. Never rows. */
import type { PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";
import { queryPolicy } from "../queries/policy";
import { pricingSchema } from "./schemas";

export async function productPage(db: PrismaClient, productId: string) {
  const p = await db.dataProduct.findUnique({
    where: { id: productId },
    include: { developer: { select: { name: true, nameZh: true } }, sources: { include: { node: { select: { organisation: { select: { name: true, nameZh: true } } } } } } },
  });
  if (!p || p.status !== "LISTED") throw new AppError("NOT_FOUND", "PRODUCT_NOT_FOUND", "No such listed product.");
  const policy = queryPolicy.parse(p.policy);
  const holders = [...new Map(p.sources.map((s) => [s.node.organisation.name, s.node.organisation])).values()];
  // The shape of a result: one row per group, one column per allowed aggregate.
  const shape = [
    ...policy.dimensions.filter((d) => d.groupable).map((d) => `${d.column} (${d.spec.kind === "category" ? d.spec.values.length : d.spec.edges.length - 1} values)`),
    "count",
    ...policy.measures.flatMap((m) => m.aggregates.filter((a) => a !== "COUNT").map((a) => `${a}(${m.column})`)),
  ];
  return {
    id: p.id, name: p.name, nameZh: p.nameZh, description: p.description, licence: p.licence, purposes: p.purposes,
    pricing: pricingSchema.parse(p.pricing), developer: p.developer, holders, policy, shape,
  };
}
