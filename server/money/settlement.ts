/**
 * Settlement: at the end of a period (a calendar month, "2026-11"), everything owed to each
 * developer and holder is paid out to its account at the provider, one payout per party per
 * period, never two (unique per party and period; the transfer carries an idempotency key).
 * A failed transfer is kept as FAILED with its error and retried by the next run; the journal
 * is posted only once the provider has accepted the transfer.
 */
import type { PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";
import { recordEvent } from "../ledger/events";
import { balances, post } from "./journal";
import type { PaymentProvider } from "./providers/types";

export const periodOf = (d: Date) => d.toISOString().slice(0, 7);
const periodRe = /^\d{4}-(0[1-9]|1[0-2])$/;

/** Open (or find) each owed party's payout of `period` and try every one not yet paid. */
export async function settle(db: PrismaClient, provider: PaymentProvider, o: { period: string; now?: Date }) {
  if (!periodRe.test(o.period)) throw new AppError("BAD_INPUT", "BAD_PERIOD", `A period is a month like 2026-11, not "${o.period}".`);
  const now = o.now ?? new Date();
  if (o.period > periodOf(now)) throw new AppError("BAD_INPUT", "FUTURE_PERIOD", "A period can be settled once it has begun.");
  const owed = (await balances(db)).filter((b) => (b.account === "developer_payable" || b.account === "holder_payable") && b.orgId && b.amountMinor < 0n);
  for (const b of owed) {
    // Only what is not already in a payout of any period waiting to be paid.
    const pending = await db.payout.aggregate({ where: { orgId: b.orgId!, currency: b.currency, status: { not: "PAID" } }, _sum: { amountMinor: true } });
    const amount = -b.amountMinor - (pending._sum.amountMinor ?? 0n);
    if (amount <= 0n) continue;
    await db.payout.createMany({ data: [{ orgId: b.orgId!, period: o.period, amountMinor: amount, currency: b.currency }], skipDuplicates: true });
  }
  const due = await db.payout.findMany({ where: { status: { in: ["PENDING", "FAILED"] } }, orderBy: { createdAt: "asc" } });
  const results = [];
  for (const p of due) results.push(await payOut(db, provider, p.id));
  return { period: o.period, payouts: results };
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
    const owedAccount = (await tx.posting.findFirst({ where: { orgId: p.orgId, account: { in: ["holder_payable", "developer_payable"] } }, orderBy: { id: "asc" } }))?.account ?? "holder_payable";
    await post(tx, {
      kind: "payout", idempotencyKey: `payout:${p.id}`, currency: p.currency,
      lines: [{ account: owedAccount as "holder_payable" | "developer_payable", orgId: p.orgId, amountMinor: p.amountMinor }, { account: "provider_cash", amountMinor: -p.amountMinor }],
    });
    await recordEvent(tx, { type: "payout.sent", actorOrgId: null, objectId: p.id, refs: { orgId: p.orgId }, data: { period: p.period, amountMinor: Number(p.amountMinor), currency: p.currency } });
  });
  return { id: p.id, status: "PAID" as const };
}
