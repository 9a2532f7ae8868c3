/**
 * A local HTTP stand-in for the parts of Stripe's API the marketplace uses, so the real Stripe
 * SDK can be exercised offline:
 *
 *   POST /v1/checkout/sessions        GET /v1/checkout/sessions/:id
 *   POST /v1/refunds                  POST /v1/transfers
 *   POST /v1/accounts                 POST /v1/account_links
 *
 * Like Stripe it takes form-encoded bodies with bracket keys (`a[b][0]=x`), answers JSON
 * objects `{ id, object, ... }`, errors as `{ error: { type, message, code?, param? } }` with a
 * 4xx status, checks `Authorization: Bearer sk_test_…`, honours `Idempotency-Key`, and rejects
 * unknown parameters. Checkout payment methods follow the request's `Stripe-Version`: from
 * 2026-09-30.endive (stripe-node 23's pin) `payment_method_types` is refused and
 * `allowed_payment_method_types` filters the enabled, currency-compatible methods; before it, a
 * static `payment_method_types` list must be valid as a whole. It also plays Stripe's side of a payment (`completeCheckout`, …), records
 * the events Stripe would emit, and delivers them signed like Stripe (`deliver`).
 *
 *   const standin = await startStripeStandin();
 *   const stripe = new Stripe(standin.secretKey, { host: standin.host, port: standin.port, protocol: "http", maxNetworkRetries: 0 });
 *
 * Not modelled: balances (transfers never fail for insufficient funds unless `failNext` says
 * so), minimum charge amounts, fees, currency conversion, disputes, list/search endpoints.
 */
import http from "node:http";
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import { canonicalJson } from "@/core/canonical-json";

// ---------------------------------------------------------------------------------------------
// Form bodies

type Obj = Record<string, unknown>;
const FORBIDDEN_KEYS = new Set(["__proto__", "prototype", "constructor"]);

export class FormError extends Error {}

/**
 * Parses `application/x-www-form-urlencoded` with bracket keys into nested values, the way
 * Stripe reads the SDK's bodies: `a[b]=1` → `{ a: { b: "1" } }`, `a[0]=x&a[1]=y` (or
 * `a[]=x&a[]=y`) → `{ a: ["x", "y"] }`. All leaves are strings. Throws FormError on keys it
 * cannot place (`a=1&a[b]=2`, unbalanced brackets, prototype keys).
 */
export function parseForm(raw: string): Obj {
  const root: Obj = {};
  for (const pair of raw.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? "" : decodeComponent(pair.slice(eq + 1));
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!m || m[1] === undefined) throw new FormError(`Invalid parameter name: ${key}`);
    const path = [m[1], ...[...(m[2] ?? "").matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1] ?? "")];
    let node: Obj = root;
    for (let i = 0; i < path.length; i++) {
      let seg = path[i] as string;
      if (FORBIDDEN_KEYS.has(seg)) throw new FormError(`Invalid parameter name: ${key}`);
      if (seg === "") seg = String(Object.keys(node).length); // a[]=x appends
      const last = i === path.length - 1;
      const existing = Object.hasOwn(node, seg) ? node[seg] : undefined;
      if (last) {
        if (existing !== undefined && typeof existing !== "string") throw new FormError(`Invalid parameter: ${key} is both a value and a hash`);
        node[seg] = value;
      } else {
        if (existing === undefined) node[seg] = {};
        else if (typeof existing === "string") throw new FormError(`Invalid parameter: ${key} is both a value and a hash`);
        node = node[seg] as Obj;
      }
    }
  }
  return arrayify(root) as Obj;
}

function decodeComponent(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    throw new FormError(`Invalid URL encoding: ${s}`);
  }
}

/** Turns hashes whose keys are exactly 0..n-1 into arrays. */
function arrayify(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  const o = v as Obj;
  for (const k of Object.keys(o)) o[k] = arrayify(o[k]);
  const keys = Object.keys(o);
  if (keys.length > 0 && keys.every((k, i) => k === String(i))) return keys.map((k) => o[k]);
  return o;
}

// ---------------------------------------------------------------------------------------------
// Stripe-shaped objects

export type StripeEvent = {
  id: string; object: "event"; api_version: string; created: number; livemode: false; pending_webhooks: number;
  type: string; account?: string;
  data: { object: Obj; previous_attributes?: Obj };
  request: { id: string | null; idempotency_key: string | null };
};

