/**
 * The built-in offline provider, the embedded default: the whole money flow runs with no
 * Stripe account. A checkout succeeds at once (as if paid at the counter), refunds and
 * transfers succeed at once, every party has a ready payout account. It has no webhooks.
 * `failTransfersTo` lets tests and demos make payouts to some accounts fail.
 */
import { randomUUID } from "node:crypto";
import { ProviderError, ProviderSignatureError, type PaymentProvider } from "./types";

export function offlineProvider(o: { failTransfersTo?: Set<string> } = {}): PaymentProvider {
  const seen = new Map<string, unknown>(); // idempotency: the same key gives the same answer
  const once = <T>(key: string, make: () => T): T => {
    if (!seen.has(key)) seen.set(key, make());
    return seen.get(key) as T;
  };
  const checkAmount = (n: number) => { if (!Number.isSafeInteger(n) || n <= 0) throw new ProviderError("Amounts are positive whole minor units.", "BAD_AMOUNT"); };
  return {
    name: "offline",
    methodsFor: () => ["offline"],
    async createCheckout(i) {
      checkAmount(i.amountMinor);
      return once(`checkout:${i.idempotencyKey}`, () => ({ providerRef: `off_pay_${randomUUID()}`, redirectUrl: null, status: "SUCCEEDED" as const, chargeRef: `off_ch_${randomUUID()}` }));
    },
    async refund(i) {
      checkAmount(i.amountMinor);
      return once(`refund:${i.idempotencyKey}`, () => ({ refundRef: `off_re_${randomUUID()}`, status: "SUCCEEDED" as const }));
    },
    async transfer(i) {
      checkAmount(i.amountMinor);
      if (o.failTransfersTo?.has(i.accountRef)) throw new ProviderError(`The account ${i.accountRef} cannot receive transfers.`, "TRANSFER_FAILED");
      return once(`transfer:${i.idempotencyKey}`, () => ({ transferRef: `off_tr_${randomUUID()}` }));
    },
    async onboard(i) {
      return { accountRef: i.accountRef ?? `off_acct_${i.orgId}`, url: i.returnUrl };
    },
    parseWebhook() {
      throw new ProviderSignatureError("The offline provider sends no webhooks.");
    },
  };
}
