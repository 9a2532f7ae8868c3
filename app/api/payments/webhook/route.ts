/**
 * POST /api/payments/webhook: the payment provider's event deliveries (Stripe: configure this
 * URL and STRIPE_WEBHOOK_SECRET). Verified by signature, applied once (duplicates and any
 * arrival order are fine); a delivery we cannot apply yet answers 503 so the provider retries.
 */
import { getDb } from "@/server/db/client";
import { receiveWebhook } from "@/server/money/webhook";
import { configuredProvider } from "@/server/money/providers";

export const dynamic = "force-dynamic";

export async function POST(req: Request) {
  const r = await receiveWebhook((await getDb()).prisma, configuredProvider(), await req.text(), req.headers.get("stripe-signature"));
  return Response.json(r.body, { status: r.status });
}
