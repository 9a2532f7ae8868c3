/**
 * Privacy budgets as each party sees them: ε spent per buyer organisation and dataset (over every
 * product built on it) in the rolling window, what is left, and when ε starts coming back.
 * A buyer sees its own accounts, a holder the accounts on its datasets, the supervisor all.
 * The holder's node keeps its own account besides (computation/node/journal.ts): that one is
 * what stops a query, whatever this database says.
 */
import { z } from "zod";
import type { PrismaClient } from "../db/generated/client";
import { floorSettings } from "./floor";

export const budgetRow = z.object({
  buyer: z.object({ id: z.string(), name: z.string(), nameZh: z.string().nullable() }),
  holder: z.object({ name: z.string(), nameZh: z.string().nullable() }),
  node: z.string(), dataset: z.string(),
  spent: z.number(), total: z.number(), queries: z.number().int(),
  periodDays: z.number().int(),
  /** when the oldest charge in the window leaves it (ε starts coming back); null when nothing is spent */
  refreshesAt: z.date().nullable(),
});
export type BudgetRow = z.infer<typeof budgetRow>;

export async function privacyBudgets(db: PrismaClient, scope: { buyerOrgId: string } | { holderOrgId: string } | { all: true }): Promise<BudgetRow[]> {
  const f = floorSettings();
  const period = f.periodDays * 86_400_000;
  const nodes = "holderOrgId" in scope ? await db.computationNode.findMany({ where: { organisationId: scope.holderOrgId }, select: { id: true } }) : null;
  const charges = await db.epsilonCharge.findMany({
    where: {
      createdAt: { gte: new Date(Date.now() - period) },
      ...("buyerOrgId" in scope ? { buyerOrgId: scope.buyerOrgId } : {}),
      ...(nodes ? { nodeId: { in: nodes.map((n) => n.id) } } : {}),
    },
    orderBy: { createdAt: "asc" },
  });
  const accounts = new Map<string, { buyerOrgId: string; nodeId: string; dataset: string; spent: number; queries: number; oldest: Date }>();
  for (const c of charges) {
    const key = `${c.buyerOrgId}|${c.nodeId}|${c.dataset}`;
    const a = accounts.get(key) ?? { buyerOrgId: c.buyerOrgId, nodeId: c.nodeId, dataset: c.dataset, spent: 0, queries: 0, oldest: c.createdAt };
    a.spent += c.epsilon;
    a.queries += 1;
    accounts.set(key, a);
  }
  const list = [...accounts.values()];
  const [orgs, nodeRows] = await Promise.all([
    db.organisation.findMany({ where: { id: { in: [...new Set(list.map((a) => a.buyerOrgId))] } }, select: { id: true, name: true, nameZh: true } }),
    db.computationNode.findMany({ where: { id: { in: [...new Set(list.map((a) => a.nodeId))] } }, select: { id: true, name: true, organisation: { select: { name: true, nameZh: true } } } }),
  ]);
  const org = new Map(orgs.map((o) => [o.id, o]));
  const node = new Map(nodeRows.map((n) => [n.id, n]));
  return list.map((a) => ({
    buyer: org.get(a.buyerOrgId) ?? { id: a.buyerOrgId, name: "?", nameZh: null },
    holder: node.get(a.nodeId)?.organisation ?? { name: "?", nameZh: null },
    node: node.get(a.nodeId)?.name ?? "?", dataset: a.dataset,
    spent: Math.round(a.spent * 1e9) / 1e9, total: f.epsilonPerDataset, queries: a.queries, periodDays: f.periodDays,
    refreshesAt: new Date(a.oldest.getTime() + period),
  })).sort((x, y) => y.spent - x.spent);
}
