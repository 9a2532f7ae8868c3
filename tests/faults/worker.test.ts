/**
 * The worker process (`npm run worker`, scripts/worker.ts) killed with SIGKILL while a query is
 * running at the nodes, then a new worker started: the job ends exactly once, either delivered
 * (charged once) or failed with the order's use given back, never both and never twice. After
 * it the ledger verifies and the journal balances. Also: the worker stops cleanly on SIGTERM,
 * and an audit whose worker died holding it is resumed by another once its lease lapses.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { integrateAll } from "@/server/ledger/log";
import { claimNextAudit } from "@/server/proofs/audit-worker";
import { requestAndStartAudits } from "@/server/proofs/audits";
import { claimNextJob, runQueryJob } from "@/server/queries/jobs";
import { untilWorkerReady } from "@/scripts/lib/processes";
import { faultWorld, type World } from "./world";

const server = inject("postgresUrl");
const missing = server === null && !process.env.CI ? " (SKIPPED: no PostgreSQL server installed: apt-get install -y postgresql)" : "";

function startWorker(w: World, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/worker.ts"], {
    stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, DATABASE_URL: w.url, DATA_DIR: w.dir, ...env },
  });
  return untilWorkerReady(child, (line) => process.stdout.write(`[worker] ${line}\n`));
}
const exited = (p: ChildProcess) => new Promise<number | null>((r) => { if (p.exitCode !== null || p.signalCode !== null) r(p.exitCode); else p.once("exit", (c) => r(c)); });

async function until<T>(what: string, f: () => Promise<T | null | undefined | false>, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.skipIf(missing !== "")(`the worker process killed mid-query${missing}`, () => {
  let w: World;
  const workers: ChildProcess[] = [];
  beforeAll(async () => { w = await faultWorld("worker"); }, 180_000);
  afterAll(async () => {
    for (const p of workers) if (p.exitCode === null && p.signalCode === null) { p.kill("SIGKILL"); await exited(p); }
    await w?.close();
  });

  it("ends the interrupted job exactly once: delivered and charged once, or failed with the order's use given back", async () => {
    const order = await w.db.prisma.order.findFirstOrThrow({ where: { productId: w.productId, buyerOrgId: w.buyerOrgId } });
    // A short lease, so the next worker takes the interrupted job over soon after the kill.
    const lease = { QUERY_LEASE_MS: "1500" };
    const first = await startWorker(w, lease);
    workers.push(first);
    const job = await w.submit({ groupBy: ["district", "age"], measures: [{ column: "claim_amount", aggregate: "SUM" }, { column: "claim_amount", aggregate: "VARIANCE" }] });
    // The nodes have been asked to compute (the job's compute has started): kill -9 the worker now.
    await until("the job to reach the nodes", async () => {
      const j = await w.db.prisma.queryJob.findUniqueOrThrow({ where: { id: job.id } });
      if (j.status === "SUCCEEDED" || j.status === "FAILED") throw new Error(`The job ended (${j.status}) before the worker could be killed.`);
      return j.status === "RUNNING" && j.computeStartedAt !== null;
    });
    first.kill("SIGKILL");
    await exited(first);
    expect((await w.db.prisma.queryJob.findUniqueOrThrow({ where: { id: job.id } })).status).toBe("RUNNING");

    const second = await startWorker(w, lease);
    workers.push(second);
    const done = await until("the job to end", async () => {
      const j = await w.db.prisma.queryJob.findUniqueOrThrow({ where: { id: job.id } });
      return j.status === "SUCCEEDED" || j.status === "FAILED" ? j : null;
    });
    const deliveries = await w.db.prisma.journalEntry.count({ where: { idempotencyKey: `delivery:${job.id}` } });
    const used = (await w.db.prisma.order.findUniqueOrThrow({ where: { id: order.id } })).used;
    await integrateAll(w.db.prisma);
    const ledger = (await w.db.prisma.ledgerLeaf.findMany({ where: { objectId: job.id } })).map((l) => l.type);
    if (done.status === "SUCCEEDED") {
      expect(deliveries).toBe(1);
      expect(used).toBe(order.used + 1);
      expect(ledger.filter((t) => t === "query.delivered")).toHaveLength(1);
      expect(ledger).not.toContain("query.failed");
    } else {
      expect(deliveries).toBe(0);
      expect(used).toBe(order.used); // the order's use given back, once
      expect(ledger.filter((t) => t === "query.failed")).toHaveLength(1);
      expect(ledger).not.toContain("query.delivered");
    }
    // SIGTERM: the worker stops cleanly (exit 0).
    second.kill("SIGTERM");
    expect(await exited(second)).toBe(0);
    await w.invariants();
  });

  it("resumes an audit whose worker died holding it: once the lease lapses a new worker runs it to one verdict", async () => {
    const job = await w.submit();
    await runQueryJob(w.db.prisma, (await claimNextJob(w.db.prisma))!);
    expect((await w.db.prisma.queryJob.findUniqueOrThrow({ where: { id: job.id } })).status).toBe("SUCCEEDED");
    const supervisor = await w.db.prisma.organisation.findUniqueOrThrow({ where: { slug: "jinan-data-supervision" }, include: { memberships: true } });
    // Requesting queues the audits (no worker runs in this process): they wait, RUNNING without a lease.
    const audits = await requestAndStartAudits(w.db.prisma, { queryId: job.id, sampleBps: 2500, orgId: supervisor.id, userId: supervisor.memberships[0]!.userId, supervisor: true });
    expect(audits).toHaveLength(2);
    // A worker claims the first and dies holding it (its lease, 1.5 s, is never renewed).
    const held = await claimNextAudit(w.db.prisma, 1500);
    expect(held).toBe(audits[0]!.id);
    const worker = await startWorker(w, { AUDIT_LEASE_MS: "1500" });
    workers.push(worker);
    const ended = await until("both audits to end", async () => {
      const rows = await w.db.prisma.audit.findMany({ where: { queryId: job.id } });
      return rows.every((a) => a.status !== "RUNNING") ? rows : null;
    });
    const resumed = ended.find((a) => a.id === held)!;
    expect(resumed.attempts).toBe(2); // claimed by the dead worker, then by the new one
    expect(resumed.reason ?? "").not.toMatch(/interrupted/);
    // One verdict each on the ledger (these nodes made no commitments: NOT_PROVABLE, not flagged).
    await integrateAll(w.db.prisma);
    for (const a of ended) {
      expect(a.flagged).toBe(false);
      expect(await w.db.prisma.ledgerLeaf.count({ where: { objectId: a.id, type: "audit.completed" } })).toBe(1);
    }
    worker.kill("SIGTERM");
    expect(await exited(worker)).toBe(0);
    await w.invariants();
  });
});
