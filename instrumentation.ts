/** Next.js start-up hook: the web process also runs the durable query worker. */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.QUERY_WORKER === "off") return;
  const { getDb } = await import("./server/db/client");
  const { startQueryWorker } = await import("./server/queries/worker");
  startQueryWorker(getDb);
}
