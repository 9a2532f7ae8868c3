/**
 * Whole flows made of domain calls, for the demo world, tests and benchmarks: a product
 * listed the way every product is (terms, submission, the operator's approval) and an
 * order approved by every holder asked and paid. Acting users are each organisation's first owner.
 */
import type { PrismaClient } from "../db/generated/client";
import { startPayment } from "../money/payments";
import { offlineProvider } from "../money/providers/offline";
import { decideApproval, placeOrder } from "../orders/orders";
import { reviewProduct, setProductTerms, submitProduct } from "../products/lifecycle";

async function ownerOf(db: PrismaClient, organisationId: string) {
  const m = await db.membership.findFirstOrThrow({ where: { organisationId, role: "OWNER" }, orderBy: { createdAt: "asc" } });
  return m.userId;
}

export const defaultTerms = {
  pricing: { model: "PER_QUERY" as const, priceMinor: 20_000 },
  shares: { developerBps: 2500, operatorBps: 1000, holdersBps: 6500 },
  licence: "Aggregate results for insurance pricing and public-health research only. No attempt to re-identify anyone; no resale.",
  purposes: ["insurance pricing", "public health research"],
};

export async function listProduct(db: PrismaClient, productId: string, terms = defaultTerms) {
  const product = await db.dataProduct.findUniqueOrThrow({ where: { id: productId } });
  const operator = await db.organisation.findFirstOrThrow({ where: { slug: "quancheng-data-operations" } });
  const devUser = await ownerOf(db, product.developerOrgId);
  await setProductTerms(db, { productId, developerOrgId: product.developerOrgId, ...terms });
  await submitProduct(db, { productId, developerOrgId: product.developerOrgId, actorId: devUser });
  await reviewProduct(db, { productId, actorId: await ownerOf(db, operator.id), decision: "approve" });
}

/** Order a listed product for a buyer, have every holder asked approve it, and pay it (offline provider). */
export async function orderApproved(db: PrismaClient, o: { productId: string; buyerOrgId: string; purpose?: string; quantity?: number }) {
  const userId = await ownerOf(db, o.buyerOrgId);
  const order = await placeOrder(db, { productId: o.productId, buyerOrgId: o.buyerOrgId, userId, purpose: o.purpose ?? defaultTerms.purposes[0]!, quantity: o.quantity ?? 100 });
  for (const a of await db.orderApproval.findMany({ where: { orderId: order.id, status: "PENDING" } })) {
    await decideApproval(db, { orderId: order.id, holderOrgId: a.holderOrgId, userId: await ownerOf(db, a.holderOrgId), decision: "approve" });
  }
  await startPayment(db, offlineProvider(), { orderId: order.id, buyerOrgId: o.buyerOrgId, userId, baseUrl: "http://localhost" });
  return order.id;
}
