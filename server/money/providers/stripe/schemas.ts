/**
 * The shapes we read from Stripe webhook events, as zod schemas: only the event types we
 * handle, and in them only the fields we read. A delivery is signed, so it comes from Stripe,
 * but its shape follows the endpoint's API version and Stripe's changes; checking the fields
 * we use, and nothing else, means a payload we cannot read is refused with a clear error
 * instead of a TypeError or a silently wrong amount, while fields we ignore can change freely
 * (objects are not strict, unknown keys are dropped).
 *
 * Where a handled object has two steps (is it one of ours? then, what happened?), there are two
 * schemas, so a session or refund that is not ours is ignored before its other fields are read.
 */
import { z } from "zod";

/**
 * Stripe ids and types are never empty; an empty one could only match nothing, or the wrong thing.
 * Nor longer than 255 characters, nor holding NUL: such a one is not Stripe's, and PostgreSQL could not
 * store (or index) it.
 */
const text = z.string().min(1).max(255).regex(/^[^\0]*$/, { message: "must not contain NUL" });

/** A reference of ours that may be missing: absent, null and "" all mean "none". */
const optionalRef = z.string().nullish().transform((v) => v || null);

/**
 * An amount in minor units. Stripe sends integers; a float, a string or a number past 2^53
 * would be posted as a wrong amount, so they are refused here.
 */
const minorUnits = z.int().min(0);

/**
 * A currency as Stripe writes it (ISO 4217, lower case). Our journal is lower case too, so an
 * upper-case code is folded rather than refused; anything that is not three letters is refused.
 */
const currency = z.string()
  .regex(/^[a-z]{3}$/i, { message: "expected a three-letter ISO 4217 currency code" })
  .transform((c) => c.toLowerCase());

/** An object whose fields are read later, by the schema for its event type. */
const someObject = z.record(z.string(), z.unknown());

/** Every v1 event: read before the type is known, so unknown types are still acknowledged by id. */
export const eventEnvelope = z.object({
  // When present it must say "event": anything else (a thin v2 event, a bare object) is not one we read.
  object: z.literal("event").optional(),
  id: text,
  type: text,
  created: z.int(),
  data: z.object({ object: someObject }),
});

// checkout.session.completed, .async_payment_succeeded, .async_payment_failed, .expired

/** Enough of a Checkout Session to tell whether it pays one of our orders. */
export const sessionRef = z.object({
  object: z.literal("checkout.session"),
  id: text,
  // We only create "payment" sessions; another mode (a subscription made elsewhere) is not ours.
  mode: z.string().optional(),
  // createCheckout sets both; metadata wins, client_reference_id is the fallback.
  metadata: z.object({ orderId: optionalRef }).nullish(),
  client_reference_id: optionalRef,
});

/** What a session says about its payment, read only when the event can mean "paid". */
export const sessionPayment = z.object({
  // Not an enum: Stripe adds statuses (no_payment_required); only "paid" means paid to us.
  payment_status: text,
  amount_total: minorUnits,
  currency,
  // Webhooks never expand payment_intent (an id or null); an expanded one may name its charge.
  payment_intent: z.union([
    z.string(),
    z.null(),
    z.object({ latest_charge: z.union([z.string(), z.object({ id: z.string() }), z.null()]).optional() }),
  ]).optional(),
});

// refund.created, refund.updated, charge.refund.updated

/** Enough of a refund to tell whether it is one of ours and has gone through. */
export const refundRef = z.object({
  object: z.literal("refund"),
  id: text,
  // Not an enum, for the same reason as payment_status: only "succeeded" is acted on.
  status: text,
  // Set by refund(); refunds made in the Dashboard have none and are ignored.
  metadata: z.object({ providerRef: optionalRef }).nullish(),
});

/** The amount of a succeeded refund of ours. Stripe never refunds zero. */
export const refundAmount = z.object({
  amount: minorUnits.min(1),
  currency,
});

// transfer.created, transfer.reversed

export const transfer = z.object({
  object: z.literal("transfer"),
  id: text,
});

/** transfer.reversed also fires for partial reversals, so `reversed` must be there to tell them apart. */
export const transferReversal = transfer.extend({
  reversed: z.boolean(),
});

// account.updated

/**
 * What says a connected account can be paid. A missing or null flag counts as "not enabled";
 * a flag of another type (the string "true") is refused rather than guessed at.
 */
export const account = z.object({
  object: z.literal("account"),
  id: text,
  payouts_enabled: z.boolean().nullish(),
  charges_enabled: z.boolean().nullish(),
  // Not an enum: Stripe has more statuses than active/inactive/pending; only "active" counts.
  capabilities: z.object({ transfers: z.string().optional() }).nullish(),
});
