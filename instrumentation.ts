/**
 * Next.js start-up hook: the web process also runs the background work (server/workers.ts:
 * the durable query and audit workers, the ledger's integrator, settlement), unless WORKERS=off (a
 * separate `npm run worker` does it); QUERY_WORKER=off leaves out only the query worker.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  if (process.env.WORKERS === "off") return;
  const { getDb } = await import("./server/db/client");
  const { startWorkers } = await import("./server/workers");
  await startWorkers(getDb, { queries: process.env.QUERY_WORKER !== "off", audits: true, ledger: true, settlement: true });
}
