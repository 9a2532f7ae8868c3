/**
 * Backups of the marketplace's own state: its database and the files in DATA_DIR that the
 * database is useless without (the ledger key that signed every checkpoint, the market key
 * the nodes are configured with, the session secret).
 *
 * A backup is a folder:
 *   manifest.json          what it holds, the SHA-256 of every file, and the ledger's head
 *   database.tar.gz        embedded PGlite: its data folder (PGlite's dumpDataDir)
 *   database.dump          a PostgreSQL server: pg_dump's custom format
 *   keys/<file>            the key files found in DATA_DIR (absent when keys come from the environment)
 *
 * Restoring checks every hash before it touches anything, never deletes the data it
 * replaces (an embedded folder is moved aside), and ends by replaying the whole ledger
 * against every stored checkpoint: a restore that does not verify says so and fails.
 *
 * The embedded database is backed up cold: PGlite is single-process, so the app must be
 * stopped (the folder lock says so if it is not). A server is dumped hot by pg_dump, which
 * reads one consistent snapshot.
 */
import { execFile } from "node:child_process";
import { createHash, createPrivateKey, createPublicKey } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { z } from "zod";
import { auditLedger, type AuditVerdict } from "@/core/ledger-audit";
import type { SignedCheckpoint } from "@/core/ledger";
import { AppError } from "../errors";
import { openDatabase, type Database, type DbConfig } from "../db/client";
import { checkpointsAfter, currentCheckpoint, leavesRange, treeSize } from "../ledger/log";
import { publicKeyToBase64 } from "@/core/signing";

const run = promisify(execFile);

/** Files of DATA_DIR that belong in a backup (secrets: the backup folder is written 0700/0600). */
export const KEY_FILES = ["ledger-signing-ed25519.pem", "market-signing-ed25519.pem", "auth-secret"] as const;

const manifestSchema = z.object({
  format: z.literal("market-backup/1"),
  createdAt: z.iso.datetime(),
  database: z.enum(["pglite", "postgres"]),
  migrations: z.array(z.string()),
  ledger: z.object({ size: z.number().int().nonnegative(), root: z.string().regex(/^[0-9a-f]{64}$/) }),
  files: z.record(z.string().regex(/^(database\.(tar\.gz|dump)|keys\/[a-z0-9.-]+)$/), z.string().regex(/^[0-9a-f]{64}$/)),
});
export type BackupManifest = z.infer<typeof manifestSchema>;

const sha256File = (f: string) => createHash("sha256").update(readFileSync(f)).digest("hex");