export type CheckoutSession = {
  id: string; object: "checkout.session"; mode: "payment"; status: "open" | "complete" | "expired";
  payment_status: "unpaid" | "paid" | "no_payment_required";
  amount_subtotal: number; amount_total: number; currency: string; client_reference_id: string | null;
  metadata: Record<string, string>; payment_intent: string | null; payment_method_types: string[];
  allowed_payment_method_types: string[] | null; payment_method_options: Obj; success_url: string | null; cancel_url: string | null; url: string | null;
  created: number; expires_at: number; livemode: false; customer: null; customer_email: string | null;
};
export type PaymentIntent = {
  id: string; object: "payment_intent"; amount: number; amount_received: number; currency: string;
  status: "processing" | "succeeded" | "requires_payment_method" | "canceled";
  latest_charge: string | null; transfer_group: string | null; metadata: Record<string, string>;
  payment_method_types: string[]; created: number; livemode: false;
};
export type Charge = {
  id: string; object: "charge"; amount: number; amount_refunded: number; currency: string; paid: boolean;
  refunded: boolean; status: "succeeded" | "pending" | "failed"; payment_intent: string; transfer_group: string | null;
  metadata: Record<string, string>; created: number; livemode: false;
};
export type Refund = {
  id: string; object: "refund"; amount: number; currency: string; charge: string; payment_intent: string;
  status: "pending" | "succeeded" | "failed" | "canceled" | "requires_action"; reason: string | null;
  metadata: Record<string, string>; created: number;
};
export type Transfer = {
  id: string; object: "transfer"; amount: number; amount_reversed: number; currency: string; destination: string;
  destination_payment: string; transfer_group: string | null; source_transaction: string | null; source_type: "card";
  description: string | null; metadata: Record<string, string>; reversed: boolean; created: number; livemode: false;
};
export type Account = {
  id: string; object: "account"; type: string; country: string; email: string | null; metadata: Record<string, string>;
  charges_enabled: boolean; payouts_enabled: boolean; details_submitted: boolean;
  capabilities: Record<string, "active" | "inactive" | "pending">; created: number;
};
export type AccountLink = { object: "account_link"; url: string; created: number; expires_at: number };

export type StandinRequest = {
  method: string; path: string; body: Obj; rawBody: string;
  idempotencyKey: string | null; stripeVersion: string | null; authorization: string | null;
};

export type StandinState = {
  sessions: Map<string, CheckoutSession>;
  paymentIntents: Map<string, PaymentIntent>;
  charges: Map<string, Charge>;
  refunds: Map<string, Refund>;
  transfers: Map<string, Transfer>;
  accounts: Map<string, Account>;
  /** Every event Stripe would have emitted, oldest first. */
  events: StripeEvent[];
  /** Status refunds are created with ("succeeded" like a card; "pending" like some wallets). */
  refundStatus: "succeeded" | "pending";
  /** Payment methods "enabled in the Dashboard" (dynamic payment methods). */
  enabledPaymentMethods: Set<string>;
};

export type Deliver = (rawBody: string, signatureHeader: string) => Promise<{ status: number }> | { status: number };

export type StripeStandin = {
  url: string; host: string; port: number; secretKey: string;
  requests: StandinRequest[];
  state: StandinState;
  close(): Promise<void>;
  /** The customer pays: the session completes and a PaymentIntent and Charge appear. `async` leaves it "unpaid" (processing). Returns checkout.session.completed. */
  completeCheckout(sessionId: string, o?: { async?: boolean }): StripeEvent;
  /** Settles an async payment: checkout.session.async_payment_succeeded or _failed. */
  settleAsyncPayment(sessionId: string, ok: boolean): StripeEvent;
  /** The session times out: checkout.session.expired. */
  expireCheckout(sessionId: string): StripeEvent;
  /** A pending refund settles: refund.updated. */
  settleRefund(refundId: string, status: "succeeded" | "failed"): StripeEvent;
  /** Onboarding progress: account.updated (a Connect event, `account` set). */
  updateAccount(accountId: string, patch: Partial<Pick<Account, "charges_enabled" | "payouts_enabled" | "details_submitted">> & { capabilities?: Account["capabilities"] }): StripeEvent;
  /** Onboarding finished: charges, payouts and the transfers capability enabled. */
  activateAccount(accountId: string): StripeEvent;
  /** Reverses a transfer (in full unless `amount`): transfer.reversed. */
  reverseTransfer(transferId: string, amount?: number): StripeEvent;
  /** Records an arbitrary event, e.g. a type the provider does not know. */
  emit(type: string, object: Obj, extra?: { previous_attributes?: Obj; account?: string }): StripeEvent;
  eventsOf(type: string): StripeEvent[];
  /** Makes the next request matching method and path prefix fail with this error (e.g. 402 balance_insufficient, 500). */
  failNext(method: string, pathPrefix: string, error: { status: number; type: string; message: string; code?: string }): void;
  /** Signs like Stripe (`t=…,v1=…` over the exact body) and hands the delivery to `to`. */
  deliver(event: StripeEvent | Obj, o: { to: Deliver; secret: string; timestamp?: number }): Promise<{ status: number; payload: string; header: string }>;
};

/** A `to` for `deliver` that POSTs to a webhook URL the way Stripe does. */
export function postTo(url: string): Deliver {
  return async (rawBody, signatureHeader) => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8", "stripe-signature": signatureHeader, "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)" },
      body: rawBody,
    });
    await res.arrayBuffer();
    return { status: res.status };
  };
}

