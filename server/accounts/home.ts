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
    db.roleChange.findFirst({
      where: { organisationId: opts.organisationId, after: { has: opts.role }, NOT: { before: { has: opts.role } } },
      orderBy: { createdAt: "desc" },
      select: { createdAt: true, reason: true },
    }),
  ]);
  return { role: opts.role, memberCount, grantedAt: grant?.createdAt ?? null, grantReason: grant?.reason ?? null };
}
