/**
 * The Stripe provider through the real Stripe SDK against the local stand-in: what goes over
 * the wire for Checkout, refunds, Connect transfers and onboarding, and how signed webhook
 * deliveries are verified and normalised.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MalformedStripeEventError, stripeMethodsFor, stripeProvider } from "@/server/money/providers/stripe";
import { ProviderError, ProviderSignatureError, type CheckoutInput, type PaymentProvider, type ProviderEvent } from "@/server/money/providers/types";
import { parseForm, postTo, startStripeStandin, type StripeEvent, type StripeStandin } from "../setup/stripe-standin";

const WEBHOOK_SECRET = "whsec_test_platform_0123456789abcdef";
const CONNECT_SECRET = "whsec_test_connect_0123456789abcdef";

let standin: StripeStandin;
let provider: PaymentProvider;

const checkoutInput = (over: Partial<CheckoutInput> = {}): CheckoutInput => ({
  orderId: "ord_1", buyerOrgId: "org_buyer", amountMinor: 12_345, currency: "cny", description: "Claims aggregate, 2025",
  successUrl: "https://market.example/orders/ord_1?paid=1", cancelUrl: "https://market.example/orders/ord_1", idempotencyKey: "checkout:ord_1:1",
  ...over,
});

/** Delivers like Stripe and returns what the provider made of it (or the error it threw). */
async function deliverTo(event: StripeEvent, o: { secret?: string; timestamp?: number } = {}) {
  let parsed: ProviderEvent | null = null;
  let error: unknown = null;
  const r = await standin.deliver(event, {
    secret: o.secret ?? WEBHOOK_SECRET,
    ...(o.timestamp !== undefined ? { timestamp: o.timestamp } : {}),
    to: (raw, sig) => {
      try { parsed = provider.parseWebhook(raw, sig); return { status: 200 }; } catch (e) { error = e; return { status: 400 }; }
    },
  });
  return { ...r, parsed: parsed as ProviderEvent | null, error };
}

const errorOf = (f: () => unknown): unknown => { try { f(); } catch (e) { return e; } return null; };
const rejection = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e);

async function paidSession(orderId: string, amountMinor = 10_000, currency = "cny") {
  const c = await provider.createCheckout(checkoutInput({ orderId, amountMinor, currency, idempotencyKey: `checkout:${orderId}` }));
  const event = standin.completeCheckout(c.providerRef);
  const session = standin.state.sessions.get(c.providerRef)!;
  const charge = standin.state.paymentIntents.get(session.payment_intent!)!.latest_charge!;
  return { providerRef: c.providerRef, event, charge };
}

beforeAll(async () => {
  standin = await startStripeStandin();
  provider = stripeProvider({
    secretKey: standin.secretKey, webhookSecret: WEBHOOK_SECRET, connectWebhookSecret: CONNECT_SECRET,
    apiHost: standin.host, apiPort: standin.port, apiProtocol: "http", maxNetworkRetries: 0,
  });
});
afterAll(async () => { await standin.close(); });
beforeEach(() => { standin.requests.length = 0; });

