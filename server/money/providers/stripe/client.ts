/**
 * The calls we make to Stripe: Checkout Sessions for buyers, refunds, Connect transfers and
 * Express onboarding. Every input is checked before a request is sent, so a bad amount or key
 * never reaches Stripe, and Stripe's own errors come back as ProviderError.
 */
import Stripe from "stripe";
import { ProviderError, type CheckoutInput, type CheckoutResult, type Currency, type PaymentProvider } from "../types";

/**
 * Presentment currencies for Alipay in Checkout, from Stripe's "Accept an Alipay payment"
 * guide (docs.stripe.com/payments/alipay/accept-a-payment?payment-ui=checkout, "Determine
 * compatibility"): aud, cad, cny, eur, gbp, hkd, jpy, nzd, sgd, usd, myr.
 */
const ALIPAY_CURRENCIES: ReadonlySet<string> = new Set(["aud", "cad", "cny", "eur", "gbp", "hkd", "jpy", "nzd", "sgd", "usd", "myr"]);
/**
 * Presentment currencies for WeChat Pay in Checkout, from Stripe's "Accept a WeChat Pay
 * payment" guide (docs.stripe.com/payments/wechat-pay/accept-a-payment?payment-ui=checkout,
 * "Determine compatibility"): aud, cad, cny, eur, gbp, hkd, jpy, sgd, usd, dkk, nok, sek, chf.
 */
const WECHAT_PAY_CURRENCIES: ReadonlySet<string> = new Set(["aud", "cad", "cny", "eur", "gbp", "hkd", "jpy", "sgd", "usd", "dkk", "nok", "sek", "chf"]);

/**
 * Payment method types Checkout may offer for a currency (sent as `allowed_payment_method_types`).
 * Stripe still drops any the platform has not enabled in the Dashboard or cannot offer from its
 * country; the Session's `payment_method_types` says what was actually offered.
 */
export function stripeMethodsFor(currency: Currency): string[] {
  const c = currency.toLowerCase();
  const methods = ["card"];
  if (ALIPAY_CURRENCIES.has(c)) methods.push("alipay");
  if (WECHAT_PAY_CURRENCIES.has(c)) methods.push("wechat_pay");
  return methods;
}

/** Stripe refuses longer idempotency keys. */
const MAX_IDEMPOTENCY_KEY = 255;

export type StripeCalls = Pick<PaymentProvider, "methodsFor" | "createCheckout" | "refund" | "transfer" | "onboard">;

