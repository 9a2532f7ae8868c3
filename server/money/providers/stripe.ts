/**
 * The Stripe payment provider: Checkout Sessions for buyers, Connect (Express accounts,
 * separate charges and transfers) for holders and developers, and signed webhooks.
 *
 * It talks to Stripe only through the official SDK. `apiHost`/`apiPort`/`apiProtocol` exist so
 * tests can point the SDK at a local stand-in; nothing here behaves differently for it, so real
 * keys against api.stripe.com work unchanged.
 *
 * Webhook normalisation (see `normaliseEvent`):
 *   checkout.session.completed (payment_status "paid")  → payment.succeeded
 *   checkout.session.completed (otherwise, e.g. unpaid)  → ignored (an async method is pending)
 *   checkout.session.async_payment_succeeded             → payment.succeeded
 *   checkout.session.async_payment_failed                → payment.failed (reason "async_payment_failed")
 *   checkout.session.expired                             → payment.failed (reason "expired")
 *   refund.created / refund.updated / charge.refund.updated, status "succeeded" and
 *     metadata.providerRef set by `refund()`             → refund.succeeded
 *   transfer.created                                     → payout.paid
 *   transfer.reversed (fully reversed)                   → payout.failed (reason "transfer_reversed")
 *   account.updated, payouts enabled and able to receive transfers → account.ready
 *   anything else (and sessions/refunds that carry none of our references) → ignored
 */
import Stripe from "stripe";
import {
  ProviderError, ProviderSignatureError,
  type CheckoutInput, type CheckoutResult, type Currency, type PaymentProvider, type ProviderEvent,
} from "./types";

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

export type StripeProviderOptions = {
  secretKey: string;
  /** Signing secret (whsec_…) of the endpoint that receives the platform's own events. */
  webhookSecret: string;
  /**
   * Signing secret of a Connect endpoint ("events on connected accounts"), which is where
   * Stripe sends `account.updated` for connected accounts. Tried after `webhookSecret`.
   */
  connectWebhookSecret?: string;
  apiHost?: string;
  apiPort?: number;
  apiProtocol?: "http" | "https";
  /** Maximum age of a signed delivery, seconds. Default 300 (Stripe's default). Must be > 0: stripe-node treats 0 as "don't check". */
  toleranceSeconds?: number;
  /** SDK network retries (each retry reuses our idempotency key). Default 2, the SDK's default. */
  maxNetworkRetries?: number;
  /** SDK request timeout, milliseconds. Default: the SDK's (80 s). */
  timeoutMs?: number;
};

const MAX_IDEMPOTENCY_KEY = 255;