describe("stand-in form bodies", () => {
  it("parses bracket keys into nested hashes and arrays", () => {
    expect(parseForm("a=1&b[c]=x+y&b[d][0]=p&b[d][1]=q&e[]=1&e[]=2&f=%5Bz%5D&g=")).toEqual({
      a: "1", b: { c: "x y", d: ["p", "q"] }, e: ["1", "2"], f: "[z]", g: "",
    });
    expect(parseForm("line_items[0][price_data][unit_amount]=5&line_items[0][quantity]=1")).toEqual({ line_items: [{ price_data: { unit_amount: "5" }, quantity: "1" }] });
  });
  it("refuses keys it cannot place", () => {
    expect(() => parseForm("a=1&a[b]=2")).toThrow();
    expect(() => parseForm("a[b]=1&a=2")).toThrow();
    expect(() => parseForm("__proto__[x]=1")).toThrow();
    expect(() => parseForm("a[constructor][prototype]=1")).toThrow();
    expect(() => parseForm("a[b=1")).toThrow();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe("payment methods", () => {
  it("offers card everywhere, alipay and wechat_pay where Stripe presents them", () => {
    expect(stripeMethodsFor("cny")).toEqual(["card", "alipay", "wechat_pay"]);
    expect(stripeMethodsFor("CNY")).toEqual(["card", "alipay", "wechat_pay"]);
    expect(stripeMethodsFor("usd")).toEqual(["card", "alipay", "wechat_pay"]);
    expect(stripeMethodsFor("myr")).toEqual(["card", "alipay"]);
    expect(stripeMethodsFor("nzd")).toEqual(["card", "alipay"]);
    expect(stripeMethodsFor("chf")).toEqual(["card", "wechat_pay"]);
    expect(stripeMethodsFor("sek")).toEqual(["card", "wechat_pay"]);
    expect(stripeMethodsFor("brl")).toEqual(["card"]);
    expect(provider.methodsFor("inr")).toEqual(["card"]);
    expect(provider.name).toBe("stripe");
  });
});

describe("checkout", () => {
  it("creates a Checkout Session for the order, with the transfer group, metadata, methods and idempotency key", async () => {
    const r = await provider.createCheckout(checkoutInput());
    expect(r.status).toBe("PENDING");
    expect(r.providerRef).toMatch(/^cs_test_/);
    expect(r.redirectUrl).toContain(r.providerRef);

    expect(standin.requests).toHaveLength(1);
    const req = standin.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/v1/checkout/sessions");
    expect(req.idempotencyKey).toBe("checkout:ord_1:1");
    expect(req.authorization).toBe(`Bearer ${standin.secretKey}`);
    expect(req.rawBody).toContain("payment_intent_data[transfer_group]=ord_1");
    expect(req.rawBody).toContain("line_items[0][price_data][unit_amount]=12345");
    expect(req.body).toMatchObject({
      mode: "payment",
      client_reference_id: "ord_1",
      metadata: { orderId: "ord_1", buyerOrgId: "org_buyer" },
      payment_intent_data: { transfer_group: "ord_1", metadata: { orderId: "ord_1" } },
      allowed_payment_method_types: ["card", "alipay", "wechat_pay"],
      payment_method_options: { wechat_pay: { client: "web" } },
      line_items: [{ price_data: { currency: "cny", unit_amount: "12345", product_data: { name: "Claims aggregate, 2025" } }, quantity: "1" }],
      success_url: "https://market.example/orders/ord_1?paid=1",
      cancel_url: "https://market.example/orders/ord_1",
    });
    const session = standin.state.sessions.get(r.providerRef)!;
    expect(session).toMatchObject({ amount_total: 12_345, currency: "cny", payment_status: "unpaid", payment_intent: null, payment_method_types: ["card", "alipay", "wechat_pay"] });
    expect(req.stripeVersion).toBe(Stripe.API_VERSION);
  });

  it("offers only card, and no WeChat Pay options, for a currency that allows neither wallet", async () => {
    await provider.createCheckout(checkoutInput({ orderId: "ord_brl", currency: "brl", idempotencyKey: "checkout:ord_brl" }));
    const body = standin.requests[0]!.body;
    expect(body.allowed_payment_method_types).toEqual(["card"]);
    expect(body.payment_method_types).toBeUndefined();
    expect(body.payment_method_options).toBeUndefined();
  });

  it("replays a retried request with the same idempotency key and refuses the key with different parameters", async () => {
    const before = standin.state.sessions.size;
    const a = await provider.createCheckout(checkoutInput({ orderId: "ord_idem", idempotencyKey: "checkout:ord_idem" }));
    const b = await provider.createCheckout(checkoutInput({ orderId: "ord_idem", idempotencyKey: "checkout:ord_idem" }));
    expect(b.providerRef).toBe(a.providerRef);
    expect(standin.state.sessions.size).toBe(before + 1);

    const e = await rejection(provider.createCheckout(checkoutInput({ orderId: "ord_idem", amountMinor: 1, idempotencyKey: "checkout:ord_idem" })));
    expect(e).toBeInstanceOf(ProviderError);
    expect((e as ProviderError).code).toBe("STRIPE_IDEMPOTENCY_ERROR");
  });

  it("refuses a non-integer, non-positive or unsafe amount without sending anything", async () => {
    for (const amountMinor of [12.5, 0, -100, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      const e = await rejection(provider.createCheckout(checkoutInput({ amountMinor })));
      expect(e, String(amountMinor)).toBeInstanceOf(ProviderError);
      expect((e as ProviderError).code).toBe("BAD_AMOUNT");
    }
    const r1 = await rejection(provider.refund({ providerRef: "cs_test_x", amountMinor: 0.5, idempotencyKey: "r" }));
    const r2 = await rejection(provider.transfer({ accountRef: "acct_x", amountMinor: 1.5, currency: "cny", transferGroup: "g", idempotencyKey: "t", description: "d" }));
    expect((r1 as ProviderError).code).toBe("BAD_AMOUNT");
    expect((r2 as ProviderError).code).toBe("BAD_AMOUNT");
    expect(standin.requests).toHaveLength(0);
  });

  it("turns Stripe's errors into ProviderError with the Stripe error type", async () => {
    standin.failNext("POST", "/v1/checkout/sessions", { status: 500, type: "api_error", message: "Something went wrong" });
    const e = await rejection(provider.createCheckout(checkoutInput({ orderId: "ord_500", idempotencyKey: "checkout:ord_500" })));
    expect((e as ProviderError).code).toBe("STRIPE_API_ERROR");

    const wrongKey = stripeProvider({ secretKey: "sk_test_wrong", webhookSecret: WEBHOOK_SECRET, apiHost: standin.host, apiPort: standin.port, apiProtocol: "http", maxNetworkRetries: 0 });
    const auth = await rejection(wrongKey.createCheckout(checkoutInput({ orderId: "ord_auth", idempotencyKey: "checkout:ord_auth" })));
    expect((auth as ProviderError).code).toBe("STRIPE_INVALID_REQUEST_ERROR");
    expect((auth as ProviderError).message).toMatch(/Invalid API Key/);
  });
});

describe("the stand-in validates like Stripe", () => {
  const sdk = (apiVersion?: string) => new Stripe(standin.secretKey, {
    host: standin.host, port: standin.port, protocol: "http", maxNetworkRetries: 0, ...(apiVersion ? { apiVersion: apiVersion as Stripe.LatestApiVersion } : {}),
  });
  const base = { mode: "payment" as const, success_url: "https://market.example/ok", line_items: [{ price_data: { currency: "chf", unit_amount: 500, product_data: { name: "x" } }, quantity: 1 }] };
  type Params = Stripe.Checkout.SessionCreateParams;
  const code = (e: unknown) => (e as Stripe.errors.StripeError).code;
  const param = (e: unknown) => (e as Stripe.errors.StripeError).param;

  it("filters allowed payment methods to those the currency allows, and refuses unknown or impossible ones", async () => {
    const filtered = await sdk().checkout.sessions.create({ ...base, allowed_payment_method_types: ["card", "alipay"] });
    expect(filtered.payment_method_types).toEqual(["card"]);

    const none = await rejection(sdk().checkout.sessions.create({ ...base, allowed_payment_method_types: ["alipay"] }));
    expect(none).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect((none as Stripe.errors.StripeError).statusCode).toBe(400);

    const unknownType = await rejection(sdk().checkout.sessions.create({ ...base, allowed_payment_method_types: ["carrier_pigeon"] }));
    expect(param(unknownType)).toBe("allowed_payment_method_types[0]");

    const noClient = await rejection(sdk().checkout.sessions.create({ ...base, allowed_payment_method_types: ["wechat_pay"] }));
    expect(param(noClient)).toBe("payment_method_options[wechat_pay][client]");

    const ok = await sdk().checkout.sessions.create({ ...base, allowed_payment_method_types: ["card", "wechat_pay"], payment_method_options: { wechat_pay: { client: "web" } } });
    expect(ok.payment_method_types).toEqual(["card", "wechat_pay"]);
    expect((await sdk().checkout.sessions.retrieve(ok.id)).amount_total).toBe(500);
  });

  it("follows the API version: payment_method_types is gone on endive, a strict static list before it", async () => {
    const gone = await rejection(sdk().checkout.sessions.create({ ...base, payment_method_types: ["card"] } as Params));
    expect(code(gone)).toBe("payment_method_types_no_longer_supported");

    const legacy = sdk("2026-08-26.dahlia");
    const alipayChf = await rejection(legacy.checkout.sessions.create({ ...base, payment_method_types: ["card", "alipay"] } as Params));
    expect(alipayChf).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(param(alipayChf)).toBe("payment_method_types");
    const fine = await legacy.checkout.sessions.create({ ...base, payment_method_types: ["card"] } as Params);
    expect(fine.payment_method_types).toEqual(["card"]);
  });

  it("offers only what is enabled on the account", async () => {
    standin.state.enabledPaymentMethods.delete("alipay");
    try {
      const r = await provider.createCheckout(checkoutInput({ orderId: "ord_no_alipay", idempotencyKey: "checkout:ord_no_alipay" }));
      expect(standin.state.sessions.get(r.providerRef)!.payment_method_types).toEqual(["card", "wechat_pay"]);
    } finally {
      standin.state.enabledPaymentMethods.add("alipay");
    }
  });

  it("refuses unknown parameters, non-integer amounts and a wrong API key", async () => {
    const unknown = await rejection(sdk().checkout.sessions.create({ ...base, colour: "red" } as Params));
    expect((unknown as Stripe.errors.StripeError).message).toMatch(/unknown parameter: colour/);
    expect(code(unknown)).toBe("parameter_unknown");

    const float = await rejection(sdk().transfers.create({ amount: 1.5, currency: "usd", destination: "acct_x" }));
    expect((float as Stripe.errors.StripeError).message).toMatch(/Invalid integer: 1.5/);

    const noKey = await rejection(new Stripe("sk_test_nope", { host: standin.host, port: standin.port, protocol: "http", maxNetworkRetries: 0 }).checkout.sessions.retrieve("cs_test_x"));
    expect(noKey).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);

    const missing = await rejection(sdk().checkout.sessions.retrieve("cs_test_missing"));
    expect(code(missing)).toBe("resource_missing");
  });
});

describe("refunds", () => {
  it("refunds the session's PaymentIntent with our reference in the metadata", async () => {
    const { providerRef } = await paidSession("ord_refund");
    standin.requests.length = 0;

    const r = await provider.refund({ providerRef, amountMinor: 2_500, idempotencyKey: "refund:ord_refund:1" });
    expect(r.status).toBe("SUCCEEDED");
    expect(r.refundRef).toMatch(/^re_/);

    expect(standin.requests.map((q) => `${q.method} ${q.path}`)).toEqual([`GET /v1/checkout/sessions/${providerRef}`, "POST /v1/refunds"]);
    const req = standin.requests[1]!;
    const pi = standin.state.sessions.get(providerRef)!.payment_intent;
    expect(req.idempotencyKey).toBe("refund:ord_refund:1");
    expect(req.body).toEqual({ payment_intent: pi, amount: "2500", metadata: { providerRef, orderId: "ord_refund" } });

    const created = standin.eventsOf("refund.created").find((e) => e.data.object.id === r.refundRef)!;
    const { parsed } = await deliverTo(created);
    expect(parsed).toEqual({ eventId: created.id, type: "refund.succeeded", providerRef, refundRef: r.refundRef, amountMinor: 2_500, currency: "cny", created: created.created });
  });

  it("reports a pending refund and its later success", async () => {
    const { providerRef } = await paidSession("ord_refund_pending");
    standin.state.refundStatus = "pending";
    try {
      const r = await provider.refund({ providerRef, amountMinor: 10_000, idempotencyKey: "refund:ord_refund_pending" });
      expect(r.status).toBe("PENDING");
      const created = standin.eventsOf("refund.created").find((e) => e.data.object.id === r.refundRef)!;
      expect((await deliverTo(created)).parsed?.type).toBe("ignored");
      const settled = standin.settleRefund(r.refundRef, "succeeded");
      expect((await deliverTo(settled)).parsed).toMatchObject({ type: "refund.succeeded", providerRef, refundRef: r.refundRef, amountMinor: 10_000 });
    } finally {
      standin.state.refundStatus = "succeeded";
    }
  });

  it("refuses to refund an unpaid session, a foreign reference and more than was paid", async () => {
    const c = await provider.createCheckout(checkoutInput({ orderId: "ord_unpaid", idempotencyKey: "checkout:ord_unpaid" }));
    expect(((await rejection(provider.refund({ providerRef: c.providerRef, amountMinor: 1, idempotencyKey: "r1" }))) as ProviderError).code).toBe("NOT_PAID");
    expect(((await rejection(provider.refund({ providerRef: "pi_123", amountMinor: 1, idempotencyKey: "r2" }))) as ProviderError).code).toBe("BAD_REF");
    const { providerRef } = await paidSession("ord_over", 1_000);
    const over = await rejection(provider.refund({ providerRef, amountMinor: 1_001, idempotencyKey: "r3" }));
    expect((over as ProviderError).code).toBe("STRIPE_INVALID_REQUEST_ERROR");
    expect((over as ProviderError).message).toMatch(/amount_too_large/);
  });
});

describe("Connect", () => {
  it("onboards an organisation: an Express account, then an onboarding link", async () => {
    const r = await provider.onboard({ orgId: "org_holder", email: "finance@holder.example", returnUrl: "https://market.example/payouts/done", refreshUrl: "https://market.example/payouts/again" });
    expect(r.accountRef).toMatch(/^acct_/);
    expect(r.url).toMatch(/^https:\/\/connect\.stripe\.com\//);
    expect(standin.requests.map((q) => `${q.method} ${q.path}`)).toEqual(["POST /v1/accounts", "POST /v1/account_links"]);
    expect(standin.requests[0]!.body).toEqual({ type: "express", metadata: { orgId: "org_holder" }, email: "finance@holder.example" });
    expect(standin.requests[0]!.idempotencyKey).toBeTruthy();
    expect(standin.requests[1]!.body).toEqual({ account: r.accountRef, refresh_url: "https://market.example/payouts/again", return_url: "https://market.example/payouts/done", type: "account_onboarding" });

    // A second visit reuses the account and only asks for a fresh link.
    standin.requests.length = 0;
    const again = await provider.onboard({ orgId: "org_holder", accountRef: r.accountRef, returnUrl: "https://market.example/payouts/done", refreshUrl: "https://market.example/payouts/again" });
    expect(again.accountRef).toBe(r.accountRef);
    expect(standin.requests.map((q) => q.path)).toEqual(["/v1/account_links"]);
  });

  it("transfers to a connected account with the transfer group and the source charge", async () => {
    const { accountRef } = await provider.onboard({ orgId: "org_dev", returnUrl: "https://market.example/r", refreshUrl: "https://market.example/f" });
    const { charge } = await paidSession("ord_transfer", 20_000);

    const early = await rejection(provider.transfer({ accountRef, amountMinor: 100, currency: "cny", transferGroup: "ord_transfer", idempotencyKey: "tr:early", description: "x" }));
    expect((early as ProviderError).code).toBe("STRIPE_INVALID_REQUEST_ERROR");

    standin.activateAccount(accountRef);
    standin.requests.length = 0;
    const t = await provider.transfer({ accountRef, amountMinor: 15_000, currency: "cny", transferGroup: "ord_transfer", sourceTransaction: charge, idempotencyKey: "transfer:ord_transfer:holder", description: "Holder share of ord_transfer" });
    expect(t.transferRef).toMatch(/^tr_/);
    const req = standin.requests[0]!;
    expect(req.path).toBe("/v1/transfers");
    expect(req.idempotencyKey).toBe("transfer:ord_transfer:holder");
    expect(req.body).toEqual({ amount: "15000", currency: "cny", destination: accountRef, transfer_group: "ord_transfer", source_transaction: charge, description: "Holder share of ord_transfer" });

    // A period settlement has no single source charge.
    standin.requests.length = 0;
    await provider.transfer({ accountRef, amountMinor: 100, currency: "cny", transferGroup: "settlement:2025-06", idempotencyKey: "transfer:2025-06:dev", description: "June" });
    expect(standin.requests[0]!.body.source_transaction).toBeUndefined();
    expect(standin.requests[0]!.body.transfer_group).toBe("settlement:2025-06");

    // More than the source charge holds is refused.
    const over = await rejection(provider.transfer({ accountRef, amountMinor: 5_001, currency: "cny", transferGroup: "ord_transfer", sourceTransaction: charge, idempotencyKey: "transfer:over", description: "x" }));
    expect((over as ProviderError).code).toBe("STRIPE_INVALID_REQUEST_ERROR");

    const created = standin.eventsOf("transfer.created").find((e) => e.data.object.id === t.transferRef)!;
    expect((await deliverTo(created)).parsed).toEqual({ eventId: created.id, type: "payout.paid", transferRef: t.transferRef, created: created.created });
    const partial = standin.reverseTransfer(t.transferRef, 1_000);
    expect((await deliverTo(partial)).parsed?.type).toBe("ignored");
    const full = standin.reverseTransfer(t.transferRef);
    expect((await deliverTo(full)).parsed).toEqual({ eventId: full.id, type: "payout.failed", transferRef: t.transferRef, reason: "transfer_reversed", created: full.created });
  });

  it("reports an account ready only once it can be paid out and receive transfers", async () => {
    const { accountRef } = await provider.onboard({ orgId: "org_ready", returnUrl: "https://market.example/r", refreshUrl: "https://market.example/f" });
    const submitted = standin.updateAccount(accountRef, { details_submitted: true });
    expect((await deliverTo(submitted, { secret: CONNECT_SECRET })).parsed).toMatchObject({ type: "ignored", providerType: "account.updated" });

    const chargesOnly = standin.updateAccount(accountRef, { charges_enabled: true, capabilities: { card_payments: "active" } });
    expect((await deliverTo(chargesOnly, { secret: CONNECT_SECRET })).parsed?.type).toBe("ignored");

    const noTransfers = standin.updateAccount(accountRef, { payouts_enabled: true });
    expect((await deliverTo(noTransfers, { secret: CONNECT_SECRET })).parsed?.type).toBe("ignored");

    const ready = standin.activateAccount(accountRef);
    expect((await deliverTo(ready, { secret: CONNECT_SECRET })).parsed).toEqual({ eventId: ready.id, type: "account.ready", accountRef, created: ready.created });
    // Connect events may also arrive on the platform endpoint's secret.
    expect((await deliverTo(ready)).parsed?.type).toBe("account.ready");
  });

  it("treats a recipient account (transfers and payouts, no charges) as ready", async () => {
    const { accountRef } = await provider.onboard({ orgId: "org_recipient", returnUrl: "https://market.example/r", refreshUrl: "https://market.example/f" });
    const e = standin.updateAccount(accountRef, { payouts_enabled: true, details_submitted: true, capabilities: { card_payments: "inactive", transfers: "active" } });
    expect((await deliverTo(e, { secret: CONNECT_SECRET })).parsed?.type).toBe("account.ready");
  });
});

describe("webhooks", () => {
  it("verifies and normalises a completed payment", async () => {
    const { providerRef, event } = await paidSession("ord_hook", 8_800);
    const { status, parsed } = await deliverTo(event);
    expect(status).toBe(200);
    expect(parsed).toEqual({ eventId: event.id, type: "payment.succeeded", providerRef, orderId: "ord_hook", amountMinor: 8_800, currency: "cny", chargeRef: null, created: event.created });
  });

  it("rejects a forged signature, a stale timestamp, a missing header and a body changed after signing", async () => {
    const { event } = await paidSession("ord_forged");
    const forged = await deliverTo(event, { secret: "whsec_attacker" });
    expect(forged.error).toBeInstanceOf(ProviderSignatureError);

    const stale = await deliverTo(event, { timestamp: Math.floor(Date.now() / 1000) - 301 - 5 });
    expect(stale.error).toBeInstanceOf(ProviderSignatureError);
    expect((stale.error as Error).message).toMatch(/tolerance/);
    const recent = await deliverTo(event, { timestamp: Math.floor(Date.now() / 1000) - 60 });
    expect(recent.parsed?.type).toBe("payment.succeeded");

    const { payload, header } = await deliverTo(event);
    expect(errorOf(() => provider.parseWebhook(payload, null))).toBeInstanceOf(ProviderSignatureError);
    expect(errorOf(() => provider.parseWebhook(payload, ""))).toBeInstanceOf(ProviderSignatureError);
    expect(errorOf(() => provider.parseWebhook(payload, "t=1,v0=abc"))).toBeInstanceOf(ProviderSignatureError);
    expect(errorOf(() => provider.parseWebhook("", header))).toBeInstanceOf(ProviderSignatureError);

    const tampered = payload.replace('"amount_total": 10000', '"amount_total": 1');
    expect(tampered).not.toBe(payload);
    expect(errorOf(() => provider.parseWebhook(tampered, header))).toBeInstanceOf(ProviderSignatureError);
    expect(errorOf(() => provider.parseWebhook(`${payload} `, header))).toBeInstanceOf(ProviderSignatureError);
    expect(provider.parseWebhook(payload, header).type).toBe("payment.succeeded");
  });

  it("delivers over HTTP with the Stripe-Signature header, verified against the raw body", async () => {
    const seen: ProviderEvent[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        try {
          seen.push(provider.parseWebhook(Buffer.concat(chunks).toString("utf8"), (req.headers["stripe-signature"] as string | undefined) ?? null));
          res.writeHead(200).end();
        } catch (e) {
          res.writeHead(e instanceof ProviderSignatureError ? 400 : 500).end();
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/webhooks/stripe`;
      const { event } = await paidSession("ord_http");
      expect((await standin.deliver(event, { to: postTo(hook), secret: WEBHOOK_SECRET })).status).toBe(200);
      expect((await standin.deliver(event, { to: postTo(hook), secret: "whsec_wrong" })).status).toBe(400);
      expect(seen).toEqual([expect.objectContaining({ type: "payment.succeeded", orderId: "ord_http", eventId: event.id })]);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it("parses a redelivered event to the same eventId, so the caller can deduplicate", async () => {
    const { event } = await paidSession("ord_dup");
    const first = await deliverTo(event);
    const second = await deliverTo(event);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.parsed).toEqual(first.parsed);
    expect(second.parsed?.eventId).toBe(event.id);
  });

  it("ignores event types it does not handle", async () => {
    const e = standin.emit("customer.created", { id: "cus_1", object: "customer" });
    expect((await deliverTo(e)).parsed).toEqual({ eventId: e.id, type: "ignored", providerType: "customer.created", created: e.created });
    const { charge } = await paidSession("ord_other");
    expect(standin.eventsOf("charge.succeeded").some((x) => x.data.object.id === charge)).toBe(true);
    const succeeded = standin.eventsOf("payment_intent.succeeded").at(-1)!;
    expect((await deliverTo(succeeded)).parsed?.type).toBe("ignored");
  });

  it("follows an asynchronous payment through to success or failure, and an expired session", async () => {
    const a = await provider.createCheckout(checkoutInput({ orderId: "ord_async_ok", idempotencyKey: "checkout:ord_async_ok" }));
    const completed = standin.completeCheckout(a.providerRef, { async: true });
    expect((await deliverTo(completed)).parsed?.type).toBe("ignored");
    const ok = standin.settleAsyncPayment(a.providerRef, true);
    expect((await deliverTo(ok)).parsed).toMatchObject({ type: "payment.succeeded", providerRef: a.providerRef, orderId: "ord_async_ok", amountMinor: 12_345 });

    const b = await provider.createCheckout(checkoutInput({ orderId: "ord_async_ko", idempotencyKey: "checkout:ord_async_ko" }));
    standin.completeCheckout(b.providerRef, { async: true });
    const ko = standin.settleAsyncPayment(b.providerRef, false);
    expect((await deliverTo(ko)).parsed).toEqual({ eventId: ko.id, type: "payment.failed", providerRef: b.providerRef, orderId: "ord_async_ko", reason: "async_payment_failed", created: ko.created });

    const c = await provider.createCheckout(checkoutInput({ orderId: "ord_expired", idempotencyKey: "checkout:ord_expired" }));
    const expired = standin.expireCheckout(c.providerRef);
    expect((await deliverTo(expired)).parsed).toMatchObject({ type: "payment.failed", providerRef: c.providerRef, orderId: "ord_expired", reason: "expired" });
  });

  it("refuses a signed delivery that is not a well-formed event", async () => {
    const sign = (payload: string) => Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
    const notJson = "this is not json";
    const e1 = errorOf(() => provider.parseWebhook(notJson, sign(notJson)));
    expect(e1).toBeInstanceOf(ProviderError);
    expect((e1 as ProviderError).code).toBe("MALFORMED_EVENT");

    const noObject = JSON.stringify({ id: "evt_1", object: "event", type: "checkout.session.completed", created: 1, data: {} });
    expect((errorOf(() => provider.parseWebhook(noObject, sign(noObject))) as ProviderError).code).toBe("MALFORMED_EVENT");

    const badAmount = JSON.stringify({
      id: "evt_2", object: "event", type: "checkout.session.completed", created: 1,
      data: { object: { id: "cs_test_1", object: "checkout.session", mode: "payment", payment_status: "paid", amount_total: "10", currency: "cny", metadata: { orderId: "o" } } },
    });
    expect((errorOf(() => provider.parseWebhook(badAmount, sign(badAmount))) as ProviderError).code).toBe("MALFORMED_EVENT");

    // A session that is not one of ours (no order reference) is not an error.
    const foreign = JSON.stringify({
      id: "evt_3", object: "event", type: "checkout.session.completed", created: 1,
      data: { object: { id: "cs_test_2", object: "checkout.session", mode: "payment", payment_status: "paid", amount_total: 10, currency: "usd", metadata: {}, client_reference_id: null } },
    });
    expect(provider.parseWebhook(foreign, sign(foreign)).type).toBe("ignored");
  });

  it("insists on a positive tolerance (stripe-node treats 0 as no timestamp check)", () => {
    const e = errorOf(() => stripeProvider({ secretKey: "sk_test_x", webhookSecret: WEBHOOK_SECRET, toleranceSeconds: 0 }));
    expect((e as ProviderError).code).toBe("CONFIG");
    const short = stripeProvider({ secretKey: "sk_test_x", webhookSecret: WEBHOOK_SECRET, toleranceSeconds: 10 });
    const payload = JSON.stringify({ id: "evt_4", object: "event", type: "ping", created: 1, data: { object: { id: "x", object: "x" } } });
    const old = Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET, timestamp: Math.floor(Date.now() / 1000) - 30 });
    expect(errorOf(() => short.parseWebhook(payload, old))).toBeInstanceOf(ProviderSignatureError);
  });
});

describe("malformed payloads of the event types we handle", () => {
  type Obj = Record<string, unknown>;
  /** A copy of a real event with its object changed (and its type, to reuse one object for sibling types); signed afresh by deliverTo. */
  const variant = (event: StripeEvent, change: (o: Obj) => void, type = event.type): StripeEvent => {
    const copy = structuredClone(event);
    copy.type = type;
    change(copy.data.object);
    return copy;
  };
  /** Delivered signed with the endpoint's secret: refused with the typed error, naming the event and the field. */
  async function refused(event: StripeEvent, path: string) {
    const { error, parsed, status } = await deliverTo(event);
    expect(parsed, `${event.type} ${path}`).toBeNull();
    expect(status).toBe(400);
    expect(error, `${event.type} ${path}`).toBeInstanceOf(MalformedStripeEventError);
    const e = error as MalformedStripeEventError;
    expect(e).toBeInstanceOf(ProviderError);
    expect(e.code).toBe("MALFORMED_EVENT");
    expect(e.eventId).toBe(event.id);
    expect(e.eventType).toBe(event.type);
    expect(e.issues.map((i) => i.path), e.message).toContain(path);
    expect(e.message).toContain(event.id);
    expect(e.message).toContain(path);
  }

  it("checkout sessions: amounts that are not whole minor units, bad currencies, missing or mistyped fields", async () => {
    const { event: paid } = await paidSession("ord_bad_paid", 8_800);
    const async = await provider.createCheckout(checkoutInput({ orderId: "ord_bad_async", idempotencyKey: "checkout:ord_bad_async" }));
    standin.completeCheckout(async.providerRef, { async: true });
    const asyncOk = standin.settleAsyncPayment(async.providerRef, true);
    const failing = await provider.createCheckout(checkoutInput({ orderId: "ord_bad_ko", idempotencyKey: "checkout:ord_bad_ko" }));
    standin.completeCheckout(failing.providerRef, { async: true });
    const asyncKo = standin.settleAsyncPayment(failing.providerRef, false);
    const expiring = await provider.createCheckout(checkoutInput({ orderId: "ord_bad_expired", idempotencyKey: "checkout:ord_bad_expired" }));
    const expired = standin.expireCheckout(expiring.providerRef);
    // Each original is fine, so what fails below is the change alone.
    for (const e of [paid, asyncOk, asyncKo, expired]) expect((await deliverTo(e)).error).toBeNull();

    const amount = "data.object.amount_total", currency = "data.object.currency";
    await refused(variant(paid, (o) => { o.amount_total = "8800"; }), amount);
    await refused(variant(paid, (o) => { o.amount_total = 8_800.5; }), amount);
    await refused(variant(paid, (o) => { o.amount_total = 2 ** 53; }), amount);
    await refused(variant(paid, (o) => { o.amount_total = -8_800; }), amount);
    await refused(variant(paid, (o) => { o.currency = "yuan"; }), currency);
    await refused(variant(paid, (o) => { o.currency = null; }), currency);
    await refused(variant(paid, (o) => { delete o.payment_status; }), "data.object.payment_status");
    await refused(variant(paid, (o) => { o.object = "payment_intent"; }), "data.object.object");
    await refused(variant(paid, (o) => { o.metadata = { orderId: 42 }; }), "data.object.metadata.orderId");
    await refused(variant(paid, (o) => { o.payment_intent = 7; }), "data.object.payment_intent");

    await refused(variant(asyncOk, (o) => { o.amount_total = null; }), amount);
    await refused(variant(asyncOk, (o) => { o.currency = 156; }), currency);

    await refused(variant(asyncKo, (o) => { o.id = ""; }), "data.object.id");
    await refused(variant(asyncKo, (o) => { o.metadata = "ord_bad_ko"; }), "data.object.metadata");

    await refused(variant(expired, (o) => { o.object = "charge"; }), "data.object.object");
    await refused(variant(expired, (o) => { o.metadata = null; o.client_reference_id = 7; }), "data.object.client_reference_id");
  });

  it("refunds: amounts that are not positive whole minor units, bad currencies, missing status or reference", async () => {
    const { providerRef } = await paidSession("ord_bad_refund", 5_000);
    const r = await provider.refund({ providerRef, amountMinor: 2_500, idempotencyKey: "refund:ord_bad_refund" });
    const created = standin.eventsOf("refund.created").find((e) => e.data.object.id === r.refundRef)!;
    // Stripe sends the same refund object with refund.updated and charge.refund.updated.
    const updated = variant(created, () => {}, "refund.updated"), chargeRefund = variant(created, () => {}, "charge.refund.updated");
    for (const e of [created, updated, chargeRefund]) expect((await deliverTo(e)).parsed).toMatchObject({ type: "refund.succeeded", amountMinor: 2_500, currency: "cny" });

    await refused(variant(created, (o) => { o.amount = 2_500.5; }), "data.object.amount");
    await refused(variant(created, (o) => { o.amount = "2500"; }), "data.object.amount");
    await refused(variant(created, (o) => { o.currency = "cnyy"; }), "data.object.currency");
    await refused(variant(created, (o) => { delete o.status; }), "data.object.status");
    await refused(variant(created, (o) => { o.metadata = { providerRef: 5 }; }), "data.object.metadata.providerRef");
    await refused(variant(updated, (o) => { o.amount = 0; }), "data.object.amount");
    await refused(variant(updated, (o) => { o.object = "charge"; }), "data.object.object");
    await refused(variant(chargeRefund, (o) => { o.amount = -2_500; }), "data.object.amount");
    await refused(variant(chargeRefund, (o) => { delete o.id; }), "data.object.id");
  });

  it("transfers and accounts: missing ids, wrong objects, flags that are not booleans", async () => {
    const { accountRef } = await provider.onboard({ orgId: "org_bad_events", returnUrl: "https://market.example/r", refreshUrl: "https://market.example/f" });
    const ready = standin.activateAccount(accountRef);
    const t = await provider.transfer({ accountRef, amountMinor: 700, currency: "cny", transferGroup: "payout-2025-06", idempotencyKey: "transfer:bad-events", description: "x" });
    const created = standin.eventsOf("transfer.created").find((e) => e.data.object.id === t.transferRef)!;
    const reversed = standin.reverseTransfer(t.transferRef);
    for (const e of [created, reversed, ready]) expect((await deliverTo(e)).error).toBeNull();

    await refused(variant(created, (o) => { delete o.id; }), "data.object.id");
    await refused(variant(created, (o) => { o.object = "payout"; }), "data.object.object");
    await refused(variant(reversed, (o) => { o.reversed = "true"; }), "data.object.reversed");
    await refused(variant(reversed, (o) => { delete o.reversed; }), "data.object.reversed");
    await refused(variant(ready, (o) => { o.payouts_enabled = "true"; }), "data.object.payouts_enabled");
    await refused(variant(ready, (o) => { o.capabilities = "active"; }), "data.object.capabilities");
    await refused(variant(ready, (o) => { o.id = 12; }), "data.object.id");
  });

  it("any event: an envelope without a usable id, time or object", async () => {
    const e = standin.emit("customer.created", { id: "cus_2", object: "customer" });
    await refused({ ...e, created: "now" } as unknown as StripeEvent, "created");
    await refused({ ...e, data: { object: [] } } as unknown as StripeEvent, "data.object");
    const { id: _id, ...noId } = e;
    const { error } = await deliverTo(noId as StripeEvent);
    expect(error).toBeInstanceOf(MalformedStripeEventError);
    expect(error).toMatchObject({ eventId: null, eventType: "customer.created", issues: [expect.objectContaining({ path: "id" })] });
  });

  it("still acknowledges what it does not read: unknown types, sessions and refunds that are not ours", async () => {
    const { event: paid } = await paidSession("ord_not_read", 3_000);
    // The same broken object under a type we do not handle is none of our business.
    const other = variant(paid, (o) => { o.amount_total = "3000"; o.object = "payment_intent"; }, "payment_intent.processing");
    expect((await deliverTo(other)).parsed).toEqual({ eventId: other.id, type: "ignored", providerType: "payment_intent.processing", created: other.created });
    // A session that is not for one of our orders is ignored before its amount is read.
    const foreign = variant(paid, (o) => { o.metadata = {}; o.client_reference_id = null; o.amount_total = null; });
    expect((await deliverTo(foreign)).parsed?.type).toBe("ignored");
    const subscription = variant(paid, (o) => { o.mode = "subscription"; o.amount_total = "x"; });
    expect((await deliverTo(subscription)).parsed?.type).toBe("ignored");
    // An unpaid completion or a failure does not need the amount either.
    const failed = variant(paid, (o) => { delete o.amount_total; delete o.currency; }, "checkout.session.async_payment_failed");
    expect((await deliverTo(failed)).parsed).toMatchObject({ type: "payment.failed", orderId: "ord_not_read", reason: "async_payment_failed" });
    // An upper-case currency is the same currency: folded to our lower case, not refused.
    expect((await deliverTo(variant(paid, (o) => { o.currency = "CNY"; }))).parsed).toMatchObject({ type: "payment.succeeded", amountMinor: 3_000, currency: "cny" });
  });
});
