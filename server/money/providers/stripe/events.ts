/**
 * Stripe webhook events, already verified, turned into our provider-neutral ProviderEvent:
 *
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
 *
 * Each payload is read through the schemas in ./schemas. A handled type whose payload does not
 * fit throws MalformedStripeEventError before anything is returned, so the caller writes
 * nothing and the delivery is answered 400.
 */
import { z } from "zod";
import { zodText } from "@/core/zod-text";
import { ProviderError, type ProviderEvent } from "../types";
import { account, eventEnvelope, refundAmount, refundRef, sessionPayment, sessionRef, transfer, transferReversal } from "./schemas";

/** One thing wrong with a payload: where (e.g. "data.object.amount_total") and what. */
export type StripeEventIssue = { path: string; message: string };

/**
 * A signed delivery we cannot read: not JSON, not an event, or a handled event type whose
 * payload lacks or mistypes a field we use. Code MALFORMED_EVENT, like every ProviderError the
 * webhook route turns into a 400; `eventId` and `eventType` are null when the body did not
 * get that far.
 */
export class MalformedStripeEventError extends ProviderError {
  constructor(
    readonly eventId: string | null,
    readonly eventType: string | null,
    readonly issues: readonly StripeEventIssue[],
    detail: string,
  ) {
    const which = [eventId, eventType && `(${eventType})`].filter(Boolean).join(" ");
    super(`malformed Stripe event${which ? ` ${which}` : ""}: ${detail}`, "MALFORMED_EVENT");
    this.name = "MalformedStripeEventError";
  }

  /** From a failed parse of the value found at `at` in the event. */
  static fromZod(event: { id: string | null; type: string | null }, error: z.ZodError, at: readonly PropertyKey[]): MalformedStripeEventError {
    const rooted = new z.ZodError(error.issues.map((i) => ({ ...i, path: [...at, ...i.path] })));
    const issues = rooted.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
    return new MalformedStripeEventError(event.id, event.type, issues, zodText(rooted));
  }
}

/** `schema` applied to `value`, found at `at` in the event; a mismatch names the event and the path. */
function read<S extends z.ZodType>(schema: S, value: unknown, at: readonly PropertyKey[], event: { id: string | null; type: string | null }): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw MalformedStripeEventError.fromZod(event, r.error, at);
  return r.data;
}

/** The id and type of something that failed the envelope, when they are there, for the error message. */
function whatItSays(raw: unknown): { id: string | null; type: string | null } {
  const o = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {};
  return { id: typeof o.id === "string" && o.id ? o.id : null, type: typeof o.type === "string" && o.type ? o.type : null };
}

export function normaliseEvent(raw: unknown): ProviderEvent {
  const e = read(eventEnvelope, raw, [], whatItSays(raw));
  const { id: eventId, type, created } = e;
  const ignored: ProviderEvent = { eventId, type: "ignored", providerType: type, created };
  const payload = <S extends z.ZodType>(schema: S) => read(schema, e.data.object, ["data", "object"], { id: eventId, type });

  switch (type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded":
    case "checkout.session.async_payment_failed":
    case "checkout.session.expired": {
      const s = payload(sessionRef);
      if (s.mode !== undefined && s.mode !== "payment") return ignored;
      const orderId = s.metadata?.orderId ?? s.client_reference_id;
      // A session that is not for one of our orders (made outside the marketplace).
      if (!orderId) return ignored;
      if (type === "checkout.session.expired") return { eventId, type: "payment.failed", providerRef: s.id, orderId, reason: "expired", created };
      if (type === "checkout.session.async_payment_failed") return { eventId, type: "payment.failed", providerRef: s.id, orderId, reason: "async_payment_failed", created };
      const p = payload(sessionPayment);
      // completed with payment_status "unpaid": an asynchronous method (e.g. a bank debit) is
      // still processing; async_payment_succeeded/failed follows.
      if (p.payment_status !== "paid") return ignored;
      return {
        eventId, type: "payment.succeeded", providerRef: s.id, orderId,
        amountMinor: p.amount_total, currency: p.currency, chargeRef: chargeOf(p.payment_intent), created,
      };
    }
    case "refund.created":
    case "refund.updated":
    case "charge.refund.updated": {
      const r = payload(refundRef);
      const providerRef = r.metadata?.providerRef ?? null;
      // Refunds not made by refund() (e.g. from the Dashboard) carry no session reference.
      if (r.status !== "succeeded" || !providerRef) return ignored;
      const a = payload(refundAmount);
      return { eventId, type: "refund.succeeded", providerRef, refundRef: r.id, amountMinor: a.amount, currency: a.currency, created };
    }
    case "transfer.created":
      return { eventId, type: "payout.paid", transferRef: payload(transfer).id, created };
    case "transfer.reversed": {
      const t = payload(transferReversal);
      // transfer.reversed also fires for partial reversals; only a full reversal undoes the payout.
      if (!t.reversed) return ignored;
      return { eventId, type: "payout.failed", transferRef: t.id, reason: "transfer_reversed", created };
    }
    case "account.updated": {
      const a = payload(account);
      return accountReady(a) ? { eventId, type: "account.ready", accountRef: a.id, created } : ignored;
    }
    default:
      return ignored;
  }
}

/** The charge behind a session, when its payment_intent was expanded (webhooks do not expand it, so normally null). */
function chargeOf(pi: z.output<typeof sessionPayment>["payment_intent"]): string | null {
  if (typeof pi !== "object" || pi === null) return null;
  const c = pi.latest_charge;
  const id = typeof c === "string" ? c : c?.id;
  return id || null;
}

/**
 * A connected account is ready to be paid when Stripe can pay it out and it can receive
 * transfers. `transfers` is the capability separate charges and transfers need; accounts on the
 * recipient service agreement (cross-border payouts) have it without `charges_enabled`.
 * Without capability details, fall back to `charges_enabled`.
 */
function accountReady(a: z.output<typeof account>): boolean {
  if (a.payouts_enabled !== true) return false;
  const transfers = a.capabilities?.transfers;
  if (transfers !== undefined) return transfers === "active";
  return a.charges_enabled === true;
}
