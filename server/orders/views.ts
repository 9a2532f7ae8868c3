/**
 * Orders as the people deciding about them see them: a holder's approval queue and a buyer's
 * orders, each with the context a decision needs (who asks, for which product and purpose,
 * how much, which of the holder's fields, who has yet to answer). Read-only.
 */
import type { PrismaClient } from "../db/generated/client";
import { queryPolicy } from "../queries/policy";

type Named = { name: string; nameZh: string | null };
const unknownOrg: Named = { name: "(unknown organisation)", nameZh: null };

async function orgNames(db: PrismaClient, ids: string[]): Promise<Map<string, Named>> {
  const rows = await db.organisation.findMany({ where: { id: { in: [...new Set(ids)] } }, select: { id: true, name: true, nameZh: true } });
  return new Map(rows.map((r) => [r.id, { name: r.name, nameZh: r.nameZh }]));
}

/** One field a product reads, labelled by the holder's own description when it gave one. */
export type FieldUse = { column: string; role: "dimension" | "measure"; label: string | null; labelZh: string | null };
type Field = { name: string; description?: string; label?: string; labelZh?: string };
const labelOf = (f: Field | undefined) => ({ label: f?.label ?? f?.description ?? null, labelZh: f?.labelZh ?? null });

/**
 * The products' names and the fields each reads. With `holderOrgId`, fields are labelled from
 * that holder's resources behind the product (what the holder registered and recognises).
 */
async function productContext(db: PrismaClient, productIds: string[], holderOrgId?: string) {
  const products = await db.dataProduct.findMany({
    where: { id: { in: [...new Set(productIds)] } },
    select: { id: true, name: true, nameZh: true, policy: true, sources: { select: { nodeId: true, dataset: true } } },
  });
  const resources = holderOrgId ? await db.dataResource.findMany({
    where: { holderOrgId, OR: products.flatMap((p) => p.sources.map((s) => ({ nodeId: s.nodeId, dataset: s.dataset }))) },
    select: { name: true, nameZh: true, nodeId: true, dataset: true, fields: true },
  }) : [];
  return new Map(products.map((p) => {
    const policy = queryPolicy.safeParse(p.policy);
    const mine = resources.filter((r) => p.sources.some((s) => s.nodeId === r.nodeId && s.dataset === r.dataset));
    const described = new Map(mine.flatMap((r) => (r.fields as Field[]).map((f) => [f.name, f] as const)));
    const fields: FieldUse[] = policy.success ? [
      ...policy.data.dimensions.map((d) => ({ column: d.column, role: "dimension" as const, ...labelOf(described.get(d.column)) })),
      ...policy.data.measures.map((m) => ({ column: m.column, role: "measure" as const, ...labelOf(described.get(m.column)) })),
    ] : [];
    return [p.id, { name: p.name, nameZh: p.nameZh, fields, resources: mine.map((r) => ({ name: r.name, nameZh: r.nameZh })) }] as const;
  }));
}

/** A holder's approvals, the earliest deadline first, with everything to decide on. */
export async function holderApprovals(db: PrismaClient, holderOrgId: string, now = new Date()) {
  const rows = await db.orderApproval.findMany({
    where: { holderOrgId }, orderBy: { dueAt: "asc" }, take: 100,
    select: { orderId: true, status: true, reason: true, dueAt: true, decidedAt: true,
      order: { select: { purpose: true, buyerOrgId: true, productId: true, createdAt: true, quota: true, amountMinor: true, currency: true, pricing: true } } },
  });
  const [buyers, products] = await Promise.all([orgNames(db, rows.map((r) => r.order.buyerOrgId)), productContext(db, rows.map((r) => r.order.productId), holderOrgId)]);
  return rows.map((r) => {
    const p = products.get(r.order.productId);
    const { pricing, ...order } = r.order;
    return {
      ...r, overdue: r.status === "PENDING" && r.dueAt <= now,
      order: { ...order, model: (pricing as { model?: string } | null)?.model ?? "PER_QUERY" },
      buyer: buyers.get(r.order.buyerOrgId) ?? unknownOrg,
      product: { name: p?.name ?? r.order.productId, nameZh: p?.nameZh ?? null, fields: p?.fields ?? [], resources: p?.resources ?? [] },
    };
  });
}

/** A buyer's orders, with the product's name and each holder's answer (pending ones too). */
export async function buyerOrders(db: PrismaClient, buyerOrgId: string) {
  const orders = await db.order.findMany({
    where: { buyerOrgId }, orderBy: { createdAt: "desc" }, take: 50,
    select: { id: true, productId: true, status: true, purpose: true, quota: true, used: true, validUntil: true, createdAt: true, amountMinor: true, currency: true, delivered: true,
      approvals: { select: { holderOrgId: true, status: true, reason: true, dueAt: true } } },
  });
  const [holders, products, payments] = await Promise.all([
    orgNames(db, orders.flatMap((o) => o.approvals.map((a) => a.holderOrgId))), productContext(db, orders.map((o) => o.productId)),
    db.payment.findMany({ where: { orderId: { in: orders.map((o) => o.id) } }, select: { orderId: true, status: true, refundedMinor: true } }),
  ]);
  const paymentOf = new Map(payments.map((p) => [p.orderId, p]));
  return orders.map((o) => ({
    ...o,
    product: { name: products.get(o.productId)?.name ?? o.productId, nameZh: products.get(o.productId)?.nameZh ?? null },
    approvals: o.approvals.map((a) => ({ ...a, holder: holders.get(a.holderOrgId) ?? unknownOrg })),
    /** the payment went through (a refunded one did too) */
    paid: paymentOf.get(o.id)?.status === "SUCCEEDED" || paymentOf.get(o.id)?.status === "REFUNDED",
    refundedMinor: paymentOf.get(o.id)?.refundedMinor ?? 0n,
  }));
}
