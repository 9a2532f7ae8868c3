/** A product with its sources' nodes, and its query policy parsed (an invalid stored policy is a configuration error). */
import type { PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";
import { queryPolicy } from "../queries/policy";

export async function loadPolicy(db: PrismaClient, productId: string) {
  const product = await db.dataProduct.findUnique({ where: { id: productId }, include: { sources: { include: { node: true } } } });
  if (!product) throw new AppError("NOT_FOUND", "PRODUCT_NOT_FOUND", "No such product.");
  const policy = queryPolicy.safeParse(product.policy);
  if (!policy.success) throw new AppError("CONFIG", "BAD_POLICY", `Product ${product.slug} has an invalid policy: ${policy.error.message}`);
  return { product, policy: policy.data };
}
