/**
 * The ledger CLI against the real /api/ledger route: app/api/ledger/[...path]/route.ts served
 * over a node:http server on 127.0.0.1, on a real (embedded, in-memory) database whose ledger
 * is filled the way the market fills it (events queued in a transaction, integrated, checkpoints
 * signed with the ledger key). The commands use the global fetch, as they do for a user.
 *
 * The in-memory fake in sdk/ledger-cli.test.ts covers the lies this route cannot be made to
 * tell (wrong proofs, skipped leaves, a hidden checkpoint); what a damaged database can do
 * (a changed leaf, a history rewritten and re-signed) is tested here on the real thing.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET } from "@/app/api/ledger/[...path]/route";
import { closeDb, getDb, type Database } from "@/server/db/client";
import { recordEvents } from "@/server/ledger/events";
import { currentCheckpoint, LEDGER_ORIGIN } from "@/server/ledger/log";
import { ledgerSigningKey } from "@/server/keys";
import { fromBase64 } from "@/core/ledger";
import { cosignerKey, nodeCosignerName } from "@/core/note";
import { collectCosignatures } from "@/server/ledger/witnesses";
import { claimsNode } from "../../tests/setup/parties";
import { EXPORT_FORMAT, main } from "../ledger-cli";

const ORG = "00000000-0000-4000-8000-000000000001";

/** Runs the command line with the global fetch, recording what it prints. */
async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), retries: 0 });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("market-ledger against the real /api/ledger route", () => {
  let dir: string;
  let db: Database;
  let server: Server;
  let base: string;
  let publicKey: string;
  const saved = { DATA_DIR: process.env.DATA_DIR, DATABASE_URL: process.env.DATABASE_URL };

  /** Queues `n` events in one transaction, as a change of the market would; returns their entry ids. */
  const append = (n: number) => db.prisma.$transaction((tx) =>
    recordEvents(tx, Array.from({ length: n }, (_, k) => ({ type: "query.delivered" as const, actorOrgId: ORG, objectId: randomUUID(), data: { epsilon: 0.5, k } }))));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "ledger-route-"));
    // The route takes its database from getDb() and its key from DATA_DIR, both process-wide:
    // DATABASE_URL=pglite:memory:// makes getDb() open openDatabase({ kind: "pglite", dir: null }),
    // and this test seeds the very database the route reads.
    process.env.DATA_DIR = dir;
    process.env.DATABASE_URL = "pglite:memory://";
    db = await getDb();
    expect(db.config).toEqual({ kind: "pglite", dir: null });
    publicKey = ledgerSigningKey().publicKey;

    // Three checkpoints over 1, 1201 and 1238 leaves: leaves come in two pages, two consistency proofs.
    for (const n of [1, 1200, 37]) {
      await append(n);
      await currentCheckpoint(db.prisma);
    }

    // The route as Next serves it: a catch-all [...path] under /api/ledger.
    server = createServer((req, res) => {
      const url = new URL(req.url!, "http://127.0.0.1");
      const m = /^\/api\/ledger\/(.+)$/.exec(url.pathname);
      if (!m) { res.writeHead(404, { "content-type": "text/html" }).end("<html>not found</html>"); return; }
      const path = m[1]!.split("/").map(decodeURIComponent);
      GET(new Request(url, { method: req.method }), { params: Promise.resolve({ path }) })
        .then(async (r) => { res.writeHead(r.status, Object.fromEntries(r.headers)).end(await r.text()); })
        .catch((e: unknown) => { res.writeHead(500).end(String(e)); });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await closeDb();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("verify --url: every leaf, checkpoint, consistency proof and sampled inclusion proof checks", async () => {
    const latest = await currentCheckpoint(db.prisma);
    const r = await cli(["verify", "--url", base, "--key", publicKey]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain(`✔ Ledger verified: 1238 leaves, 3 checkpoints, root ${latest.root}`);
    expect(r.out).toContain(`key ${publicKey} (given with --key)`);
    expect(r.out).toContain("checked: 3 checkpoints against the leaves, 2 consistency proofs, 20 inclusion proofs");
  });

  it("export, then verify --file offline", async () => {
    const out = join(dir, "ledger.ndjson");
    const e = await cli(["export", "--url", base, "--out", out]);
    expect(e.code).toBe(0);
    expect(e.out).toContain(`✔ Exported 1238 leaves and 3 checkpoints to ${out}`);
    const lines = readFileSync(out, "utf8").trimEnd().split("\n");
    expect(JSON.parse(lines[0]!)).toMatchObject({ format: EXPORT_FORMAT, origin: LEDGER_ORIGIN, publicKey, checkpointCount: 3, exportedFrom: `${base}/` });
    expect(lines.length).toBe(1 + 3 + 1238 + 1);
    expect(JSON.parse(lines.at(-1)!)).toEqual({ end: true, leafCount: 1238 });

    const v = await cli(["verify", "--file", out, "--key", publicKey]);
    expect(v.err).toBe("");
    expect(v.code).toBe(0);
    expect(v.out).toContain("✔ Ledger verified: 1238 leaves, 3 checkpoints");
    expect(v.out).toContain("checked: 3 checkpoints against the leaves");
  });

  it("proof: an entry checks against the checkpoint, also one still queued; an unknown one does not", async () => {
    const [id] = await append(1); // queued, not yet a leaf: the route integrates it and signs a checkpoint for it
    const r = await cli(["proof", "--url", base, "--entry", id!, "--key", publicKey]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Entry ${id}, leaf 1238:`);
    expect(r.out).toContain(`  "id": "${id}",`);
    expect(r.out).toMatch(/✔ Entry verified: leaf 1238 is in the ledger of 1239 leaves, root [0-9a-f]{64}, signed /);

    const unknown = randomUUID();
    const u = await cli(["proof", "--url", base, "--entry", unknown]);
    expect(u.code).toBe(1);
    expect(u.out).toContain(`✖ Entry ${unknown} NOT verified: the ledger has no such entry (GET /api/ledger/entry?entryId=${unknown} failed with HTTP 404 UNKNOWN_LEAF: No ledger entry has this id.)`);
  });

  it("witness: trusts on first use, then accepts the ledger's growth with its consistency proof", async () => {
    const state = join(dir, "witness.json");
    const first = await cli(["witness", "--url", base, "--state", state, "--key", publicKey]);
    expect(first.code).toBe(0);
    expect(first.out).toContain("First run: trusting on first use");
    expect(first.out).toContain("✔ witnessed: 1239 leaves");

    await append(10); // queued only: the route's current checkpoint integrates and signs them
    const grown = await cli(["witness", "--url", base, "--state", state]);
    expect(grown.code).toBe(0);
    expect(grown.out).toContain("✔ consistent: 1239 → 1249");
    expect(JSON.parse(readFileSync(state, "utf8"))).toMatchObject({ format: "quancheng-ledger-witness/1", publicKey, origin: LEDGER_ORIGIN, checkpoint: { size: 1249 } });

    const same = await cli(["witness", "--url", base, "--state", state]);
    expect(same.code).toBe(0);
    expect(same.out).toContain("✔ consistent: 1249 → 1249 (no new leaves)");
  });

  it("checkpoint: the C2SP note and the JSON agree, cosigned by a configured witness; saved files in either format check", async () => {
    // A holder's node as a witness configured by its C2SP key (LEDGER_WITNESSES), in this process.
    const node = await claimsNode(join(dir, "witness"));
    const vkey = cosignerKey(nodeCosignerName(node.nodeId), fromBase64(node.nodeId));
    process.env.LEDGER_WITNESSES = `${vkey}=${node.url}/v1/witness`;
    try {
      expect(await collectCosignatures(db.prisma)).toEqual([expect.objectContaining({ outcome: "cosigned" })]);
      const r = await cli(["checkpoint", "--url", base, "--key", publicKey, "--quorum", "1"]);
      expect(r.code, `${r.out}\n${r.err}`).toBe(0);
      expect(r.out).toMatch(/✔ Checkpoint verified: .* \(C2SP signed note and JSON\); 1 cosignature/);
      expect(r.err).toContain("witnesses the ledger lists itself");
      // Pinned to another witness key, the quorum is not met.
      const stranger = cosignerKey("witness.example/w1", new Uint8Array(32).fill(9));
      const q = await cli(["checkpoint", "--url", base, "--key", publicKey, "--witness", stranger, "--quorum", "1"]);
      expect(q.code).toBe(1);
      expect(q.out).toContain("0 of the required 1 witnesses cosigned");

      const note = await (await fetch(`${base}/api/ledger/tlog/checkpoint`)).text();
      const noteFile = join(dir, "checkpoint.note");
      writeFileSync(noteFile, note);
      expect((await cli(["checkpoint", "--file", noteFile, "--key", publicKey, "--witness", vkey, "--quorum", "1"])).code).toBe(0);
      writeFileSync(noteFile, note.replace(/\n\d+\n/, "\n1\n"));
      expect((await cli(["checkpoint", "--file", noteFile, "--key", publicKey])).out).toContain("no valid signature");
      const jsonFile = join(dir, "checkpoint.json");
      writeFileSync(jsonFile, JSON.stringify(await currentCheckpoint(db.prisma)));
      expect((await cli(["checkpoint", "--file", jsonFile, "--key", publicKey])).out).toMatch(/✔ Checkpoint verified: .* \(JSON\)/);
    } finally {
      delete process.env.LEDGER_WITNESSES;
      await node.close();
    }
  });

  it("a leaf changed in the database fails verify --url", async () => {
    const raw = (sql: string) => db.prisma.$executeRawUnsafe(sql);
    const before = await db.prisma.ledgerLeaf.findUniqueOrThrow({ where: { index: 700n } });
    await raw(`UPDATE "LedgerLeaf" SET "body" = replace("body", '"epsilon":0.5', '"epsilon":0.1') WHERE "index" = 700`);
    try {
      const r = await cli(["verify", "--url", base, "--key", publicKey]);
      expect(r.code).toBe(1);
      expect(r.out).toContain("✖ Ledger NOT verified:");
      expect(r.out).toContain("The leaves do not produce the signed root at size 1201");
    } finally {
      await db.prisma.ledgerLeaf.update({ where: { index: 700n }, data: { body: before.body } });
    }
    expect((await cli(["verify", "--url", base, "--key", publicKey])).code).toBe(0);
  });

  it("a history rewritten and re-signed with the ledger's own key raises the witness alarm", async () => {
    const state = join(dir, "witness.json"); // holds the checkpoint of 1249 leaves from above
    const held = readFileSync(state);
    await db.prisma.$executeRawUnsafe(`TRUNCATE "LedgerLeaf", "LedgerNode", "LedgerCheckpoint", "LedgerQueue"`);
    await append(1260);
    const r = await cli(["witness", "--url", base, "--state", state]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("WITNESS ALARM");
    expect(r.out).toContain("The ledger at 1260 leaves is not an extension of the 1249 leaves seen before");
    expect(r.out).toContain(`The state file ${state} was NOT changed`);
    expect(readFileSync(state)).toEqual(held);
    expect(readdirSync(dir).filter((f) => f.startsWith("witness.json.alarm-")).length).toBe(1);
  });
});
