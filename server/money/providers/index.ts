/**
 * The configured payment provider: PAYMENT_PROVIDER=offline (default) or stripe, with
 * STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET (and STRIPE_API_BASE to point the SDK at a
 * stand-in). Tests pass their own provider to the domain functions.
 */
import { offlineProvider } from "./offline";
import { stripeProvider } from "./stripe";
import type { PaymentProvider } from "./types";

let cached: PaymentProvider | undefined;

export function configuredProvider(): PaymentProvider {
  if (cached) return cached;
  const name = process.env.PAYMENT_PROVIDER ?? "offline";
  if (name === "offline") return (cached = offlineProvider());
  if (name !== "stripe") throw new Error(`PAYMENT_PROVIDER must be "offline" or "stripe", not "${name}".`);
  const secretKey = process.env.STRIPE_SECRET_KEY, webhookSecret = process.env.STRIPE_WEBHOOK_SECRET;
  if (!secretKey || !webhookSecret) throw new Error("PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET.");
  const base = process.env.STRIPE_API_BASE ? new URL(process.env.STRIPE_API_BASE) : null;
  return (cached = stripeProvider({
    secretKey, webhookSecret,
    ...(base ? { apiHost: base.hostname, apiPort: Number(base.port || (base.protocol === "https:" ? 443 : 80)), apiProtocol: base.protocol.replace(":", "") as "http" | "https" } : {}),
  }));
}
