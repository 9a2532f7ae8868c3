/**
 * Settlement: once a period (a calendar month, "2026-11") has ended, what each developer and
 * holder earned in it is paid out to its account at the provider, one payout per party per
 * period, never two (unique per party and period; the transfer carries an idempotency key).
 * The worker settles the previous month every hour (a no-op once done) and so retries failures.
 * A failed transfer is kept as FAILED with its error and retried by the next run; the journal
 * is posted only once the provider has accepted the transfer.
 */
import { z } from "zod";
import type { PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";
import { recordEvent } from "../ledger/events";
import { post } from "./journal";
import type { PaymentProvider } from "./providers/types";

export const periodOf = (d: Date) => d.toISOString().slice(0, 7);
const periodRe = /^\d{4}-(0[1-9]|1[0-2])$/;
/** A period as callers send it (the API, the statement): a month like 2026-11. */
export const periodSchema = z.string().regex(periodRe, { error: "A period is a month like 2026-11." });
const bounds = (period: string) => {
  const start = new Date(`${period}-01T00:00:00Z`), end = new Date(start);
  end.setUTCMonth(end.getUTCMonth() + 1);
  return { start, end };
};
/** The month before the one `now` is in. */
export const previousPeriod = (now: Date) => periodOf(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)));

/**
 * Settle a period that has ended: each developer and holder is paid what it earned in it
 * (deliveries less query refunds posted in the period), one payout per party and period; then
 * every payout not yet paid (this period's and earlier failures) is tried.
 */
export async function settle(db: PrismaClient, provider: PaymentProvider, o: { period: string; now?: Date }) {
  if (!periodRe.test(o.period)) throw new AppError("BAD_INPUT", "BAD_PERIOD", `A period is a month like 2026-11, not "${o.period}".`);
  const { end } = bounds(o.period);
  if (end > (o.now ?? new Date())) throw new AppError("BAD_INPUT", "PERIOD_OPEN", `${o.period} has not ended yet: settle it from ${end.toISOString().slice(0, 10)}.`);
  const byOrg = new Map<string, { orgId: string; currency: string; earned: bigint }>();
  for (const x of await earnedIn(db, o.period)) {
    const k = `${x.orgId}:${x.currency}`;
    byOrg.set(k, { orgId: x.orgId, currency: x.currency, earned: (byOrg.get(k)?.earned ?? 0n) + x.earned });
  }
  const owed = [...byOrg.values()].filter((x) => x.earned > 0n);
  const opened = owed.length
    ? (await db.payout.createMany({ data: owed.map((x) => ({ orgId: x.orgId, period: o.period, amountMinor: x.earned, currency: x.currency })), skipDuplicates: true })).count
    : 0;
  const due = await db.payout.findMany({ where: { status: { in: ["PENDING", "FAILED"] } }, orderBy: { createdAt: "asc" } });
  if (opened === 0 && due.length === 0 && (await db.payout.count({ where: { period: o.period } })) > 0) {
    throw new AppError("CONFLICT", "ALREADY_SETTLED", `${o.period} is settled: every payout of it is paid, and none is paid twice.`);
  }
  const results = [];
  for (const p of due) results.push(await payOut(db, provider, p.id));
  return { period: o.period, payouts: results };
}

/** What each party earned in a period, per payable account (a party may be both developer and holder). */
async function earnedIn(db: PrismaClient, period: string, orgId?: string) {
  const { start, end } = bounds(period);
  return db.$queryRaw<{ orgId: string; account: "developer_payable" | "holder_payable"; currency: string; earned: bigint }[]>`
    SELECT p."orgId"::text AS "orgId", p."account", p."currency", -sum(p."amountMinor")::bigint AS "earned"
    FROM "Posting" p JOIN "JournalEntry" e ON e."id" = p."entryId"
    WHERE p."account" IN ('developer_payable', 'holder_payable') AND e."kind" IN ('delivery', 'query-refund')
      AND e."createdAt" >= ${start} AND e."createdAt" < ${end} AND (${orgId ?? null}::uuid IS NULL OR p."orgId" = ${orgId ?? null}::uuid)
    GROUP BY p."orgId", p."account", p."currency"`;
}

/** Pay one payout (idempotent: a PAID payout is left alone). */
export async function payOut(db: PrismaClient, provider: PaymentProvider, payoutId: string) {
  const p = await db.payout.findUniqueOrThrow({ where: { id: payoutId } });
  if (p.status === "PAID") return { id: p.id, status: "PAID" as const };
  let account = await db.payoutAccount.findUnique({ where: { orgId: p.orgId } });
  if (!account && provider.name === "offline") {
    const made = await provider.onboard({ orgId: p.orgId, returnUrl: "/", refreshUrl: "/" });
    account = await db.payoutAccount.upsert({ where: { orgId: p.orgId }, create: { orgId: p.orgId, provider: provider.name, accountRef: made.accountRef, ready: true }, update: {} });
  }
  const fail = async (error: string) => {
    await db.payout.update({ where: { id: p.id }, data: { status: "FAILED", attempts: { increment: 1 }, lastError: error } });
    return { id: p.id, status: "FAILED" as const, error };
  };
  if (!account?.ready) return fail("The party has no payout account ready at the provider yet (onboarding not finished).");
  // Each payable account is debited by what it earned in the period; they must still sum to the payout.
  const parts = (await earnedIn(db, p.period, p.orgId)).filter((x) => x.currency === p.currency && x.earned !== 0n);
  if (parts.reduce((a, x) => a + x.earned, 0n) !== p.amountMinor) return fail(`What was earned in ${p.period} changed since this payout was opened (a refund?): the operator must review it.`);
  let transferRef: string;
  try {
    ({ transferRef } = await provider.transfer({
      accountRef: account.accountRef, amountMinor: Number(p.amountMinor), currency: p.currency, transferGroup: `payout-${p.period}`,
      idempotencyKey: `payout:${p.id}`, description: `Quancheng market earnings ${p.period}`,
    }));
  } catch (e) {
    return fail((e as Error).message);
  }
  await db.$transaction(async (tx) => {
    const moved = await tx.payout.updateMany({ where: { id: p.id, status: { not: "PAID" } }, data: { status: "PAID", providerRef: transferRef, paidAt: new Date(), attempts: { increment: 1 }, lastError: null } });
    if (moved.count !== 1) return;
    await post(tx, {
      kind: "payout", idempotencyKey: `payout:${p.id}`, currency: p.currency,
      lines: [...parts.map((x) => ({ account: x.account, orgId: p.orgId, amountMinor: x.earned })), { account: "provider_cash", amountMinor: -p.amountMinor }],
    });
    await recordEvent(tx, { type: "payout.sent", actorOrgId: null, objectId: p.id, refs: { orgId: p.orgId }, data: { period: p.period, amountMinor: Number(p.amountMinor), currency: p.currency } });
  });
  return { id: p.id, status: "PAID" as const };
}

/** Settle a period (the operator's button) and say how many payouts went out and how many failed. */
export async function settlePeriod(db: PrismaClient, provider: PaymentProvider, o: { period: string }) {
  const r = await settle(db, provider, o);
  return { period: r.period, paid: r.payouts.filter((p) => p.status === "PAID").length, failed: r.payouts.filter((p) => p.status === "FAILED").length };
}
