/**
 * Audits as durable jobs. Requesting one stores it RUNNING without a lease (queued); a worker
 * (server/workers.ts) claims it by taking a lease in one atomic UPDATE … FOR UPDATE SKIP LOCKED,
 * renews the lease while the audit runs, and records the verdict. A worker killed mid-run stops
 * renewing: when the lease lapses another worker claims the audit and runs it again, up to
 * MAX_AUDIT_ATTEMPTS claims; after that it ends FAILED (not flagged), saying so.
 */
import type { Database } from "../db/client";
import type { PrismaClient } from "../db/generated/client";
import { startClaimLoop } from "../queries/worker";
import { endAudit, runAudit } from "./audits";

export const MAX_AUDIT_ATTEMPTS = 3;
/** How long a claim holds without renewal (AUDIT_LEASE_MS; renewed every third of it). */
export const auditLeaseMs = () => Number(process.env.AUDIT_LEASE_MS ?? 60_000);

/** Claim the oldest audit waiting to run (never claimed, or its lease lapsed); null if none. */
export async function claimNextAudit(db: PrismaClient, leaseMs = auditLeaseMs()): Promise<string | null> {
  // Audits claimed too often (a run that keeps crashing its worker) end instead.
  const worn = await db.$queryRaw<{ id: string }[]>`SELECT "id"::text AS "id" FROM "Audit"
    WHERE "status" = 'RUNNING' AND "attempts" >= ${MAX_AUDIT_ATTEMPTS} AND "leaseUntil" < now() LIMIT 10`;
  for (const a of worn) await endAudit(db, a.id, `The audit was interrupted ${MAX_AUDIT_ATTEMPTS} times; request it again`);
  const rows = await db.$queryRaw<{ id: string }[]>`UPDATE "Audit" SET "leaseUntil" = now() + make_interval(secs => ${leaseMs / 1000}), "attempts" = "attempts" + 1
    WHERE "id" = (SELECT "id" FROM "Audit" WHERE "status" = 'RUNNING' AND ("leaseUntil" IS NULL OR "leaseUntil" < now()) AND "attempts" < ${MAX_AUDIT_ATTEMPTS}
      ORDER BY "createdAt" LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING "id"::text AS "id"`;
  return rows[0]?.id ?? null;
}

/** Run a claimed audit, renewing its lease until it has a verdict. */
export async function runClaimedAudit(db: PrismaClient, id: string, leaseMs = auditLeaseMs()) {
  const renew = setInterval(() => {
    void db.$executeRaw`UPDATE "Audit" SET "leaseUntil" = now() + make_interval(secs => ${leaseMs / 1000}) WHERE "id" = ${id}::uuid AND "status" = 'RUNNING'`
      .catch((e: unknown) => console.error(`Audit ${id}: lease not renewed:`, (e as Error).message));
  }, Math.max(100, leaseMs / 3));
  try {
    await runAudit(db, id);
  } finally {
    clearInterval(renew);
  }
}

const g = globalThis as unknown as { __auditWorker?: { wake: () => void; stop: () => Promise<void> } };

export function wakeAuditWorker() {
  g.__auditWorker?.wake();
}

export function startAuditWorker(getDb: () => Promise<Database>, opts: { idleMs?: number } = {}) {
  if (g.__auditWorker) return g.__auditWorker;
  const w = startClaimLoop("Audit worker", getDb, { idleMs: opts.idleMs, claim: (db) => claimNextAudit(db), run: (db, id) => runClaimedAudit(db, id) });
  g.__auditWorker = { wake: w.wake, stop: async () => { await w.stop(); g.__auditWorker = undefined; } };
  return g.__auditWorker;
}
