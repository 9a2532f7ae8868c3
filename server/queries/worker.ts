/**
 * The query worker: one per process that runs background work (server/workers.ts). Runs queued
 * jobs one at a time (HE work is CPU-bound; more workers on a server means more processes,
 * each claiming with SKIP LOCKED).
 */
import type { Database } from "../db/client";
import { claimNextJob, runQueryJob, submitQuery } from "./jobs";
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

/**
 * The loop every durable-job worker runs (queries here, audits in server/proofs/audit-worker.ts):
 * claim the next job (an atomic claim in the database: SKIP LOCKED and a lease, so a job whose
 * worker died is claimed again once its lease lapses) and run it, one at a time; when there is
 * none, sleep until `idleMs` or a wake.
 */
export function startClaimLoop(name: string, getDb: () => Promise<Database>, o: {
  claim: (db: PrismaClient) => Promise<string | null>; run: (db: PrismaClient, id: string) => Promise<void>; idleMs?: number;
}): { wake: () => void; stop: () => Promise<void> } {
  let stopped = false;
  let wake = () => {};
  const loop = (async () => {
    const db = await getDb();
    while (!stopped) {
      try {
        const id = await o.claim(db.prisma);
        if (id) { await o.run(db.prisma, id); continue; }
      } catch (e) {
        console.error(`${name}:`, e);
      }
      await new Promise<void>((resolve) => { const t = setTimeout(resolve, o.idleMs ?? 1000); wake = () => { clearTimeout(t); resolve(); }; });
    }
  })();
  return { wake: () => wake(), stop: async () => { stopped = true; wake(); await loop; } };
}

export function startQueryWorker(getDb: () => Promise<Database>, opts: { idleMs?: number; call?: NodeCall } = {}) {
  if (g.__queryWorker) return g.__queryWorker;
  const w = startClaimLoop("Query worker", getDb, {
    idleMs: opts.idleMs,
    claim: (db) => claimNextJob(db),
    run: (db, id) => runQueryJob(db, id, opts.call),
  });
  g.__queryWorker = { wake: w.wake, stop: async () => { await w.stop(); g.__queryWorker = undefined; } };
  return g.__queryWorker;
}
