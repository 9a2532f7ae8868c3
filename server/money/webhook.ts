/** A webhook delivery from raw body to effect, with the HTTP answer the provider should get. */
import type { PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";
import { handleProviderEvent } from "./payments";
import { ProviderError, ProviderSignatureError, type PaymentProvider } from "./providers/types";

export async function receiveWebhook(db: PrismaClient, provider: PaymentProvider, rawBody: string, signature: string | null): Promise<{ status: number; body: unknown }> {
  let event;
  try {
    event = provider.parseWebhook(rawBody, signature);
  } catch (e) {
    if (e instanceof ProviderSignatureError) return { status: 400, body: { error: { code: "BAD_SIGNATURE", message: e.message } } };
    if (e instanceof ProviderError) return { status: 400, body: { error: { code: e.code, message: e.message } } };
    throw e;
  }
  try {
    const r = await handleProviderEvent(db, provider, event);
    return { status: 200, body: { received: true, duplicate: r.duplicate } };
  } catch (e) {
    // Not ours to apply yet (the payment row is not there): let the provider deliver again.
    if (e instanceof AppError && e.reason === "UNKNOWN_PAYMENT") return { status: 503, body: { error: { code: e.reason, message: e.message } } };
    if (e instanceof AppError) return { status: 422, body: { error: { code: e.reason, message: e.message } } };
    throw e;
  }
}
