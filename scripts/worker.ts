/**
 * `npm run worker`: a process that runs the marketplace's background work (queued queries,
 * the ledger's integrator, settlement) without serving pages, against DATABASE_URL. Run the
 * web process with WORKERS=off (or QUERY_WORKER=off) to leave the work to it, or run several:
 * queries are claimed with a lease. Needs a PostgreSQL server (the embedded PGlite database
 * is single-process). Stops cleanly on SIGTERM/SIGINT: the running query finishes first.
 */
import { closeDb, dbConfigFromEnv, getDb } from "../server/db/client";
import { startWorkers } from "../server/workers";

async function main() {
  if (dbConfigFromEnv().kind !== "postgres") {
    console.error("✖ The worker needs DATABASE_URL=postgres://…: the embedded database can be opened by one process only (the web process runs the work itself).");
    process.exit(2);
  }
  await getDb();
  const workers = await startWorkers(getDb, { queries: true, audits: true, ledger: true, settlement: true });
  console.log(JSON.stringify({ event: "worker-ready", pid: process.pid }));
  let stopping = false;
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      void workers.stop().then(closeDb).then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
    });
  }
}

main().catch((e: unknown) => {
  console.error(`✖ ${(e as Error).message}`);
  process.exit(1);
});
