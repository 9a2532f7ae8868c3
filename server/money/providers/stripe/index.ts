/**
 * The Stripe payment provider: Checkout Sessions for buyers, Connect (Express accounts,
 * separate charges and transfers) for holders and developers, and signed webhooks.
 *
 *   client.ts   the calls we make (Checkout, refunds, transfers, onboarding)
 *   webhook.ts  a delivery: signature check by the SDK, then normalisation
 *   events.ts   normalisation of the event types we handle into ProviderEvent
 *   schemas.ts  the zod schemas of those events (only the fields we read)
 *
 * It talks to Stripe only through the official SDK. `apiHost`/`apiPort`/`apiProtocol` exist so
 * tests can point the SDK at a local stand-in; nothing here behaves differently for it, so real
 * keys against api.stripe.com work unchanged.
 */
import Stripe from "stripe";
import { ProviderError, type PaymentProvider } from "../types";
import { stripeCalls } from "./client";
import { stripeWebhookParser } from "./webhook";

export { stripeMethodsFor } from "./client";
export { MalformedStripeEventError, normaliseEvent, type StripeEventIssue } from "./events";

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

export function stripeProvider(o: StripeProviderOptions): PaymentProvider {
  if (!o.secretKey) throw new ProviderError("Stripe secret key is required", "CONFIG");
  if (!o.webhookSecret || !o.webhookSecret.trim()) throw new ProviderError("Stripe webhook signing secret is required", "CONFIG");
  const tolerance = o.toleranceSeconds ?? 300;
  if (!Number.isSafeInteger(tolerance) || tolerance <= 0) {
    throw new ProviderError("toleranceSeconds must be a positive integer (0 would disable the timestamp check)", "CONFIG");
  }
  const secrets = [o.webhookSecret, ...(o.connectWebhookSecret ? [o.connectWebhookSecret] : [])];

  // One SDK instance for both directions: its settings (host, retries) and its crypto provider.
  const stripe = new Stripe(o.secretKey, {
    ...(o.apiHost !== undefined ? { host: o.apiHost } : {}),
    ...(o.apiPort !== undefined ? { port: o.apiPort } : {}),
    ...(o.apiProtocol !== undefined ? { protocol: o.apiProtocol } : {}),
    maxNetworkRetries: o.maxNetworkRetries ?? 2,
    ...(o.timeoutMs !== undefined ? { timeout: o.timeoutMs } : {}),
    appInfo: { name: "privacy-data-marketplace" },
  });

  return {
    name: "stripe",
    ...stripeCalls(stripe),
    parseWebhook: stripeWebhookParser(stripe, secrets, tolerance),
  };
}
