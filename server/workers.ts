/**
 * The background work of the marketplace, started in one place: by the web process
 * (instrumentation.ts, unless WORKERS=off; QUERY_WORKER=off leaves out the query worker) and
 * by the worker process (scripts/worker.ts, `npm run worker`), which serves no pages.
 *
 * Queries and audits are durable jobs claimed atomically in the database (server/queries/jobs.ts,
 * server/proofs/audit-worker.ts); the ledger integrator and settlement are
 * idempotent, so running them in more than one process is safe.
 */
import type { Database } from "./db/client";

export interface WorkerSelection { queries?: boolean; audits?: boolean; ledger?: boolean; settlement?: boolean }
export interface Workers { stop(): Promise<void> }

export async function startWorkers(getDb: () => Promise<Database>, which: WorkerSelection = { queries: true, audits: true, ledger: true, settlement: true }): Promise<Workers> {
  const stops: (() => void | Promise<void>)[] = [];
  if (which.ledger) {
    const { startLedgerWorker } = await import("./ledger/worker");
    stops.push(startLedgerWorker(getDb).stop);
  }
  if (which.settlement) {
    const { startSettlementWorker } = await import("./money/worker");
    stops.push(startSettlementWorker(getDb).stop);
  }
  if (which.audits) {
    const { startAuditWorker } = await import("./proofs/audit-worker");
    stops.push(startAuditWorker(getDb).stop);
  }
  if (which.queries) {
    const { startQueryWorker } = await import("./queries/worker");
    stops.push(startQueryWorker(getDb).stop);
  }
  return { stop: async () => { for (const s of stops.reverse()) await s(); } };
}