/** The provider's outgoing calls, made with one configured SDK instance. */
export function stripeCalls(stripe: Stripe): StripeCalls {
  const methodsFor = (currency: Currency) => stripeMethodsFor(currency);
  return {
    methodsFor,

    async createCheckout(i: CheckoutInput): Promise<CheckoutResult> {
      const amount = amountOf(i.amountMinor);
      const currency = currencyOf(i.currency);
      const idempotencyKey = idempotencyKeyOf(i.idempotencyKey);
      requireText(i.orderId, "orderId");
      requireText(i.buyerOrgId, "buyerOrgId");
      requireText(i.description, "description");
      const methods = methodsFor(currency);
      const session = await call(() => stripe.checkout.sessions.create({
        mode: "payment",
        line_items: [{ price_data: { currency, unit_amount: amount, product_data: { name: i.description } }, quantity: 1 }],
        // Since API version 2026-09-30.endive (pinned by stripe-node 23) Checkout no longer takes
        // `payment_method_types`; `allowed_payment_method_types` filters the dynamically eligible
        // methods (enabled in the Dashboard, compatible with currency and amount) to this list.
        allowed_payment_method_types: methods,
        client_reference_id: i.orderId,
        metadata: { orderId: i.orderId, buyerOrgId: i.buyerOrgId },
        payment_intent_data: { transfer_group: i.orderId, metadata: { orderId: i.orderId } },
        success_url: i.successUrl,
        cancel_url: i.cancelUrl,
        ...(methods.includes("wechat_pay") ? { payment_method_options: { wechat_pay: { client: "web" } } } : {}),
      }, { idempotencyKey }));
      return { providerRef: session.id, redirectUrl: session.url ?? null, status: "PENDING" };
    },

    async refund(i) {
      const amount = amountOf(i.amountMinor);
      const idempotencyKey = idempotencyKeyOf(i.idempotencyKey);
      if (typeof i.providerRef !== "string" || !i.providerRef.startsWith("cs_")) {
        throw new ProviderError("providerRef must be a Checkout Session id (cs_…)", "BAD_REF");
      }
      const session = await call(() => stripe.checkout.sessions.retrieve(i.providerRef));
      const pi = session.payment_intent;
      const paymentIntent = typeof pi === "string" ? pi : pi?.id;
      if (!paymentIntent) throw new ProviderError(`Checkout Session ${session.id} has no payment to refund`, "NOT_PAID");
      const orderId = session.metadata?.orderId;
      const refund = await call(() => stripe.refunds.create({
        payment_intent: paymentIntent,
        amount,
        // The refund's webhook finds its way back to our payment through this reference.
        metadata: { providerRef: session.id, ...(orderId ? { orderId } : {}) },
      }, { idempotencyKey }));
      switch (refund.status) {
        case "succeeded": return { refundRef: refund.id, status: "SUCCEEDED" };
        case "pending": case "requires_action": return { refundRef: refund.id, status: "PENDING" };
        default: throw new ProviderError(`Stripe refund ${refund.id} is ${String(refund.status)}`, "REFUND_FAILED");
      }
    },

    async transfer(i) {
      const amount = amountOf(i.amountMinor);
      const currency = currencyOf(i.currency);
      const idempotencyKey = idempotencyKeyOf(i.idempotencyKey);
      if (typeof i.accountRef !== "string" || !i.accountRef.startsWith("acct_")) {
        throw new ProviderError("accountRef must be a connected account id (acct_…)", "BAD_REF");
      }
      requireText(i.transferGroup, "transferGroup");
      if (i.sourceTransaction !== undefined) requireText(i.sourceTransaction, "sourceTransaction");
      const transfer = await call(() => stripe.transfers.create({
        amount,
        currency,
        destination: i.accountRef,
        transfer_group: i.transferGroup,
        ...(i.sourceTransaction ? { source_transaction: i.sourceTransaction } : {}),
        description: i.description,
      }, { idempotencyKey }));
      return { transferRef: transfer.id };
    },

    async onboard(i) {
      requireText(i.orgId, "orgId");
      let accountRef = i.accountRef;
      if (accountRef !== undefined) {
        if (!accountRef.startsWith("acct_")) throw new ProviderError("accountRef must be a connected account id (acct_…)", "BAD_REF");
      } else {
        // Keyed on the inputs so a double submit within Stripe's 24 h key window does not
        // create two accounts for one organisation.
        const idempotencyKey = idempotencyKeyOf(`onboard:${i.orgId}:${i.email ?? ""}`.slice(0, MAX_IDEMPOTENCY_KEY));
        const account = await call(() => stripe.accounts.create({
          type: "express",
          metadata: { orgId: i.orgId },
          ...(i.email ? { email: i.email } : {}),
        }, { idempotencyKey }));
        accountRef = account.id;
      }
      const account = accountRef;
      const link = await call(() => stripe.accountLinks.create({
        account, refresh_url: i.refreshUrl, return_url: i.returnUrl, type: "account_onboarding",
      }));
      return { accountRef: account, url: link.url };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Input checks (before any request is sent)

function amountOf(n: number): number {
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n <= 0) {
    throw new ProviderError(`amount must be a positive safe integer in minor units, got ${String(n)}`, "BAD_AMOUNT");
  }
  return n;
}

function currencyOf(c: Currency): string {
  const lower = typeof c === "string" ? c.toLowerCase() : "";
  if (!/^[a-z]{3}$/.test(lower)) throw new ProviderError(`currency must be an ISO 4217 code, got ${String(c)}`, "BAD_CURRENCY");
  return lower;
}

function idempotencyKeyOf(k: string): string {
  if (typeof k !== "string" || k.length === 0 || k.length > MAX_IDEMPOTENCY_KEY) {
    throw new ProviderError(`idempotency key must be 1–${MAX_IDEMPOTENCY_KEY} characters`, "BAD_IDEMPOTENCY_KEY");
  }
  return k;
}

function requireText(v: unknown, name: string): void {
  if (typeof v !== "string" || v.length === 0) throw new ProviderError(`${name} is required`, "BAD_INPUT");
}

/** Runs an SDK call and turns Stripe's errors into ProviderError (code STRIPE_<type>, e.g. STRIPE_INVALID_REQUEST_ERROR). */
async function call<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof Stripe.errors.StripeError) {
      const type = e.rawType ?? (e instanceof Stripe.errors.StripeConnectionError ? "connection_error" : "api_error");
      const detail = [e.code, e.param && `param ${e.param}`, e.requestId].filter(Boolean).join(", ");
      throw new ProviderError(`Stripe: ${e.message}${detail ? ` (${detail})` : ""}`, `STRIPE_${type.toUpperCase()}`);
    }
    throw e;
  }
}
