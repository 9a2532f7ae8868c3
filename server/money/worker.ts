/**
 * The settlement job, one per web process (started from instrumentation.ts): every hour it
 * settles the previous month. Settling is idempotent (one payout per party and period), so
 * after the first run it only retries payouts that failed.
 */
import type { Database } from "../db/client";
import { configuredProvider } from "./providers";
import { previousPeriod, settle } from "./settlement";

const g = globalThis as unknown as { __settlementWorker?: { stop: () => void } };

export function startSettlementWorker(getDb: () => Promise<Database>, everyMs = 60 * 60_000) {
  if (g.__settlementWorker) return g.__settlementWorker;
  const tick = async () => {
    try {
      const r = await settle((await getDb()).prisma, configuredProvider(), { period: previousPeriod(new Date()) });
      const failed = r.payouts.filter((p) => p.status === "FAILED");
      if (failed.length) console.error(`Settlement ${r.period}: ${failed.length} payout(s) failed; they are retried every hour and shown in the operator's console.`);
    } catch (e) {
      if ((e as { reason?: string }).reason === "ALREADY_SETTLED") return; // the usual case after the first run
      console.error("Settlement worker:", e);
    }
  };
  const first = setTimeout(tick, 30_000);
  const timer = setInterval(tick, everyMs);
  first.unref();
  timer.unref();
  g.__settlementWorker = { stop: () => { clearTimeout(first); clearInterval(timer); g.__settlementWorker = undefined; } };
  return g.__settlementWorker;
}
