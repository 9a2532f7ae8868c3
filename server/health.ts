/** The state /api/health reports: can we reach the database, and is its schema current. */
import { describeDb, getDb } from "./db/client";

export type Health = {
  status: "ok" | "degraded" | "down";
  database: { reachable: boolean; where: string | null; latencyMs: number | null; error: string | null };
  migrations: { applied: number; pending: string[]; error: string | null };
};

export async function checkHealth(): Promise<Health> {
  try {
    const db = await getDb();
    const t0 = performance.now();
    await db.raw((s) => s.query("SELECT 1"));
    const latencyMs = Math.round((performance.now() - t0) * 10) / 10;
    const database = { reachable: true, where: describeDb(db.config), latencyMs, error: null };
    try {
      const m = await db.migrations();
      return { status: m.pending.length ? "degraded" : "ok", database, migrations: { applied: m.applied.length, pending: m.pending, error: null } };
    } catch (e) {
      return { status: "degraded", database, migrations: { applied: 0, pending: [], error: (e as Error).message } };
    }
  } catch (e) {
    return {
      status: "down",
      database: { reachable: false, where: null, latencyMs: null, error: (e as Error).message },
      migrations: { applied: 0, pending: [], error: null },
    };
  }
}
