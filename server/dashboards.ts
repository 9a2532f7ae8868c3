/**
 * The figures on each role's home. Money here is what queries have accrued at their order's
 * price; payment and settlement (and so earnings actually paid) come with the operation work.
 */
import type { PrismaClient } from "./db/generated/client";

/** Queries answered with this holder's data, and how many wait for its approval. */
export async function holderFigures(db: PrismaClient, holderOrgId: string) {
  const [[served], pendingApprovals, resources] = await Promise.all([
    db.$queryRaw<{ n: number }[]>`SELECT count(DISTINCT q."id")::int AS "n" FROM "QueryJob" q
      JOIN "ProductSource" s ON s."productId" = q."productId" JOIN "ComputationNode" n ON n."id" = s."nodeId"
      WHERE q."status" = 'SUCCEEDED' AND n."organisationId" = ${holderOrgId}::uuid`,
    db.orderApproval.count({ where: { holderOrgId, status: "PENDING" } }),
    db.dataResource.count({ where: { holderOrgId, status: "ACTIVE" } }),
  ]);
  return { queriesServed: served?.n ?? 0, pendingApprovals, resources };
}

/** Successful queries per product of this developer. */
export async function developerUsage(db: PrismaClient, developerOrgId: string) {
  const rows = await db.$queryRaw<{ productId: string; n: number }[]>`SELECT q."productId"::text AS "productId", count(*)::int AS "n"
    FROM "QueryJob" q JOIN "DataProduct" p ON p."id" = q."productId"
    WHERE q."status" = 'SUCCEEDED' AND p."developerOrgId" = ${developerOrgId}::uuid GROUP BY q."productId"`;
  return Object.fromEntries(rows.map((r) => [r.productId, r.n])) as Record<string, number>;
}

/** Orders, successful queries, and what per-query orders have accrued (minor units). */
export async function buyerFigures(db: PrismaClient, buyerOrgId: string) {
  const [[row], activeOrders] = await Promise.all([
    db.$queryRaw<{ n: number; accrued: bigint | null }[]>`SELECT count(*)::int AS "n",
      sum(CASE WHEN o."pricing"->>'model' = 'PER_QUERY' THEN (o."pricing"->>'priceMinor')::bigint ELSE 0 END)::bigint AS "accrued"
      FROM "QueryJob" q LEFT JOIN "Order" o ON o."id" = q."orderId"
      WHERE q."status" = 'SUCCEEDED' AND q."buyerOrgId" = ${buyerOrgId}::uuid`,
    db.order.count({ where: { buyerOrgId, status: "ACTIVE" } }),
  ]);
  return { queries: row?.n ?? 0, accruedMinor: Number(row?.accrued ?? 0n), activeOrders };
}