function writeSecret(file: string, data: Uint8Array | string) {
  writeFileSync(file, data, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** Where pg_dump/pg_restore are: PATH, else Debian's server folders. */
function pgTool(name: "pg_dump" | "pg_restore"): string {
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    for (const v of readdirSync(root).sort().reverse()) {
      const f = path.join(root, v, "bin", name);
      if (existsSync(f)) return f;
    }
  }
  return name;
}

async function ledgerHead(db: Database) {
  // Sign a head for everything queued, so the manifest names the tree the backup holds.
  const cp = await currentCheckpoint(db.prisma);
  return { size: cp.size, root: cp.root };
}

/** Back up the database `config` and the key files in `dataDir` into the new folder `out`. */
export async function backup(o: { config: DbConfig; dataDir: string; out: string }): Promise<BackupManifest> {
  if (existsSync(o.out) && readdirSync(o.out).length) {
    throw new AppError("CONFLICT", "BACKUP_EXISTS", `${o.out} already exists and is not empty: choose a new folder for the backup.`);
  }
  if (o.config.kind === "pglite" && !o.config.dir) throw new AppError("BAD_INPUT", "BAD_DATABASE_URL", "An in-memory database has nothing to back up.");
  mkdirSync(path.join(o.out, "keys"), { recursive: true, mode: 0o700 });
  chmodSync(o.out, 0o700);
  const files: Record<string, string> = {};
  let ledger: BackupManifest["ledger"];
  let migrations: string[];

  const db = await openDatabase(o.config);
  try {
    ledger = await ledgerHead(db);
    migrations = (await db.migrations()).applied;
    if (o.config.kind === "postgres") {
      const target = path.join(o.out, "database.dump");
      await run(pgTool("pg_dump"), ["--format=custom", "--no-owner", "--no-privileges", `--file=${target}`, o.config.url], { maxBuffer: 16 << 20 })
        .catch((e: Error & { stderr?: string }) => {
          throw new AppError("UNAVAILABLE", "BACKUP_FAILED", `pg_dump failed: ${e.stderr?.trim() || e.message}`);
        });
      chmodSync(target, 0o600);
      files["database.dump"] = sha256File(target);
    }
  } finally {
    await db.close();
  }
  if (o.config.kind === "pglite") {
    // Dump from a fresh, otherwise idle instance after the close above: a clean shut-down folder.
    const { PGlite } = await import("@electric-sql/pglite");
    const pg = await PGlite.create(o.config.dir!);
    try {
      const tar = new Uint8Array(await (await pg.dumpDataDir("gzip")).arrayBuffer());
      writeSecret(path.join(o.out, "database.tar.gz"), tar);
      files["database.tar.gz"] = createHash("sha256").update(tar).digest("hex");
    } finally {
      await pg.close();
    }
  }
  for (const name of KEY_FILES) {
    const f = path.join(o.dataDir, name);
    if (!existsSync(f)) continue;
    copyFileSync(f, path.join(o.out, "keys", name));
    chmodSync(path.join(o.out, "keys", name), 0o600);
    files[`keys/${name}`] = sha256File(f);
  }
  const manifest: BackupManifest = {
    format: "market-backup/1", createdAt: new Date().toISOString(), database: o.config.kind, migrations, ledger, files,
  };
  writeSecret(path.join(o.out, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Read a backup's manifest and check every file it names against its hash. */
export function readBackup(dir: string): BackupManifest {
  const f = path.join(dir, "manifest.json");
  if (!existsSync(f)) throw new AppError("BAD_INPUT", "BAD_BACKUP", `${dir} holds no manifest.json: not a backup folder.`);
  let manifest: BackupManifest;
  try {
    manifest = manifestSchema.parse(JSON.parse(readFileSync(f, "utf8")));
  } catch (e) {
    throw new AppError("BAD_INPUT", "BAD_BACKUP", `${f} is not a backup manifest: ${(e as Error).message}`);
  }
  for (const [name, hash] of Object.entries(manifest.files)) {
    const file = path.join(dir, name);
    if (!existsSync(file)) throw new AppError("BAD_INPUT", "BAD_BACKUP", `The backup lacks ${name}, which its manifest lists.`);
    if (sha256File(file) !== hash) throw new AppError("BAD_INPUT", "BAD_BACKUP", `${name} does not match the hash in the manifest: the backup was damaged or changed.`);
  }
  const dbFile = manifest.database === "pglite" ? "database.tar.gz" : "database.dump";
  if (!manifest.files[dbFile]) throw new AppError("BAD_INPUT", "BAD_BACKUP", `The manifest names no ${dbFile}.`);
  return manifest;
}

/** The ledger's public key as this marketplace is configured: LEDGER_SIGNING_KEY, else the file in dataDir. */
export function ledgerPublicKey(dataDir: string): string {
  const file = path.join(dataDir, "ledger-signing-ed25519.pem");
  const pem = process.env.LEDGER_SIGNING_KEY ?? (existsSync(file) ? readFileSync(file, "utf8") : null);
  if (!pem) throw new AppError("CONFIG", "NO_LEDGER_KEY", `No ledger key: neither LEDGER_SIGNING_KEY nor ${file}.`);
  return publicKeyToBase64(createPublicKey(createPrivateKey(pem)));
}

/**
 * Replay every leaf against every stored checkpoint. The key is the one the caller trusts
 * (from its own configuration), not the one the database's checkpoint rows name.
 */
export async function verifyLedger(db: Database, publicKey: string): Promise<AuditVerdict> {
  const size = await treeSize(db.prisma);
  const checkpoints: SignedCheckpoint[] = [];
  for (let after = 0; ;) {
    const page = await checkpointsAfter(db.prisma, after, 500);
    if (!page.length) break;
    checkpoints.push(...page);
    after = page[page.length - 1]!.id;
  }
  async function* leaves() {
    for (let start = 0; start < size; start += 1000) yield* await leavesRange(db.prisma, start, Math.min(size, start + 1000));
  }
  return auditLedger({ leaves: leaves(), checkpoints, publicKey });
}

export type RestoreResult = { manifest: BackupManifest; verdict: AuditVerdict; movedAside: string | null; keysRestored: string[] };

/**
 * Restore `dir` into the database `config` and the key files into `dataDir`.
 * Embedded: the target folder must not exist, or `force` moves it aside (never deleted).
 * Server: the target database's tables are replaced (pg_restore --clean) only with `force`
 * when it already holds a marketplace.
 */
export async function restore(o: { dir: string; config: DbConfig; dataDir: string; force?: boolean }): Promise<RestoreResult> {
  const manifest = readBackup(o.dir);
  if (manifest.database !== o.config.kind) {
    throw new AppError("BAD_INPUT", "BAD_BACKUP", `This is a backup of a ${manifest.database} database; the target is ${o.config.kind}. Restore a server dump into a server, an embedded folder into DATA_DIR.`);
  }
  // Keys first, checked before any data moves: a restored ledger signed by another key would not verify.
  const keysRestored: string[] = [];
  for (const name of KEY_FILES) {
    const to = path.join(o.dataDir, name);
    if (!manifest.files[`keys/${name}`]) continue;
    if (existsSync(to) && sha256File(to) !== manifest.files[`keys/${name}`] && !o.force) {
      throw new AppError("CONFLICT", "BACKUP_KEY_DIFFERS", `${to} differs from the backup's copy. Move it away, or restore with --force to replace it (the old file is kept as ${name}.before-restore).`);
    }
  }
  let movedAside: string | null = null;
  if (o.config.kind === "pglite") {
    const target = o.config.dir;
    if (!target) throw new AppError("BAD_INPUT", "BAD_DATABASE_URL", "Restore into a folder, not into memory.");
    if (existsSync(target) && readdirSync(target).length) {
      if (!o.force) throw new AppError("CONFLICT", "DATABASE_EXISTS", `${target} already holds a database. Stop the app and restore with --force: the current folder is moved aside, not deleted.`);
      if (existsSync(`${target}.lock`)) await openDatabase(o.config).then((db) => db.close()); // refuses while the app runs
      movedAside = `${target}.before-restore-${new Date().toISOString().replace(/[:.]/g, "-")}`;
      renameSync(target, movedAside);
    }
    mkdirSync(path.dirname(target), { recursive: true });
    const { PGlite } = await import("@electric-sql/pglite");
    const tar = readFileSync(path.join(o.dir, "database.tar.gz"));
    const pg = await PGlite.create(target, { loadDataDir: new Blob([tar]) });
    await pg.close();
  } else {
    const db = await openDatabase(o.config); // also proves the server is reachable
    const occupied = await db.prisma.ledgerLeaf.count().then((n) => n > 0).finally(() => db.close());
    if (occupied && !o.force) throw new AppError("CONFLICT", "DATABASE_EXISTS", "The target database already holds a marketplace. Restore into a new, empty database, or use --force to replace its tables.");
    await run(pgTool("pg_restore"), ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction", `--dbname=${o.config.url}`, path.join(o.dir, "database.dump")], { maxBuffer: 16 << 20 })
      .catch((e: Error & { stderr?: string }) => {
        throw new AppError("UNAVAILABLE", "RESTORE_FAILED", `pg_restore failed: ${e.stderr?.trim() || e.message}`);
      });
  }
  mkdirSync(o.dataDir, { recursive: true });
  for (const name of KEY_FILES) {
    if (!manifest.files[`keys/${name}`]) continue;
    const to = path.join(o.dataDir, name);
    if (existsSync(to) && sha256File(to) === manifest.files[`keys/${name}`]) continue;
    if (existsSync(to)) renameSync(to, `${to}.before-restore`);
    copyFileSync(path.join(o.dir, "keys", name), to);
    chmodSync(to, 0o600);
    keysRestored.push(name);
  }
  const db = await openDatabase(o.config); // applies any migration newer than the backup
  try {
    const verdict = await verifyLedger(db, ledgerPublicKey(o.dataDir));
    if (!verdict.ok || verdict.leaves < manifest.ledger.size) {
      throw new AppError("CONFLICT", "RESTORE_UNVERIFIED", `The restored ledger does not verify: ${verdict.problems.join(" ") || `${verdict.leaves} leaves, the backup recorded ${manifest.ledger.size}`}`);
    }
    return { manifest, verdict, movedAside, keysRestored };
  } finally {
    await db.close();
  }
}
