/** Next.js start-up hook: the web process also runs the durable query worker, the ledger's integrator and settlement. */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { getDb } = await import("./server/db/client");
  const { startLedgerWorker } = await import("./server/ledger/worker");
  startLedgerWorker(getDb);
  const { startSettlementWorker } = await import("./server/money/worker");
  startSettlementWorker(getDb);
  const { endInterruptedAudits } = await import("./server/proofs/audits");
  void getDb().then((db) => endInterruptedAudits(db.prisma)).catch((e: unknown) => console.error("[audits]", e));
  if (process.env.QUERY_WORKER === "off") return;
  const { startQueryWorker } = await import("./server/queries/worker");
  startQueryWorker(getDb);
}
