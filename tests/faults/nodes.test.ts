/**
 * Faults at the holders' nodes, with real node processes on a PostgreSQL server:
 *  - a node killed (SIGKILL) and started again between the aggregate round and the
 *    contribution round still answers the contribution round: the delivered query succeeds;
 *  - a node whose clock is 5 minutes off refuses with CLOCK_SKEW, and the buyer sees that reason.
 * After each: the ledger verifies, the journal balances, each delivered query is charged once.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { httpNodeCall, type NodeCall } from "@/server/nodes/client";
import { claimNextJob, getQuery, runQueryJob } from "@/server/queries/jobs";
import { faultWorld, type World } from "./world";

const server = inject("postgresUrl");
const missing = server === null && !process.env.CI ? " (SKIPPED: no PostgreSQL server installed: apt-get install -y postgresql)" : "";

describe.skipIf(missing !== "")(`faults at the nodes${missing}`, () => {
  let w: World;
  beforeAll(async () => { w = await faultWorld("nodes"); }, 180_000);
  afterAll(async () => { await w?.close(); });

  async function run(call?: NodeCall) {
    const job = await w.submit();
    const id = await claimNextJob(w.db.prisma);
    expect(id).toBe(job.id);
    await runQueryJob(w.db.prisma, id!, call);
    return getQuery(w.db.prisma, { jobId: job.id, buyerOrgId: w.buyerOrgId });
  }

  it("a node killed and restarted between the aggregate and contribution rounds does not fail the delivered query", async () => {
    let restarted = 0;
    const call: NodeCall = async (url, body, signal, path, sealTo) => {
      if (path === "/v1/contribution" && url === w.nodes[0]!.url && restarted === 0) {
        restarted++;
        await w.restartNode(0); // kill -9, then the same config, keys, journal and port
      }
      return httpNodeCall(url, body, signal, path, sealTo);
    };
    const done = await run(call);
    expect(restarted).toBe(1);
    expect(done.error).toBeNull();
    expect(done.status).toBe("SUCCEEDED");
    expect(await w.db.prisma.contribution.count({ where: { queryId: done.id } })).toBe(2);
    await w.invariants();
  });

  it("a node whose clock is 5 minutes off refuses with CLOCK_SKEW, and the buyer is told so", async () => {
    await w.restartNode(1, { NODE_CLOCK_OFFSET_MS: String(5 * 60_000) });
    const ahead = await run();
    expect(ahead.status).toBe("FAILED");
    expect(ahead.error).toMatch(/CLOCK_SKEW/);
    expect(ahead.error).toMatch(/clock/);
    await w.restartNode(1, { NODE_CLOCK_OFFSET_MS: String(-5 * 60_000) });
    const behind = await run();
    expect(behind.status).toBe("FAILED");
    expect(behind.error).toMatch(/CLOCK_SKEW.*ahead of this node's clock/);
    // Clocks right again: the node answers.
    await w.restartNode(1);
    expect((await run()).status).toBe("SUCCEEDED");
    await w.invariants();
  });
});
