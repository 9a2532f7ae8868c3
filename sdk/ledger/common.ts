/**
 * What the ledger commands share: checking the command line's inputs, writing files safely,
 * the checks that verify --url and verify --file both make, and how a verdict is printed.
 */
import { randomBytes } from "node:crypto";
import { open, rename, stat, unlink } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { fromBase64, type SignedCheckpoint } from "@/core/ledger";
import { UsageError, type Ctx, type Sequenced } from "./api";

const MAX_PRINTED_PROBLEMS = 50;

export const iso = (ms: number) => { try { return new Date(ms).toISOString(); } catch { return `${ms} ms`; } };
export const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
export const describeCp = (cp: SignedCheckpoint) => `size ${cp.size}, root ${cp.root}, signed ${iso(cp.timestamp)}`;
export const utf8 = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// Input validation

/** The market's base URL; accepts it with or without a trailing /api/ledger. */
export function parseBaseUrl(s: string | undefined): URL {
  if (!s) throw new UsageError("Give the market's address with --url, e.g. --url http://localhost:3000");
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(s)} is not a URL: write it like https://market.example or http://localhost:3000`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--url ${JSON.stringify(s)} must be an http:// or https:// address.`);
  url.search = "";
  url.hash = "";
  url.pathname = url.pathname.replace(/\/api\/ledger\/?$/, "/").replace(/\/?$/, "/");
  return url;
}

/** A raw 32-byte Ed25519 public key in standard base64. */
export function parseKey(s: string): string {
  let bytes: Uint8Array | null = null;
  try { bytes = fromBase64(s.trim()); } catch { /* reported below */ }
  if (!bytes || bytes.length !== 32) {
    throw new UsageError("--key must be the ledger's Ed25519 public key: 32 bytes in standard base64 (44 characters ending in '='), as GET /api/ledger/key shows it.");
  }
  return s.trim();
}

export function parseUuid(s: string | undefined): string {
  if (!s) throw new UsageError("Give the entry id with --entry <uuid>.");
  if (!z.uuid().safeParse(s.trim()).success) throw new UsageError(`--entry ${JSON.stringify(s)} is not a UUID (like 3f2b8c1e-7d4a-4e6b-9a0c-5d1e2f3a4b5c).`);
  return s.trim().toLowerCase();
}

export async function existingFile(path: string | undefined, flag: string): Promise<string> {
  if (!path) throw new UsageError(`Give ${flag} <file>.`);
  const s = await stat(path).catch(() => null);
  if (!s) throw new UsageError(`${flag} ${path}: no such file.`);
  if (!s.isFile()) throw new UsageError(`${flag} ${path}: not a regular file.`);
  return path;
}

export async function writableTarget(path: string | undefined, flag: string): Promise<string> {
  if (!path) throw new UsageError(`Give ${flag} <file>.`);
  const dir = dirname(resolve(path));
  const s = await stat(dir).catch(() => null);
  if (!s?.isDirectory()) throw new UsageError(`${flag} ${path}: the directory ${dir} does not exist.`);
  const existing = await stat(path).catch(() => null);
  if (existing && !existing.isFile()) throw new UsageError(`${flag} ${path}: exists and is not a regular file.`);
  return path;
}

/** A fresh temporary name next to `path`, so the final rename stays on one file system. */
export const temporaryName = (path: string) => `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;

/** Writes `text` to `path` atomically: a temporary file in the same directory, fsync, rename. */
export async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = temporaryName(path);
  const fh = await open(tmp, "wx", 0o644);
  try {
    await fh.writeFile(text, "utf8");
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
}

/** Runs `f` on every item, at most `limit` at a time. */
export async function eachLimited<T>(items: T[], limit: number, f: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => { while (next < items.length) await f(items[next++]!); };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

// ---------------------------------------------------------------------------------------------
// Checks shared by verify --url and verify --file

export const cpLabel = (cp: Sequenced) => (cp.id !== undefined ? `#${cp.id} (size ${cp.size})` : `of size ${cp.size}`);
/** Identifies a signed checkpoint (the list's `id` aside). */
export const cpKey = (cp: SignedCheckpoint) => `${cp.size}|${cp.root}|${cp.timestamp}|${cp.signature}`;

/** The checkpoints in issue order must never shrink, and equal sizes must have equal roots. */
export function orderProblems(sequence: Sequenced[]): string[] {
  const problems: string[] = [];
  for (let k = 1; k < sequence.length; k++) {
    const [a, b] = [sequence[k - 1]!, sequence[k]!];
    if (b.size < a.size) problems.push(`Checkpoint ${cpLabel(b)} is smaller than the one issued before it, ${cpLabel(a)}: the ledger went backwards.`);
    else if (b.size === a.size && b.root !== a.root) problems.push(`Checkpoints ${cpLabel(a)} and ${cpLabel(b)} have the same size but different roots: two histories.`);
  }
  return problems;
}

/** The checkpoint of the largest size (the later one among equals). */
export function latestOf(sequence: Sequenced[]): Sequenced | null {
  let latest: Sequenced | null = null;
  for (const cp of sequence) if (!latest || cp.size >= latest.size) latest = cp;
  return latest;
}

type Verdict = { ok: boolean; problems: string[]; leaves: number; checkpoints: number; root: string; details: string[] };

export function printVerdict(ctx: Ctx, v: Verdict): number {
  ctx.progress("");
  if (v.ok) {
    ctx.out(`✔ Ledger verified: ${v.leaves} leaves, ${v.checkpoints} checkpoints, root ${v.root}`);
    for (const d of v.details) ctx.out(`  ${d}`);
    return 0;
  }
  ctx.out("✖ Ledger NOT verified:");
  for (const p of v.problems.slice(0, MAX_PRINTED_PROBLEMS)) ctx.out(`  - ${p}`);
  if (v.problems.length > MAX_PRINTED_PROBLEMS) ctx.out(`  … and ${v.problems.length - MAX_PRINTED_PROBLEMS} more problems.`);
  for (const d of v.details) ctx.out(`  ${d}`);
  return 1;
}

/** The key to verify with: --key if given (warning when the ledger advertises another), else the ledger's own. */
export function chooseKey(ctx: Ctx, given: string | undefined, served: string, source: "ledger" | "export"): { key: string; detail: string } {
  if (given !== undefined) {
    if (served !== given) {
      ctx.err(`⚠ The ${source} names a different key (${served}) from the one given with --key (${given}).`);
      ctx.err("  Only checkpoints signed by the --key key are accepted. A changed key means a key rotation or a substituted ledger: find out which.");
    }
    return { key: given, detail: `key ${given} (given with --key)` };
  }
  return { key: served, detail: `key ${served} (taken from the ${source} itself: pin it with --key)` };
}