// ---------------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(readonly status: number, readonly type: string, message: string, readonly extra: { code?: string; param?: string } = {}) { super(message); }
}
const invalid = (message: string, extra: { code?: string; param?: string } = {}) => new ApiError(400, "invalid_request_error", message, extra);
const missing = (param: string) => invalid(`Missing required param: ${param}.`, { code: "parameter_missing", param });
const noSuch = (kind: string, id: string, param?: string) =>
  new ApiError(404, "invalid_request_error", `No such ${kind}: '${id}'`, { code: "resource_missing", ...(param ? { param } : {}) });

const ALIPAY = new Set(["aud", "cad", "cny", "eur", "gbp", "hkd", "jpy", "nzd", "sgd", "usd", "myr"]);
const WECHAT_PAY = new Set(["aud", "cad", "cny", "eur", "gbp", "hkd", "jpy", "sgd", "usd", "dkk", "nok", "sek", "chf"]);
/** Payment method types the stand-in models, with the currencies each can be presented in (null: any). */
const METHOD_CURRENCIES: Record<string, ReadonlySet<string> | null> = { card: null, alipay: ALIPAY, wechat_pay: WECHAT_PAY };
/** Real Stripe types the stand-in does not model: valid names, never eligible here. */
const OTHER_METHODS = new Set(["acss_debit", "affirm", "afterpay_clearpay", "amazon_pay", "bancontact", "cashapp", "eps", "fpx", "giropay", "grabpay",
  "ideal", "kakao_pay", "klarna", "konbini", "link", "naver_pay", "p24", "paynow", "paypal", "promptpay", "revolut_pay", "sepa_debit", "twint", "us_bank_account"]);
/** The API version that removed `payment_method_types` from Checkout Session creation. */
const ENDIVE = "2026-09-30";

const now = () => Math.floor(Date.now() / 1000);
const rand = (n: number) => randomBytes(n).toString("base64url").replace(/[-_]/g, "x").slice(0, n);

