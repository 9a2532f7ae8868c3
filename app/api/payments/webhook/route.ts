/**
 * POST /api/payments/webhook: the payment provider's event deliveries (Stripe: configure this
 * URL and STRIPE_WEBHOOK_SECRET). Verified by signature, applied once (duplicates and any
 * arrival order are fine); a delivery we cannot apply yet answers 503 so the provider retries.
 */
import { getDb } from "@/server/db/client";
import { receiveWebhook } from "@/server/money/webhook";
import { configuredProvider } from "@/server/money/providers";
import { BODY_LIMITS, withBodyLimit } from "@/server/http/body-limit";

export const dynamic = "force-dynamic";

export function POST(request: Request) {
  return withBodyLimit(request, BODY_LIMITS.webhook, async (req) => {
    const r = await receiveWebhook((await getDb()).prisma, configuredProvider(), await req.text(), req.headers.get("stripe-signature"));
    return Response.json(r.body, { status: r.status });
  });
}
