/**
 * The ledger's integrator, one per web process (started from instrumentation.ts): it
 * sequences queued events every second and signs a checkpoint when the tree has grown and
 * the last one is older than LEDGER_CHECKPOINT_SECONDS (60 by default). Checkpoints are also
 * issued on demand (the API, witnesses' contacts, the supervisor).
 */
import type { Database } from "../db/client";
import { currentCheckpoint, integrateAll, latestCheckpoint } from "./log";
import { collectCosignatures } from "./witnesses";

const g = globalThis as unknown as { __ledgerWorker?: { stop: () => void } };

export function startLedgerWorker(getDb: () => Promise<Database>, opts: { tickMs?: number; checkpointMs?: number } = {}) {
  if (g.__ledgerWorker) return g.__ledgerWorker;
  const checkpointMs = opts.checkpointMs ?? Number(process.env.LEDGER_CHECKPOINT_SECONDS ?? 60) * 1000;
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const db = (await getDb()).prisma;
      const size = await integrateAll(db);
      const last = await latestCheckpoint(db);
      if (size > (last?.size ?? -1) && Date.now() - (last?.timestamp ?? 0) >= checkpointMs) {
        await currentCheckpoint(db);
        // Witnesses cosign each new tree head (C2SP tlog-witness); one that fails is asked again next time.
        for (const o of await collectCosignatures(db)) {
          if (o.outcome === "refused" || o.outcome === "unreachable") console.warn(`Ledger witness ${o.witness} did not cosign size ${o.size}: ${o.detail}`);
        }
      }
    } catch (e) {
      console.error("Ledger worker:", e);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(tick, opts.tickMs ?? 1000);
  timer.unref();
  g.__ledgerWorker = { stop: () => { clearInterval(timer); g.__ledgerWorker = undefined; } };
  return g.__ledgerWorker;
}
