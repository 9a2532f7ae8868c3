/**
 * The figures on each role's home. Money comes from the journal (server/money/journal.ts):
 * earnings are what delivered queries credited to a party (less refunds), paid out is what
 * settlement transferred, owed is the difference; a buyer's spend is what deliveries charged.
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
  return { queriesServed: served?.n ?? 0, pendingApprovals, resources, ...(await earnings(db, holderOrgId, "holder_payable")) };
}

/** Earned (credited by deliveries, less refunds), paid out (by settlement), and still owed, in minor units. */
export async function earnings(db: PrismaClient, orgId: string, account: "holder_payable" | "developer_payable") {
  const rows = await db.$queryRaw<{ kind: string; total: bigint | null }[]>`SELECT e."kind", sum(p."amountMinor")::bigint AS "total"
    FROM "Posting" p JOIN "JournalEntry" e ON e."id" = p."entryId"
    WHERE p."orgId" = ${orgId}::uuid AND p."account" = ${account} GROUP BY e."kind"`;
  const by = (k: string) => rows.find((r) => r.kind === k)?.total ?? 0n;
  const earned = -(by("delivery") + by("query-refund"));
  const paidOut = by("payout");
  return { earnedMinor: Number(earned), paidOutMinor: Number(paidOut), owedMinor: Number(earned - paidOut) };
}

/** Successful queries per product of this developer. */
export async function developerUsage(db: PrismaClient, developerOrgId: string) {
  const rows = await db.$queryRaw<{ productId: string; n: number }[]>`SELECT q."productId"::text AS "productId", count(*)::int AS "n"
    FROM "QueryJob" q JOIN "DataProduct" p ON p."id" = q."productId"
    WHERE q."status" = 'SUCCEEDED' AND p."developerOrgId" = ${developerOrgId}::uuid GROUP BY q."productId"`;
  return Object.fromEntries(rows.map((r) => [r.productId, r.n])) as Record<string, number>;
}

/** Orders, successful queries, what delivered queries were charged (less refunds), and what is prepaid but unused (minor units). */
export async function buyerFigures(db: PrismaClient, buyerOrgId: string) {
  const [queries, activeOrders, [money]] = await Promise.all([
    db.queryJob.count({ where: { buyerOrgId, status: "SUCCEEDED" } }),
    db.order.count({ where: { buyerOrgId, status: "ACTIVE" } }),
    db.$queryRaw<{ delivered: bigint; refunded: bigint; prepaid: bigint }[]>`SELECT
      coalesce(sum(p."amountMinor") FILTER (WHERE e."kind" = 'delivery' AND p."account" = 'buyer_prepaid'), 0)::bigint AS "delivered",
      coalesce(-sum(p."amountMinor") FILTER (WHERE e."kind" = 'query-refund' AND p."account" = 'provider_cash'), 0)::bigint AS "refunded",
      coalesce(-sum(p."amountMinor") FILTER (WHERE p."account" = 'buyer_prepaid' AND p."orgId" = ${buyerOrgId}::uuid), 0)::bigint AS "prepaid"
      FROM "Posting" p JOIN "JournalEntry" e ON e."id" = p."entryId" JOIN "Order" o ON o."id" = e."orderId"
      WHERE o."buyerOrgId" = ${buyerOrgId}::uuid`,
  ]);
  return { queries, activeOrders, chargedMinor: Number((money?.delivered ?? 0n) - (money?.refunded ?? 0n)), prepaidMinor: Number(money?.prepaid ?? 0n) };
}
