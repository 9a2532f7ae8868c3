/**
 * The payment-provider boundary. Everything the marketplace knows about a payment service
 * goes through this interface; `stripe/` implements it against Stripe (Checkout, Connect
 * separate charges and transfers, webhooks).
 */
export type Currency = string; // ISO 4217 lower-case, e.g. "cny"
export type CheckoutInput = {
  orderId: string; buyerOrgId: string; amountMinor: number; currency: Currency; description: string;
  successUrl: string; cancelUrl: string; idempotencyKey: string;
};
export type CheckoutResult = { providerRef: string; redirectUrl: string | null; status: "PENDING" | "SUCCEEDED"; chargeRef?: string };
/** What a provider tells us happened, normalised. `eventId` is unique per delivery source event (Stripe's evt_ id). */
export type ProviderEvent =
  | { eventId: string; type: "payment.succeeded"; providerRef: string; orderId: string; amountMinor: number; currency: Currency; chargeRef: string | null; created: number }
  | { eventId: string; type: "payment.failed"; providerRef: string; orderId: string; reason: string; created: number }
  | { eventId: string; type: "refund.succeeded"; providerRef: string; refundRef: string; amountMinor: number; currency: Currency; created: number }
  | { eventId: string; type: "payout.paid" | "payout.failed"; transferRef: string; reason?: string; created: number }
  | { eventId: string; type: "account.ready"; accountRef: string; created: number }
  | { eventId: string; type: "ignored"; providerType: string; created: number };
export interface PaymentProvider {
  readonly name: "offline" | "stripe";
  /** Payment method types offered for a currency (Stripe: card, plus alipay and wechat_pay where the currency allows). */
  methodsFor(currency: Currency): string[];
  createCheckout(i: CheckoutInput): Promise<CheckoutResult>;
  refund(i: { providerRef: string; amountMinor: number; idempotencyKey: string }): Promise<{ refundRef: string; status: "SUCCEEDED" | "PENDING" }>;
  /** Connect: separate charges and transfers; transfer_group = the order or settlement period; source_transaction = the charge when known. */
  transfer(i: { accountRef: string; amountMinor: number; currency: Currency; transferGroup: string; sourceTransaction?: string; idempotencyKey: string; description: string }): Promise<{ transferRef: string }>;
  /** Connect onboarding for holders and developers (Express accounts). */
  onboard(i: { orgId: string; accountRef?: string; email?: string; returnUrl: string; refreshUrl: string }): Promise<{ accountRef: string; url: string }>;
  /** Verify a webhook delivery (raw body + signature header) and normalise it. Throws ProviderSignatureError on a bad, stale or missing signature. */
  parseWebhook(rawBody: string, signature: string | null): ProviderEvent;
}
export class ProviderSignatureError extends Error {}
export class ProviderError extends Error { constructor(message: string, readonly code: string) { super(message); } }
