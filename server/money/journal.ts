/**
 * The double-entry journal, in whole minor units with a currency. Every entry's postings sum
 * to zero (debits positive, credits negative); balances are sums of postings, never stored.
 *
 * Accounts:
 *   provider_cash       money held at the payment provider (asset)
 *   buyer_prepaid:org   paid by a buyer, not yet delivered (liability)
 *   operator_revenue:org  the market operator's fees (revenue)
 *   developer_payable:org, holder_payable:org  earned, owed until paid out (liabilities)
 */
import type { Prisma, PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";

export const accounts = ["provider_cash", "buyer_prepaid", "operator_revenue", "developer_payable", "holder_payable"] as const;
export type AccountName = (typeof accounts)[number];
export type Line = { account: AccountName; orgId?: string | null; amountMinor: bigint };

type Tx = Prisma.TransactionClient;

/**
 * Post one balanced entry, once: a second post with the same idempotency key returns the
 * first entry's id and writes nothing.
 */
export async function post(tx: Tx, e: { kind: string; idempotencyKey: string; currency: string; orderId?: string; queryId?: string; memo?: string; lines: Line[] }): Promise<{ id: string; created: boolean }> {
  if (!/^[a-z]{3}$/.test(e.currency)) throw new AppError("BAD_INPUT", "BAD_CURRENCY", `"${e.currency}" is not a currency code.`);
  const lines = e.lines.filter((l) => l.amountMinor !== 0n);
  for (const l of lines) if (typeof l.amountMinor !== "bigint") throw new AppError("BAD_INPUT", "NOT_MINOR_UNITS", "Amounts are whole minor units.");
  const sum = lines.reduce((a, l) => a + l.amountMinor, 0n);
  if (sum !== 0n) throw new AppError("BAD_INPUT", "UNBALANCED", `A journal entry must balance; this one is off by ${sum} minor units.`);
  if (lines.length === 0) throw new AppError("BAD_INPUT", "EMPTY_ENTRY", "A journal entry needs postings.");
  const existing = await tx.journalEntry.findUnique({ where: { idempotencyKey: e.idempotencyKey } });
  if (existing) {
    if (existing.currency !== e.currency || existing.kind !== e.kind) throw new AppError("CONFLICT", "IDEMPOTENCY_MISMATCH", "This idempotency key was used for another entry.");
    return { id: existing.id, created: false };
  }
  const entry = await tx.journalEntry.create({
    data: {
      kind: e.kind, idempotencyKey: e.idempotencyKey, currency: e.currency, orderId: e.orderId, queryId: e.queryId, memo: e.memo,
      postings: { create: lines.map((l) => ({ account: l.account, orgId: l.orgId ?? null, amountMinor: l.amountMinor, currency: e.currency })) },
    },
  });
  return { id: entry.id, created: true };
}

/** Balance of accounts, optionally of one organisation: sum of postings per account and currency. */
export async function balances(db: PrismaClient | Tx, o: { orgId?: string } = {}) {
  const rows = await db.posting.groupBy({ by: ["account", "orgId", "currency"], where: o.orgId ? { orgId: o.orgId } : {}, _sum: { amountMinor: true } });
  return rows.map((r) => ({ account: r.account as AccountName, orgId: r.orgId, currency: r.currency, amountMinor: r._sum.amountMinor ?? 0n }));
}

/** Every entry balances, and the whole journal sums to zero per currency. */
export async function journalBalances(db: PrismaClient): Promise<boolean> {
  const off = await db.$queryRaw<{ n: bigint }[]>`SELECT count(*)::bigint AS "n" FROM (SELECT "entryId" FROM "Posting" GROUP BY "entryId" HAVING sum("amountMinor") <> 0) x`;
  return (off[0]?.n ?? 0n) === 0n;
}