function onlyParams(body: Obj, allowed: readonly string[], prefix = "") {
  for (const k of Object.keys(body)) {
    if (!allowed.includes(k)) throw invalid(`Received unknown parameter: ${prefix ? `${prefix}[${k}]` : k}`, { code: "parameter_unknown", param: prefix ? `${prefix}[${k}]` : k });
  }
}
function hash(v: unknown, param: string): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw invalid(`Invalid object`, { param });
  return v as Obj;
}
function text(v: unknown, param: string, o: { required?: boolean; max?: number } = {}): string | null {
  if (v === undefined) { if (o.required) throw missing(param); return null; }
  if (typeof v !== "string") throw invalid(`Invalid string: ${JSON.stringify(v)}`, { param });
  if (o.required && v === "") throw invalid(`You passed an empty string for '${param}'. We assume empty values are an attempt to unset a parameter; however '${param}' cannot be unset. You should remove '${param}' from your request or supply a non-empty value.`, { param });
  if (o.max !== undefined && v.length > o.max) throw invalid(`Invalid ${param}: must be at most ${o.max} characters`, { param });
  return v;
}
function integer(v: unknown, param: string, o: { required?: boolean; min?: number } = {}): number | null {
  if (v === undefined) { if (o.required) throw missing(param); return null; }
  if (typeof v !== "string" || !/^-?\d+$/.test(v)) throw invalid(`Invalid integer: ${typeof v === "string" ? v : JSON.stringify(v)}`, { param });
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw invalid(`Invalid integer: ${v}`, { param });
  if (o.min !== undefined && n < o.min) throw invalid(`This value must be greater than or equal to ${o.min}.`, { param });
  return n;
}
function currency(v: unknown, param: string): string {
  const c = text(v, param, { required: true }) as string;
  if (!/^[a-z]{3}$/i.test(c)) throw invalid(`Invalid currency: ${c}. Stripe currently supports these currencies: …`, { param });
  return c.toLowerCase();
}
function url(v: unknown, param: string, required: boolean): string | null {
  const s = text(v, param, { required });
  if (s === null) return null;
  let ok = false;
  try { const u = new URL(s); ok = u.protocol === "https:" || u.protocol === "http:"; } catch { ok = false; }
  if (!ok) throw invalid(`Not a valid URL`, { param });
  return s;
}
function metadata(v: unknown, param: string): Record<string, string> {
  if (v === undefined || v === "") return {};
  const o = hash(v, param);
  const keys = Object.keys(o);
  if (keys.length > 50) throw invalid(`Invalid ${param}: metadata can have at most 50 keys`, { param });
  const out: Record<string, string> = {};
  for (const k of keys) {
    if (k.length > 40) throw invalid(`Invalid ${param}: keys must be at most 40 characters`, { param: `${param}[${k}]` });
    const val = o[k];
    if (typeof val !== "string") throw invalid(`Invalid ${param}: values must be strings`, { param: `${param}[${k}]` });
    if (val.length > 500) throw invalid(`Invalid ${param}: values must be at most 500 characters`, { param: `${param}[${k}]` });
    if (val !== "") out[k] = val;
  }
  return out;
}
function list(v: unknown, param: string): unknown[] {
  if (!Array.isArray(v)) throw invalid(`Invalid array`, { param });
  return v;
}
export async function startStripeStandin(o: { secretKey?: string } = {}): Promise<StripeStandin> {
  const secretKey = o.secretKey ?? `sk_test_standin${rand(24)}`;
  if (!secretKey.startsWith("sk_test_")) throw new Error("the stand-in plays Stripe's test mode: use an sk_test_ key");
  const state: StandinState = {
    sessions: new Map(), paymentIntents: new Map(), charges: new Map(), refunds: new Map(),
    transfers: new Map(), accounts: new Map(), events: [], refundStatus: "succeeded",
    enabledPaymentMethods: new Set(["card", "alipay", "wechat_pay"]),
  };
  const requests: StandinRequest[] = [];
  const idempotent = new Map<string, { method: string; path: string; params: string; status: number; body: string; requestId: string }>();
  /** Internal: payment_intent_data per session (Stripe keeps it until the PaymentIntent exists). */
  const intentData = new Map<string, { transfer_group: string | null; metadata: Record<string, string>; description: string | null }>();
  const faults: { method: string; pathPrefix: string; error: { status: number; type: string; message: string; code?: string } }[] = [];
  let currentRequest: { id: string; idempotencyKey: string | null } | null = null;

  const emit: StripeStandin["emit"] = (type, object, extra = {}) => {
    const event: StripeEvent = {
      id: `evt_${rand(24)}`, object: "event", api_version: Stripe.API_VERSION, created: now(), livemode: false,
      pending_webhooks: 1, type,
      ...(extra.account ? { account: extra.account } : {}),
      data: { object: structuredClone(object), ...(extra.previous_attributes ? { previous_attributes: extra.previous_attributes } : {}) },
      request: currentRequest ? { id: currentRequest.id, idempotency_key: currentRequest.idempotencyKey } : { id: null, idempotency_key: null },
    };
    state.events.push(event);
    return event;
  };

  // --- endpoints -----------------------------------------------------------------------------

  function createSession(b: Obj, apiVersion: string): CheckoutSession {
    const legacy = apiVersion < ENDIVE;
    if (!legacy && b.payment_method_types !== undefined) {
      throw invalid(`payment_method_types is not supported on API version ${apiVersion}: use dynamic payment methods, allowed_payment_method_types or excluded_payment_method_types.`, { code: "payment_method_types_no_longer_supported", param: "payment_method_types" });
    }
    onlyParams(b, ["mode", "line_items", legacy ? "payment_method_types" : "allowed_payment_method_types", "excluded_payment_method_types",
      "client_reference_id", "metadata", "payment_intent_data", "success_url", "cancel_url", "payment_method_options", "customer_email",
      "locale", "expires_at", "expand"]);
    const mode = text(b.mode, "mode", { required: true });
    if (mode !== "payment") throw invalid(`Invalid mode: the stand-in supports mode=payment only (got ${mode})`, { param: "mode" });
    if (b.line_items === undefined) throw missing("line_items");
    const items = list(b.line_items, "line_items");
    if (items.length === 0) throw missing("line_items");
    let total = 0;
    let cur2 = "";
    for (const [i, raw] of items.entries()) {
      const p = `line_items[${i}]`;
      const item = hash(raw, p);
      onlyParams(item, ["price_data", "quantity"], p);
      const quantity = integer(item.quantity, `${p}[quantity]`, { required: true, min: 1 }) as number;
      if (item.price_data === undefined) throw missing(`${p}[price_data]`);
      const pd = hash(item.price_data, `${p}[price_data]`);
      onlyParams(pd, ["currency", "unit_amount", "product_data", "tax_behavior"], `${p}[price_data]`);
      const c = currency(pd.currency, `${p}[price_data][currency]`);
      const unit = integer(pd.unit_amount, `${p}[price_data][unit_amount]`, { required: true, min: 0 }) as number;
      if (pd.product_data === undefined) throw missing(`${p}[price_data][product_data]`);
      const prod = hash(pd.product_data, `${p}[price_data][product_data]`);
      onlyParams(prod, ["name", "description", "metadata"], `${p}[price_data][product_data]`);
      text(prod.name, `${p}[price_data][product_data][name]`, { required: true });
      if (cur2 !== "" && cur2 !== c) throw invalid("All line items must use the same currency.", { param: `${p}[price_data][currency]` });
      cur2 = c;
      total += unit * quantity;
    }
    if (!Number.isSafeInteger(total) || total > 99_999_999) throw invalid("Amount must be no more than 99,999,999", { code: "amount_too_large", param: "line_items" });
    if (total <= 0) throw invalid("The Checkout Session's total amount due must be greater than zero.", { param: "line_items" });

    const eligible = (t: string) => state.enabledPaymentMethods.has(t) && t in METHOD_CURRENCIES && (METHOD_CURRENCIES[t] === null || METHOD_CURRENCIES[t]!.has(cur2));
    const typeList = (param: string) => list(b[param], param).map((t, i) => {
      const name = text(t, `${param}[${i}]`, { required: true }) as string;
      if (!(name in METHOD_CURRENCIES) && !OTHER_METHODS.has(name)) throw invalid(`Invalid ${param}[${i}]: must be a payment method type`, { param: `${param}[${i}]` });
      return name;
    });
    let types: string[];
    if (legacy && b.payment_method_types !== undefined) {
      // Before 2026-09-30.endive the list was static: every type had to work for the session.
      types = typeList("payment_method_types");
      for (const t of types) {
        if (!eligible(t)) throw invalid(`The payment method type ${t} is invalid for this Checkout Session (currency ${cur2}, or not activated on the account).`, { param: "payment_method_types" });
      }
    } else {
      // Dynamic payment methods: enabled, compatible ones, filtered by allowed_/excluded_payment_method_types.
      const allowed = b.allowed_payment_method_types === undefined ? null : new Set(typeList("allowed_payment_method_types"));
      const excluded = new Set(b.excluded_payment_method_types === undefined ? [] : typeList("excluded_payment_method_types"));
      types = [...state.enabledPaymentMethods].filter((t) => eligible(t) && (!allowed || allowed.has(t)) && !excluded.has(t));
      if (types.length === 0) throw invalid(`No valid payment method types for this Checkout Session (currency ${cur2}).`, { param: allowed ? "allowed_payment_method_types" : "excluded_payment_method_types" });
    }
    const pmo = b.payment_method_options === undefined ? {} : hash(b.payment_method_options, "payment_method_options");
    onlyParams(pmo, Object.keys(METHOD_CURRENCIES), "payment_method_options");
    if (types.includes("wechat_pay")) {
      const w = pmo.wechat_pay === undefined ? null : hash(pmo.wechat_pay, "payment_method_options[wechat_pay]");
      if (!w || w.client === undefined) throw missing("payment_method_options[wechat_pay][client]");
      onlyParams(w, ["client", "app_id"], "payment_method_options[wechat_pay]");
      const client = text(w.client, "payment_method_options[wechat_pay][client]", { required: true });
      if (client !== "web" && client !== "ios" && client !== "android") throw invalid(`Invalid payment_method_options[wechat_pay][client]: must be one of android, ios, or web`, { param: "payment_method_options[wechat_pay][client]" });
      if (client !== "web" && w.app_id === undefined) throw missing("payment_method_options[wechat_pay][app_id]");
    }
    const pid = b.payment_intent_data === undefined ? {} : hash(b.payment_intent_data, "payment_intent_data");
    onlyParams(pid, ["transfer_group", "metadata", "description"], "payment_intent_data");

    const created = now();
    const id = `cs_test_${rand(58)}`;
    const session: CheckoutSession = {
      id, object: "checkout.session", mode: "payment", status: "open", payment_status: "unpaid",
      amount_subtotal: total, amount_total: total, currency: cur2,
      client_reference_id: text(b.client_reference_id, "client_reference_id", { max: 200 }),
      metadata: metadata(b.metadata, "metadata"), payment_intent: null, payment_method_types: types,
      allowed_payment_method_types: Array.isArray(b.allowed_payment_method_types) ? (b.allowed_payment_method_types as string[]) : null,
      payment_method_options: structuredClone(pmo),
      success_url: url(b.success_url, "success_url", false), cancel_url: url(b.cancel_url, "cancel_url", false),
      url: `https://checkout.stripe.com/c/pay/${id}#standin`, created,
      expires_at: b.expires_at === undefined ? created + 86_400 : (integer(b.expires_at, "expires_at") as number),
      livemode: false, customer: null, customer_email: text(b.customer_email, "customer_email"),
    };
    intentData.set(id, {
      transfer_group: text(pid.transfer_group, "payment_intent_data[transfer_group]"),
      metadata: metadata(pid.metadata, "payment_intent_data[metadata]"),
      description: text(pid.description, "payment_intent_data[description]"),
    });
    state.sessions.set(id, session);
    return session;
  }

  function createRefund(b: Obj): Refund {
    onlyParams(b, ["payment_intent", "charge", "amount", "metadata", "reason", "expand", "instructions_email", "refund_application_fee", "reverse_transfer"]);
    const piId = text(b.payment_intent, "payment_intent");
    const chId = text(b.charge, "charge");
    if (!piId && !chId) throw invalid("One of the following params should be provided for this request: payment_intent or charge.", { code: "parameter_missing" });
    let charge: Charge | undefined;
    if (piId) {
      const pi = state.paymentIntents.get(piId);
      if (!pi) throw noSuch("payment_intent", piId, "payment_intent");
      if (pi.status !== "succeeded" || !pi.latest_charge) throw invalid(`This PaymentIntent (${piId}) does not have a successful charge to refund.`, { param: "payment_intent" });
      charge = state.charges.get(pi.latest_charge);
    } else if (chId) {
      charge = state.charges.get(chId);
      if (!charge) throw noSuch("charge", chId, "charge");
    }
    if (!charge) throw invalid("No charge to refund");
    const remaining = charge.amount - charge.amount_refunded;
    if (remaining <= 0) throw invalid(`Charge ${charge.id} has already been refunded.`, { code: "charge_already_refunded" });
    const amount = integer(b.amount, "amount", { min: 1 }) ?? remaining;
    if (amount > remaining) {
      throw invalid(`Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`, { code: "amount_too_large", param: "amount" });
    }
    const reason = text(b.reason, "reason");
    if (reason !== null && !["duplicate", "fraudulent", "requested_by_customer"].includes(reason)) throw invalid(`Invalid reason: ${reason}`, { param: "reason" });
    const refund: Refund = {
      id: `re_${rand(24)}`, object: "refund", amount, currency: charge.currency, charge: charge.id, payment_intent: charge.payment_intent,
      status: state.refundStatus, reason, metadata: metadata(b.metadata, "metadata"), created: now(),
    };
    // Stripe reserves the amount when the refund is created, pending or not.
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    state.refunds.set(refund.id, refund);
    emit("charge.refunded", charge);
    emit("refund.created", refund);
    return refund;
  }

  function createTransfer(b: Obj): Transfer {
    onlyParams(b, ["amount", "currency", "destination", "transfer_group", "source_transaction", "source_type", "description", "metadata", "expand"]);
    const amount = integer(b.amount, "amount", { required: true, min: 1 }) as number;
    const cur = currency(b.currency, "currency");
    const destination = text(b.destination, "destination", { required: true }) as string;
    const account = state.accounts.get(destination);
    if (!account) throw invalid(`No such destination: '${destination}'`, { code: "resource_missing", param: "destination" });
    if (account.capabilities.transfers !== "active") {
      throw invalid("Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments", { code: "insufficient_capabilities_for_transfer", param: "destination" });
    }
    const source = text(b.source_transaction, "source_transaction");
    if (source !== null) {
      const charge = state.charges.get(source);
      if (!charge) throw invalid(`No such charge: '${source}'`, { code: "resource_missing", param: "source_transaction" });
      if (charge.currency === cur) {
        const used = [...state.transfers.values()].filter((t) => t.source_transaction === source).reduce((s, t) => s + t.amount - t.amount_reversed, 0);
        if (used + amount > charge.amount - charge.amount_refunded) {
          throw invalid(`Transfer amount (${amount}) exceeds the amount available from source transaction ${source} (${charge.amount - charge.amount_refunded - used})`, { param: "amount" });
        }
      }
    }
    const transfer: Transfer = {
      id: `tr_${rand(24)}`, object: "transfer", amount, amount_reversed: 0, currency: cur, destination,
      destination_payment: `py_${rand(24)}`, transfer_group: text(b.transfer_group, "transfer_group"), source_transaction: source,
      source_type: "card", description: text(b.description, "description", { max: 5000 }), metadata: metadata(b.metadata, "metadata"),
      reversed: false, created: now(), livemode: false,
    };
    state.transfers.set(transfer.id, transfer);
    emit("transfer.created", transfer);
    return transfer;
  }

  function createAccount(b: Obj): Account {
    onlyParams(b, ["type", "country", "email", "metadata", "capabilities", "business_type", "business_profile", "controller", "expand"]);
    const type = text(b.type, "type");
    if (type === null && b.controller === undefined) throw missing("type");
    if (type !== null && !["express", "standard", "custom"].includes(type)) throw invalid(`Invalid type: must be one of custom, express, or standard`, { param: "type" });
    const country = text(b.country, "country") ?? "US";
    const email = text(b.email, "email");
    if (email !== null && !/^[^@\s]+@[^@\s]+$/.test(email)) throw invalid(`Invalid email address: ${email}`, { param: "email", code: "email_invalid" });
    const requested = b.capabilities === undefined ? ["card_payments", "transfers"] : Object.keys(hash(b.capabilities, "capabilities"));
    const account: Account = {
      id: `acct_${rand(16)}`, object: "account", type: type ?? "none", country, email, metadata: metadata(b.metadata, "metadata"),
      charges_enabled: false, payouts_enabled: false, details_submitted: false,
      capabilities: Object.fromEntries(requested.map((c) => [c, "inactive" as const])), created: now(),
    };
    state.accounts.set(account.id, account);
    return account;
  }

  function createAccountLink(b: Obj): AccountLink {
    onlyParams(b, ["account", "type", "refresh_url", "return_url", "collect", "collection_options", "expand"]);
    const id = text(b.account, "account", { required: true }) as string;
    if (!state.accounts.has(id)) throw invalid(`No such account: '${id}'`, { code: "resource_missing", param: "account" });
    const type = text(b.type, "type", { required: true });
    if (type !== "account_onboarding" && type !== "account_update") throw invalid("Invalid type: must be one of account_onboarding or account_update", { param: "type" });
    url(b.refresh_url, "refresh_url", true);
    url(b.return_url, "return_url", true);
    const created = now();
    return { object: "account_link", url: `https://connect.stripe.com/setup/e/${id}/${rand(12)}`, created, expires_at: created + 300 };
  }

  // --- HTTP ----------------------------------------------------------------------------------

  function route(method: string, path: string, body: Obj, apiVersion: string): unknown {
    if (method === "POST" && path === "/v1/checkout/sessions") return createSession(body, apiVersion);
    const sessionMatch = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path);
    if (method === "GET" && sessionMatch) {
      const id = decodeURIComponent(sessionMatch[1] as string);
      const s = state.sessions.get(id);
      if (!s) throw noSuch("checkout.session", id);
      return s;
    }
    if (method === "POST" && path === "/v1/refunds") return createRefund(body);
    if (method === "POST" && path === "/v1/transfers") return createTransfer(body);
    if (method === "POST" && path === "/v1/accounts") return createAccount(body);
    if (method === "POST" && path === "/v1/account_links") return createAccountLink(body);
    throw new ApiError(404, "invalid_request_error", `Unrecognized request URL (${method}: ${path}). The Stripe stand-in implements only the endpoints the marketplace uses.`);
  }

  function authorise(header: string | undefined) {
    if (!header) throw new ApiError(401, "invalid_request_error", "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').");
    const m = /^Bearer (.+)$/.exec(header);
    const key = m?.[1] ?? "";
    if (key !== secretKey) throw new ApiError(401, "invalid_request_error", `Invalid API Key provided: ${key.slice(0, 8)}${"*".repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString("utf8");
    const method = req.method ?? "GET";
    const [path = "/", query = ""] = (req.url ?? "/").split("?", 2);
    const header = (n: string) => { const v = req.headers[n]; return Array.isArray(v) ? (v[0] ?? null) : (v ?? null); };
    const idempotencyKey = method === "POST" ? header("idempotency-key") : null; // Stripe ignores keys on GET and DELETE
    const requestId = `req_${rand(14)}`;
    const record: StandinRequest = { method, path, body: {}, rawBody, idempotencyKey, stripeVersion: header("stripe-version"), authorization: header("authorization") };
    requests.push(record);
    const send = (status: number, payload: string, extra: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", "request-id": requestId, "stripe-version": record.stripeVersion ?? Stripe.API_VERSION, ...extra });
      res.end(payload);
    };
    try {
      authorise(header("authorization") ?? undefined);
      const form = method === "GET" ? query : rawBody;
      if (method === "POST" && rawBody && !(header("content-type") ?? "").startsWith("application/x-www-form-urlencoded")) {
        throw invalid("Invalid request: the body must be application/x-www-form-urlencoded");
      }
      let body: Obj;
      try { body = parseForm(form); } catch (e) { if (e instanceof FormError) throw invalid(e.message); throw e; }
      record.body = body;
      const apiVersion = record.stripeVersion ?? Stripe.API_VERSION;

      const fault = faults.findIndex((f) => f.method === method && path.startsWith(f.pathPrefix));
      if (fault >= 0) {
        const f = faults.splice(fault, 1)[0]!.error;
        throw new ApiError(f.status, f.type, f.message, f.code ? { code: f.code } : {});
      }

      if (idempotencyKey !== null) {
        if (idempotencyKey.length > 255) throw new ApiError(400, "idempotency_error", "Idempotency keys must be at most 255 characters long.");
        const seen = idempotent.get(idempotencyKey);
        const params = canonicalJson(body); // stable, to compare idempotent requests' parameters
        if (seen) {
          if (seen.method !== method || seen.path !== path) {
            throw new ApiError(400, "idempotency_error", `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${seen.method} ${seen.path}' vs '${method} ${path}'). Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`);
          }
          if (seen.params !== params) {
            throw new ApiError(400, "idempotency_error", `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`);
          }
          send(seen.status, seen.body, { "idempotent-replayed": "true", "original-request": seen.requestId });
          return;
        }
        currentRequest = { id: requestId, idempotencyKey };
        const result = JSON.stringify(route(method, path, body, apiVersion), null, 2);
        // Only executed requests are saved; a request that failed validation can be retried with the same key.
        idempotent.set(idempotencyKey, { method, path, params, status: 200, body: result, requestId });
        send(200, result);
        return;
      }
      currentRequest = { id: requestId, idempotencyKey: null };
      send(200, JSON.stringify(route(method, path, body, apiVersion), null, 2));
    } catch (e) {
      if (e instanceof ApiError) {
        send(e.status, JSON.stringify({ error: { type: e.type, message: e.message, ...e.extra, request_log_url: `https://dashboard.stripe.com/test/logs/${requestId}` } }));
      } else {
        send(500, JSON.stringify({ error: { type: "api_error", message: `stand-in failure: ${(e as Error).message}` } }));
      }
    } finally {
      currentRequest = null;
    }
  }

  const server = http.createServer((req, res) => { void handle(req, res); });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = "127.0.0.1";

  // --- Stripe's side of the flows --------------------------------------------------------------

  const sessionOf = (id: string) => { const s = state.sessions.get(id); if (!s) throw new Error(`stand-in: no session ${id}`); return s; };

  const standin: StripeStandin = {
    url: `http://${host}:${port}`, host, port, secretKey, requests, state,
    close: () => new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeAllConnections();
    }),

    completeCheckout(sessionId, o = {}) {
      const s = sessionOf(sessionId);
      if (s.status !== "open") throw new Error(`stand-in: session ${sessionId} is ${s.status}`);
      const data = intentData.get(sessionId) ?? { transfer_group: null, metadata: {}, description: null };
      const created = now();
      const pi: PaymentIntent = {
        id: `pi_${rand(24)}`, object: "payment_intent", amount: s.amount_total, amount_received: o.async ? 0 : s.amount_total,
        currency: s.currency, status: o.async ? "processing" : "succeeded", latest_charge: null,
        transfer_group: data.transfer_group, metadata: data.metadata, payment_method_types: s.payment_method_types, created, livemode: false,
      };
      if (!o.async) {
        const ch: Charge = {
          id: `ch_${rand(24)}`, object: "charge", amount: s.amount_total, amount_refunded: 0, currency: s.currency, paid: true,
          refunded: false, status: "succeeded", payment_intent: pi.id, transfer_group: data.transfer_group, metadata: data.metadata, created, livemode: false,
        };
        state.charges.set(ch.id, ch);
        pi.latest_charge = ch.id;
        emit("charge.succeeded", ch);
        emit("payment_intent.succeeded", pi);
      }
      state.paymentIntents.set(pi.id, pi);
      s.status = "complete";
      s.payment_status = o.async ? "unpaid" : "paid";
      s.payment_intent = pi.id;
      return emit("checkout.session.completed", s);
    },

    settleAsyncPayment(sessionId, ok) {
      const s = sessionOf(sessionId);
      const pi = s.payment_intent ? state.paymentIntents.get(s.payment_intent) : undefined;
      if (!pi || pi.status !== "processing") throw new Error(`stand-in: session ${sessionId} has no processing payment`);
      if (ok) {
        const ch: Charge = {
          id: `ch_${rand(24)}`, object: "charge", amount: pi.amount, amount_refunded: 0, currency: pi.currency, paid: true, refunded: false,
          status: "succeeded", payment_intent: pi.id, transfer_group: pi.transfer_group, metadata: pi.metadata, created: now(), livemode: false,
        };
        state.charges.set(ch.id, ch);
        pi.latest_charge = ch.id;
        pi.status = "succeeded";
        pi.amount_received = pi.amount;
        s.payment_status = "paid";
        emit("payment_intent.succeeded", pi);
        return emit("checkout.session.async_payment_succeeded", s);
      }
      pi.status = "requires_payment_method";
      emit("payment_intent.payment_failed", pi);
      return emit("checkout.session.async_payment_failed", s);
    },

    expireCheckout(sessionId) {
      const s = sessionOf(sessionId);
      if (s.status !== "open") throw new Error(`stand-in: session ${sessionId} is ${s.status}`);
      s.status = "expired";
      s.url = null;
      return emit("checkout.session.expired", s);
    },

    settleRefund(refundId, status) {
      const r = state.refunds.get(refundId);
      if (!r) throw new Error(`stand-in: no refund ${refundId}`);
      const previous = { status: r.status };
      r.status = status;
      if (status === "failed") {
        const ch = state.charges.get(r.charge);
        if (ch) { ch.amount_refunded -= r.amount; ch.refunded = false; }
        return emit("refund.failed", r, { previous_attributes: previous });
      }
      return emit("refund.updated", r, { previous_attributes: previous });
    },

    updateAccount(accountId, patch) {
      const a = state.accounts.get(accountId);
      if (!a) throw new Error(`stand-in: no account ${accountId}`);
      const previous: Obj = {};
      for (const k of ["charges_enabled", "payouts_enabled", "details_submitted"] as const) {
        const v = patch[k];
        if (v !== undefined && v !== a[k]) { previous[k] = a[k]; a[k] = v; }
      }
      if (patch.capabilities) { previous.capabilities = { ...a.capabilities }; a.capabilities = { ...a.capabilities, ...patch.capabilities }; }
      return emit("account.updated", a, { previous_attributes: previous, account: a.id });
    },

    activateAccount(accountId) {
      const a = state.accounts.get(accountId);
      if (!a) throw new Error(`stand-in: no account ${accountId}`);
      const caps = Object.fromEntries(Object.keys(a.capabilities).map((c) => [c, "active" as const]));
      return standin.updateAccount(accountId, { charges_enabled: "card_payments" in caps, payouts_enabled: true, details_submitted: true, capabilities: { ...caps, transfers: "active" } });
    },

    reverseTransfer(transferId, amount) {
      const t = state.transfers.get(transferId);
      if (!t) throw new Error(`stand-in: no transfer ${transferId}`);
      const left = t.amount - t.amount_reversed;
      const a = amount ?? left;
      if (a <= 0 || a > left) throw new Error(`stand-in: cannot reverse ${a} of ${left}`);
      t.amount_reversed += a;
      t.reversed = t.amount_reversed === t.amount;
      return emit("transfer.reversed", t);
    },

    emit,
    eventsOf: (type) => state.events.filter((e) => e.type === type),
    failNext(method, pathPrefix, error) { faults.push({ method: method.toUpperCase(), pathPrefix, error }); },

    async deliver(event, o) {
      const payload = JSON.stringify(event, null, 2);
      const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: o.secret, ...(o.timestamp !== undefined ? { timestamp: o.timestamp } : {}) });
      const { status } = await o.to(payload, header);
      return { status, payload, header };
    },
  };
  return standin;
}