export function stripeProvider(o: StripeProviderOptions): PaymentProvider {
  if (!o.secretKey) throw new ProviderError("Stripe secret key is required", "CONFIG");
  if (!o.webhookSecret || !o.webhookSecret.trim()) throw new ProviderError("Stripe webhook signing secret is required", "CONFIG");
  const tolerance = o.toleranceSeconds ?? 300;
  if (!Number.isSafeInteger(tolerance) || tolerance <= 0) {
    throw new ProviderError("toleranceSeconds must be a positive integer (0 would disable the timestamp check)", "CONFIG");
  }
  const secrets = [o.webhookSecret, ...(o.connectWebhookSecret ? [o.connectWebhookSecret] : [])];

  const stripe = new Stripe(o.secretKey, {
    ...(o.apiHost !== undefined ? { host: o.apiHost } : {}),
    ...(o.apiPort !== undefined ? { port: o.apiPort } : {}),
    ...(o.apiProtocol !== undefined ? { protocol: o.apiProtocol } : {}),
    maxNetworkRetries: o.maxNetworkRetries ?? 2,
    ...(o.timeoutMs !== undefined ? { timeout: o.timeoutMs } : {}),
    appInfo: { name: "privacy-data-marketplace" },
  });

  const methodsFor = (currency: Currency) => stripeMethodsFor(currency);

  return {
    name: "stripe",
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

    parseWebhook(rawBody: string, signature: string | null): ProviderEvent {
      if (typeof signature !== "string" || signature.trim() === "") {
        throw new ProviderSignatureError("missing Stripe-Signature header");
      }
      if (typeof rawBody !== "string" || rawBody === "") throw new ProviderSignatureError("empty webhook body");
      const failures: string[] = [];
      for (const secret of secrets) {
        let event: unknown;
        try {
          event = stripe.webhooks.constructEvent(rawBody, signature, secret, tolerance);
        } catch (e) {
          if (e instanceof Stripe.errors.StripeSignatureVerificationError) { failures.push(e.message.split("\n")[0] ?? "bad signature"); continue; }
          // The signature verified but the body is not a (v1) event: JSON errors, thin events.
          throw new ProviderError(`malformed Stripe event: ${(e as Error).message}`, "MALFORMED_EVENT");
        }
        return normaliseEvent(event);
      }
      // A matching signature with an old timestamp says more than another secret's mismatch.
      throw new ProviderSignatureError(failures.find((m) => /tolerance/i.test(m)) ?? failures[0] ?? "bad signature");
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

// ---------------------------------------------------------------------------------------------
// Webhook normalisation. The payload is untrusted in shape (signed, but written against the
// endpoint's API version), so it is read field by field.

type Obj = Record<string, unknown>;

function malformed(what: string): never {
  throw new ProviderError(`malformed Stripe event: ${what}`, "MALFORMED_EVENT");
}
function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function obj(v: unknown, what: string): Obj {
  if (!isObj(v)) malformed(`${what} is not an object`);
  return v;
}
function str(o: Obj, k: string, what: string): string {
  const v = o[k];
  if (typeof v !== "string" || v === "") malformed(`${what}.${k} is not a string`);
  return v;
}
function optStr(o: Obj, k: string, what: string): string | null {
  const v = o[k];
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") malformed(`${what}.${k} is not a string`);
  return v === "" ? null : v;
}
function int(o: Obj, k: string, what: string): number {
  const v = o[k];
  if (typeof v !== "number" || !Number.isSafeInteger(v)) malformed(`${what}.${k} is not an integer`);
  return v;
}
function metadataOf(o: Obj, what: string): Obj {
  const m = o.metadata;
  if (m === undefined || m === null) return {};
  return obj(m, `${what}.metadata`);
}
/** An id field that may be a string or an expanded object. */
function refOf(v: unknown): string | null {
  if (typeof v === "string" && v !== "") return v;
  if (isObj(v) && typeof v.id === "string" && v.id !== "") return v.id;
  return null;
}

export function normaliseEvent(raw: unknown): ProviderEvent {
  const e = obj(raw, "event");
  if (e.object !== undefined && e.object !== "event") malformed(`object is ${String(e.object)}`);
  const eventId = str(e, "id", "event");
  const type = str(e, "type", "event");
  const created = int(e, "created", "event");
  const object = obj(obj(e.data, "event.data").object, "event.data.object");
  const ignored: ProviderEvent = { eventId, type: "ignored", providerType: type, created };

  switch (type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded":
    case "checkout.session.async_payment_failed":
    case "checkout.session.expired": {
      const s = session(object);
      if (!s) return ignored;
      if (type === "checkout.session.expired") return { eventId, type: "payment.failed", providerRef: s.id, orderId: s.orderId, reason: "expired", created };
      if (type === "checkout.session.async_payment_failed") return { eventId, type: "payment.failed", providerRef: s.id, orderId: s.orderId, reason: "async_payment_failed", created };
      // completed with payment_status "unpaid": an asynchronous method (e.g. a bank debit) is
      // still processing; async_payment_succeeded/failed follows.
      if (s.paymentStatus !== "paid") return ignored;
      return {
        eventId, type: "payment.succeeded", providerRef: s.id, orderId: s.orderId,
        amountMinor: s.amountTotal, currency: s.currency, chargeRef: s.chargeRef, created,
      };
    }
    case "refund.created":
    case "refund.updated":
    case "charge.refund.updated": {
      const what = "refund";
      if (object.object !== "refund") malformed(`${type} carries ${String(object.object)}`);
      const refundRef = str(object, "id", what);
      const status = str(object, "status", what);
      const providerRef = optStr(metadataOf(object, what), "providerRef", `${what}.metadata`);
      // Refunds not made by refund() (e.g. from the Dashboard) carry no session reference.
      if (status !== "succeeded" || !providerRef) return ignored;
      return {
        eventId, type: "refund.succeeded", providerRef, refundRef,
        amountMinor: int(object, "amount", what), currency: str(object, "currency", what), created,
      };
    }
    case "transfer.created":
    case "transfer.reversed": {
      if (object.object !== "transfer") malformed(`${type} carries ${String(object.object)}`);
      const transferRef = str(object, "id", "transfer");
      if (type === "transfer.created") return { eventId, type: "payout.paid", transferRef, created };
      // transfer.reversed also fires for partial reversals; only a full reversal undoes the payout.
      if (object.reversed !== true) return ignored;
      return { eventId, type: "payout.failed", transferRef, reason: "transfer_reversed", created };
    }
    case "account.updated": {
      if (object.object !== "account") malformed(`account.updated carries ${String(object.object)}`);
      const accountRef = str(object, "id", "account");
      return accountReady(object) ? { eventId, type: "account.ready", accountRef, created } : ignored;
    }
    default:
      return ignored;
  }
}

type SessionFacts = { id: string; orderId: string; paymentStatus: string; amountTotal: number; currency: string; chargeRef: string | null };

/** The facts we need from a Checkout Session, or null for a session that is not one of our order payments. */
function session(s: Obj): SessionFacts | null {
  const what = "checkout.session";
  if (s.object !== "checkout.session") malformed(`expected a checkout.session, got ${String(s.object)}`);
  const id = str(s, "id", what);
  if (s.mode !== undefined && s.mode !== "payment") return null;
  const orderId = optStr(metadataOf(s, what), "orderId", `${what}.metadata`) ?? optStr(s, "client_reference_id", what);
  if (!orderId) return null;
  const paymentStatus = str(s, "payment_status", what);
  const amountTotal = int(s, "amount_total", what);
  const currency = str(s, "currency", what);
  // Webhook payloads never expand payment_intent, so the charge is normally unknown here.
  const pi = s.payment_intent;
  const chargeRef = isObj(pi) ? refOf(pi.latest_charge) : null;
  return { id, orderId, paymentStatus, amountTotal, currency, chargeRef };
}

/**
 * A connected account is ready to be paid when Stripe can pay it out and it can receive
 * transfers. `transfers` is the capability separate charges and transfers need; accounts on the
 * recipient service agreement (cross-border payouts) have it without `charges_enabled`.
 * Without capability details, fall back to `charges_enabled`.
 */
function accountReady(a: Obj): boolean {
  if (a.payouts_enabled !== true) return false;
  const caps = isObj(a.capabilities) ? a.capabilities : null;
  if (caps && caps.transfers !== undefined) return caps.transfers === "active";
  return a.charges_enabled === true;
}
