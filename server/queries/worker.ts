/**
 * The query worker: one per web process, started from instrumentation.ts. Runs queued
 * jobs one at a time (HE work is CPU-bound; more workers on a server means more processes,
 * each claiming with SKIP LOCKED).
 */
import type { Database } from "../db/client";
import { claimNextJob, recoverJobs, runQueryJob, submitQuery } from "./jobs";
import type { PrismaClient } from "../db/generated/client";
import type { NodeCall } from "../nodes/client";

const g = globalThis as unknown as { __queryWorker?: { wake: () => void; stop: () => Promise<void> } };

export function wakeQueryWorker() {
  g.__queryWorker?.wake();
}

/** Submit a query (server/queries/jobs.ts) and wake this process's worker to run it at once. */
export async function submitAndWake(db: PrismaClient, opts: Parameters<typeof submitQuery>[1]) {
  const job = await submitQuery(db, opts);
  wakeQueryWorker();
  return job;
}

export function startQueryWorker(getDb: () => Promise<Database>, opts: { idleMs?: number; call?: NodeCall } = {}) {
  if (g.__queryWorker) return g.__queryWorker;
  let stopped = false;
  let wake = () => {};
  const loop = (async () => {
    const db = await getDb();
    const r = await recoverJobs(db.prisma);
    if (r.requeued || r.failed) console.log(`Query worker: ${r.requeued} interrupted queries requeued, ${r.failed} failed.`);
    while (!stopped) {
      try {
        const id = await claimNextJob(db.prisma);
        if (id) { await runQueryJob(db.prisma, id, opts.call); continue; }
      } catch (e) {
        console.error("Query worker:", e);
      }
      await new Promise<void>((resolve) => { const t = setTimeout(resolve, opts.idleMs ?? 1000); wake = () => { clearTimeout(t); resolve(); }; });
    }
  })();
  g.__queryWorker = {
    wake: () => wake(),
    stop: async () => { stopped = true; wake(); await loop; g.__queryWorker = undefined; },
  };
  return g.__queryWorker;
}
