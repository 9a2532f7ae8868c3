/**
 * Backups on both backends: a restored marketplace's ledger verifies, a node's witness that
 * saw the log before the backup accepts the restored log and what is appended after it, and
 * a witness that saw entries the backup lost raises its alarm (a rollback is visible, by design).
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { NodeWitness, WitnessRefusal } from "@/computation/node/witness";
import { openDatabase, type DbConfig } from "@/server/db/client";
import { LEDGER_ORIGIN, currentCheckpoint } from "@/server/ledger/log";
import { recordEvents } from "@/server/ledger/events";
import { ledgerHeadFor } from "@/server/nodes/client";
import { backup, ledgerPublicKey, readBackup, restore, verifyLedger } from "@/server/ops/backup";
import { createServerDatabase } from "../setup/databases";
import { inject } from "vitest";

const root = mkdtempSync(path.join(tmpdir(), "backup-test-"));
const dataDir = path.join(root, "data");
process.env.DATA_DIR = dataDir; // the ledger key of this test's marketplace lives here
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function append(config: DbConfig, n: number) {
  const db = await openDatabase(config);
  try {
    await db.prisma.$transaction((tx) => recordEvents(tx, Array.from({ length: n }, (_, i) => ({ type: "demand.posted" as const, objectId: randomUUID(), data: { i } }))));
    return await currentCheckpoint(db.prisma);
  } finally {
    await db.close();
  }
}

async function witnessSees(w: NodeWitness, config: DbConfig) {
  const db = await openDatabase(config);
  try { return w.check(await ledgerHeadFor(db.prisma, w.last?.size ?? 0)); } finally { await db.close(); }
}

const targets: { name: string; available: boolean; config: () => Promise<DbConfig> }[] = [
  { name: "pglite", available: true, config: async () => ({ kind: "pglite", dir: path.join(root, `pglite-${Date.now()}`) }) },
  { name: "postgres", available: inject("postgresUrl") !== null, config: async () => ({ kind: "postgres", url: await createServerDatabase() }) },
];

for (const target of targets) {
  describe.skipIf(!target.available)(`backup and restore on ${target.name}`, () => {
    it("restores a ledger that verifies and that the nodes' witnesses accept; a rollback is caught", async () => {
      const config = await target.config();
      const out = path.join(root, `backup-${target.name}`);
      await append(config, 5);
      const early = new NodeWitness(mkdtempSync(path.join(root, "w1-")), ledgerPublicKey(dataDir), LEDGER_ORIGIN, "early");
      const late = new NodeWitness(mkdtempSync(path.join(root, "w2-")), ledgerPublicKey(dataDir), LEDGER_ORIGIN, "late");
      expect(await witnessSees(early, config)).toBe(5);
      const manifest = await backup({ config, dataDir, out });
      expect(manifest.ledger.size).toBe(5);
      expect(Object.keys(manifest.files)).toContain("keys/ledger-signing-ed25519.pem");
      for (const f of Object.keys(manifest.files)) expect(statSync(path.join(out, f)).mode & 0o077).toBe(0); // secrets: owner only

      // Entries written after the backup, seen by a witness: the restore will lose them.
      await append(config, 3);
      expect(await witnessSees(late, config)).toBe(8);

      await expect(restore({ dir: out, config, dataDir })).rejects.toMatchObject({ reason: "DATABASE_EXISTS" });
      const r = await restore({ dir: out, config, dataDir, force: true });
      expect(r.verdict).toMatchObject({ ok: true, leaves: 5, root: manifest.ledger.root });
      if (target.name === "pglite") expect(r.movedAside).toBeTruthy();

      // The witness that saw the backed-up log accepts the restored one and its continuation…
      expect(await witnessSees(early, config)).toBe(5);
      await append(config, 3);
      expect(await witnessSees(early, config)).toBe(8);
      // …and one that saw the lost entries refuses: two roots for 8 leaves.
      const refused = await witnessSees(late, config).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WitnessRefusal);
      expect(refused).toMatchObject({ code: "LEDGER_INCONSISTENT" });

      const db = await openDatabase(config);
      try { expect((await verifyLedger(db, ledgerPublicKey(dataDir))).ok).toBe(true); } finally { await db.close(); }
    });

    it("refuses a damaged backup before touching the database", async () => {
      const config = await target.config();
      const out = path.join(root, `damaged-${target.name}`);
      await append(config, 2);
      await backup({ config, dataDir, out });
      await expect(backup({ config, dataDir, out })).rejects.toMatchObject({ reason: "BACKUP_EXISTS" });
      const file = path.join(out, target.name === "pglite" ? "database.tar.gz" : "database.dump");
      const bytes = readFileSync(file);
      bytes[bytes.length >> 1]! ^= 1;
      writeFileSync(file, bytes);
      expect(() => readBackup(out)).toThrow(/does not match the hash/);
      await expect(restore({ dir: out, config, dataDir, force: true })).rejects.toMatchObject({ reason: "BAD_BACKUP" });
      await append(config, 1); // the database was left as it was
      const db = await openDatabase(config);
      try { expect(await db.prisma.ledgerLeaf.count()).toBe(3); } finally { await db.close(); }
    });
  });
}

describe("npm run backup / restore", () => {
  it("backs up and restores the embedded database from the command line", async () => {
    const dir = path.join(root, "cli-db");
    const env = { ...process.env, DATABASE_URL: `pglite:${dir}`, DATA_DIR: dataDir };
    await append({ kind: "pglite", dir }, 4);
    const run = promisify(execFile);
    const tsx = path.resolve("node_modules/.bin/tsx");
    const out = path.join(root, "cli-backup");
    const b = await run(tsx, ["scripts/backup.ts", "backup", "--out", out], { env });
    expect(b.stdout).toMatch(/ledger of 4 entries/);
    const refused = await run(tsx, ["scripts/backup.ts", "restore", out], { env }).catch((e: { code: number; stderr: string }) => e);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringMatching(/DATABASE_EXISTS/) });
    const r = await run(tsx, ["scripts/backup.ts", "restore", out, "--force"], { env });
    expect(r.stdout).toMatch(/The ledger verifies: 4 entries/);
  }, 60_000);
});
