/**
 * What a role's home page shows. The capabilities (resources, products, orders, ledger…)
 * arrive with later work; until then a home is the organisation, its members, and when
 * the role was granted: an honest empty state.
 */
import type { PrismaClient } from "../db/generated/client";
import type { MarketRoleName } from "./roles";

export async function roleHomeSummary(db: PrismaClient, opts: { organisationId: string; role: MarketRoleName }) {
  const [memberCount, grant] = await Promise.all([
    db.membership.count({ where: { organisationId: opts.organisationId } }),
    db.roleChange.findMany({
      where: { organisationId: opts.organisationId },
      orderBy: { createdAt: "desc" },
      select: { createdAt: true, reason: true, before: true, after: true },
      take: 50,
    }),
  ]).then(([n, changes]) => [n, changes.find((c) => c.after.includes(opts.role) && !c.before.includes(opts.role))] as const);
  return { role: opts.role, memberCount, grantedAt: grant?.createdAt ?? null, grantReason: grant?.reason ?? null };
}
