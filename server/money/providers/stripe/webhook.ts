/**
 * A webhook delivery, from raw body and Stripe-Signature header to a ProviderEvent: first the
 * signature, checked by the Stripe SDK against each of our signing secrets, then the payload,
 * normalised by ./events. Nothing is read from a body whose signature did not verify.
 */
import Stripe from "stripe";
import { ProviderSignatureError, type ProviderEvent } from "../types";
import { MalformedStripeEventError, normaliseEvent } from "./events";

/**
 * `secrets` are tried in order (the platform endpoint's, then the Connect endpoint's);
 * `toleranceSeconds` is the maximum age of a signed delivery.
 */
export function stripeWebhookParser(stripe: Stripe, secrets: readonly string[], toleranceSeconds: number) {
  return function parseWebhook(rawBody: string, signature: string | null): ProviderEvent {
    if (typeof signature !== "string" || signature.trim() === "") {
      throw new ProviderSignatureError("missing Stripe-Signature header");
    }
    if (typeof rawBody !== "string" || rawBody === "") throw new ProviderSignatureError("empty webhook body");
    const failures: string[] = [];
    for (const secret of secrets) {
      let event: unknown;
      try {
        event = stripe.webhooks.constructEvent(rawBody, signature, secret, toleranceSeconds);
      } catch (e) {
        if (e instanceof Stripe.errors.StripeSignatureVerificationError) { failures.push(e.message.split("\n")[0] ?? "bad signature"); continue; }
        // The signature verified but the body is not a (v1) event: JSON errors, thin events.
        const message = (e as Error).message;
        throw new MalformedStripeEventError(null, null, [{ path: "", message }], message);
      }
      return normaliseEvent(event);
    }
    // A matching signature with an old timestamp says more than another secret's mismatch.
    throw new ProviderSignatureError(failures.find((m) => /tolerance/i.test(m)) ?? failures[0] ?? "bad signature");
  };
}
