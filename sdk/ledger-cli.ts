/**
 * `npx market-ledger` (or `npm run ledger --`): verify and witness the marketplace's
 * transparency ledger (an RFC 6962 Merkle log with Ed25519-signed checkpoints) from outside,
 * over the plain HTTP API under /api/ledger. Anyone can run it; it needs no account.
 *
 *   market-ledger verify  --url https://market.example [--key <base64>] [--samples 20]
 *   market-ledger export  --url https://market.example --out ledger.json
 *   market-ledger verify  --file ledger.json [--key <base64>]
 *   market-ledger witness --url https://market.example --state witness.json [--key <base64>]
 *   market-ledger proof   --url https://market.example --entry <uuid> [--key <base64>]
 *
 * Exit status: 0 verified, 1 verification failed or witness alarm, 2 usage, input or network error.
 *
 * Every command is an exported function taking its options and an `Io` (fetch, output sinks),
 * so it can be run in-process; `main(argv, io)` parses the command line and returns the exit code.
 */
import { randomBytes, randomInt } from "node:crypto";
import { createReadStream, createWriteStream, realpathSync } from "node:fs";
import { open, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { once } from "node:events";
import { dirname, resolve } from "node:path";
import { finished } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";
import {
  fromBase64, fromHex, hex, leafHash, LedgerProofError, verifyCheckpoint, verifyConsistency, verifyInclusion,
  type SignedCheckpoint,
} from "@/core/ledger";
import { auditLedger, checkLeafBody, Witness, WitnessAlarm } from "@/core/ledger-audit";

export const EXPORT_FORMAT = "quancheng-ledger-export/1";
export const STATE_FORMAT = "quancheng-ledger-witness/1";
const ALARM_FORMAT = "quancheng-ledger-witness-alarm/1";
/** Leaves and checkpoints per request: the API's maximum. */
const PAGE = 1000;
/** Proof requests in flight at once. */
const CONCURRENCY = 8;
const REQUEST_TIMEOUT_MS = 60_000;
const MAX_PRINTED_PROBLEMS = 50;

export const USAGE = `market-ledger: verify and witness the marketplace's transparency ledger (an RFC 6962 Merkle log)

Usage:
  market-ledger verify  --url <market url> [--key <base64>] [--samples <n>]
  market-ledger verify  --file <export.json> [--key <base64>]
  market-ledger export  --url <market url> --out <file.json>
  market-ledger witness --url <market url> --state <file.json> [--key <base64>]
  market-ledger proof   --url <market url> --entry <uuid> [--key <base64>]

Commands:
  verify    Fetch every checkpoint and every leaf, recompute the Merkle tree and check that each
            checkpoint is signed by the ledger key and matches the leaves; check the consistency
            proofs the ledger serves between successive checkpoints and the inclusion proofs of a
            random sample of leaves. With --file, check an export offline instead.
  export    Write the key, all checkpoints and all leaves to a JSON file (${EXPORT_FORMAT}).
  witness   Check that the ledger only grew since the last run: keeps the last accepted checkpoint
            in --state and accepts a newer one only with a valid consistency proof. The first run
            trusts what it sees. Run it on a schedule; an alarm means the history was rewritten.
  proof     Fetch one entry, check its inclusion proof against its checkpoint and the
            checkpoint's signature, and print the event.

Options:
  --url <url>       the market's base URL, e.g. https://market.example or http://localhost:3000
                    (the ledger API lives under <url>/api/ledger)
  --key <base64>    the ledger's Ed25519 public key, obtained from a source you trust (32 bytes,
                    standard base64). Without it the key the ledger serves itself is used, which
                    only shows that the ledger is consistent with itself.
  --file <file>     an export written by 'market-ledger export'
  --out <file>      where 'export' writes (replaced atomically when complete)
  --state <file>    the witness's state file (created on the first run)
  --entry <uuid>    a ledger entry id (the id of the event, as in a receipt)
  --samples <n>     how many random leaves 'verify --url' checks inclusion proofs for (default 20)
  -h, --help        show this text

Exit status: 0 verified, 1 verification failed or witness alarm, 2 usage, input or network error.

Examples:
  npx market-ledger verify --url http://localhost:3000
  npx market-ledger export --url http://localhost:3000 --out ledger.json
  npx market-ledger verify --file ledger.json --key "$(cat ledger-key.txt)"
  npm run ledger -- witness --url https://market.example --state witness-state.json`;

// ---------------------------------------------------------------------------------------------
// Plumbing: output, errors, HTTP

/** The fetch the CLI needs; the global fetch is one. */
export type FetchLike = (url: URL, init?: RequestInit) => Promise<Response>;

/** Where a command talks to: injectable for tests. */
export type Io = {
  fetch?: FetchLike;
  /** Results and verdicts (stdout by default), one line per call. */
  out?: (line: string) => void;
  /** Warnings, notes and errors (stderr by default), one line per call. */
  err?: (line: string) => void;
  /** Transient progress (stderr on a terminal by default; nowhere otherwise). */
  progress?: (line: string) => void;
  /** Retries of a request that failed in transit or with 502/503/504 (default 2). */
  retries?: number;
  retryDelayMs?: number;
};

type Ctx = Required<Io>;

function context(io: Io): Ctx {
  const tty = Boolean(process.stderr.isTTY);
  return {
    fetch: io.fetch ?? ((url, init) => fetch(url, init)),
    out: io.out ?? ((line) => process.stdout.write(`${line}\n`)),
    err: io.err ?? ((line) => process.stderr.write(`${line}\n`)),
    progress: io.progress ?? (tty ? (line) => process.stderr.write(`\r\x1b[K${line}`) : () => {}),
    retries: io.retries ?? 2,
    retryDelayMs: io.retryDelayMs ?? 500,
  };
}

/** An expected failure that ends the command with exit status 2 and a message, never a stack trace. */
export class CliError extends Error {
  constructor(message: string) { super(message); this.name = "CliError"; }
}
/** The command line or an input is wrong. */
export class UsageError extends CliError {
  constructor(message: string) { super(message); this.name = "UsageError"; }
}
/** The ledger could not be reached. */
export class NetworkError extends CliError {
  constructor(message: string) { super(message); this.name = "NetworkError"; }
}
/** The ledger answered, but with an error or with something that is not what the API promises. */
export class ApiError extends CliError {
  constructor(message: string, readonly status?: number) { super(message); this.name = "ApiError"; }
}

const issues = (e: z.ZodError) => e.issues.map((i) => `${i.path.length ? i.path.join(".") : "value"}: ${i.message}`).join("; ");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const reason = (e: unknown) => {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error ? `${e.message} (${cause.message})` : e.message;
};
const iso = (ms: number) => { try { return new Date(ms).toISOString(); } catch { return `${ms} ms`; } };
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
const describeCp = (cp: SignedCheckpoint) => `size ${cp.size}, root ${cp.root}, signed ${iso(cp.timestamp)}`;
const utf8 = new TextEncoder();

// Shapes of what the API returns (see server/ledger/api.ts).
const safeSize = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const signedCheckpoint = z.object({
  origin: z.string(), size: safeSize, root: z.string(),
  timestamp: z.number().int().nonnegative().max(8.64e15), signature: z.string(),
});
const listedCheckpoint = signedCheckpoint.extend({ id: z.number().int().nonnegative() });
const keyAnswer = z.object({ origin: z.string(), algorithm: z.literal("Ed25519"), publicKey: z.string() });
const proofAnswer = z.object({ proof: z.array(z.string()) });
const leaf = z.object({ index: safeSize, body: z.string() });
const entryAnswer = z.object({ index: safeSize, body: z.string(), leafHash: z.string(), checkpoint: signedCheckpoint, proof: z.array(z.string()) });
const apiErrorAnswer = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

type Listed = z.infer<typeof listedCheckpoint>;
/** A checkpoint in the order the ledger issued it; `id` when the list of checkpoints gave one. */
type Sequenced = SignedCheckpoint & { id?: number };

/** A client of /api/ledger with validation of every answer. */
export class LedgerApi {
  constructor(readonly base: URL, private readonly ctx: Ctx) {}

  url(path: string, params: Record<string, string | number> = {}): URL {
    const url = new URL(`api/ledger/${path}`, this.base);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
    return url;
  }

  async get<T>(path: string, params: Record<string, string | number>, schema: z.ZodType<T>): Promise<T> {
    const url = this.url(path, params);
    const what = `GET ${url.pathname}${url.search}`;
    let text = "";
    let status = 0;
    for (let attempt = 0; ; attempt++) {
      const retry = attempt < this.ctx.retries;
      try {
        const res = await this.ctx.fetch(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        status = res.status;
        if (retry && (status === 502 || status === 503 || status === 504)) { await res.body?.cancel(); await sleep(this.ctx.retryDelayMs * 2 ** attempt); continue; }
        text = await res.text();
        break;
      } catch (e) {
        if (retry) { await sleep(this.ctx.retryDelayMs * 2 ** attempt); continue; }
        throw new NetworkError(`Cannot reach the ledger at ${url.origin} (${what}): ${reason(e)}`);
      }
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ApiError(`${what} answered HTTP ${status} with something that is not JSON${status === 404 ? ": is this the market's base URL?" : ""}`, status);
    }
    if (status < 200 || status > 299) {
      const e = apiErrorAnswer.safeParse(json);
      throw new ApiError(`${what} failed with HTTP ${status}${e.success ? ` ${e.data.error.code}: ${e.data.error.message}` : ""}`, status);
    }
    const r = schema.safeParse(json);
    if (!r.success) throw new ApiError(`${what} answered with an unexpected shape: ${issues(r.error)}`, status);
    return r.data;
  }

  key() { return this.get("key", {}, keyAnswer); }
  checkpoint() { return this.get("checkpoint", {}, signedCheckpoint); }
  leaves(start: number, end: number) { return this.get("leaves", { start, end }, z.array(leaf)); }
  async inclusion(index: number, size: number) { return (await this.get("proof/inclusion", { index, size }, proofAnswer)).proof; }
  async consistency(from: number, to: number) { return (await this.get("proof/consistency", { from, to }, proofAnswer)).proof; }
  entry(entryId: string) { return this.get("entry", { entryId }, entryAnswer); }

  /** Every checkpoint issued, oldest first, paging until an empty page. */
  async checkpoints(): Promise<Listed[]> {
    const all: Listed[] = [];
    for (let after = 0; ;) {
      const page = await this.get("checkpoints", { after, limit: PAGE }, z.array(listedCheckpoint));
      if (page.length === 0) return all;
      for (const cp of page) {
        if (cp.id <= after) throw new ApiError(`GET checkpoints?after=${after} listed checkpoint #${cp.id}: the list is not in increasing id order.`);
        after = cp.id;
        all.push(cp);
      }
    }
  }
}

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

async function existingFile(path: string | undefined, flag: string): Promise<string> {
  if (!path) throw new UsageError(`Give ${flag} <file>.`);
  const s = await stat(path).catch(() => null);
  if (!s) throw new UsageError(`${flag} ${path}: no such file.`);
  if (!s.isFile()) throw new UsageError(`${flag} ${path}: not a regular file.`);
  return path;
}

async function writableTarget(path: string | undefined, flag: string): Promise<string> {
  if (!path) throw new UsageError(`Give ${flag} <file>.`);
  const dir = dirname(resolve(path));
  const s = await stat(dir).catch(() => null);
  if (!s?.isDirectory()) throw new UsageError(`${flag} ${path}: the directory ${dir} does not exist.`);
  const existing = await stat(path).catch(() => null);
  if (existing && !existing.isFile()) throw new UsageError(`${flag} ${path}: exists and is not a regular file.`);
  return path;
}

/** Writes `text` to `path` atomically: a temporary file in the same directory, fsync, rename. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
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
async function eachLimited<T>(items: T[], limit: number, f: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => { while (next < items.length) await f(items[next++]!); };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

// ---------------------------------------------------------------------------------------------
// Checks shared by verify --url and verify --file

const cpLabel = (cp: Sequenced) => (cp.id !== undefined ? `#${cp.id} (size ${cp.size})` : `of size ${cp.size}`);
const cpKey = (cp: SignedCheckpoint) => `${cp.size}|${cp.root}|${cp.timestamp}|${cp.signature}`;

/** The checkpoints in issue order must never shrink, and equal sizes must have equal roots. */
function orderProblems(sequence: Sequenced[]): string[] {
  const problems: string[] = [];
  for (let k = 1; k < sequence.length; k++) {
    const [a, b] = [sequence[k - 1]!, sequence[k]!];
    if (b.size < a.size) problems.push(`Checkpoint ${cpLabel(b)} is smaller than the one issued before it, ${cpLabel(a)}: the ledger went backwards.`);
    else if (b.size === a.size && b.root !== a.root) problems.push(`Checkpoints ${cpLabel(a)} and ${cpLabel(b)} have the same size but different roots: two histories.`);
  }
  return problems;
}

/** The checkpoint of the largest size (the later one among equals). */
function latestOf(sequence: Sequenced[]): Sequenced | null {
  let latest: Sequenced | null = null;
  for (const cp of sequence) if (!latest || cp.size >= latest.size) latest = cp;
  return latest;
}

type Verdict = { ok: boolean; problems: string[]; leaves: number; checkpoints: number; root: string; details: string[] };

function printVerdict(ctx: Ctx, v: Verdict): number {
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
function chooseKey(ctx: Ctx, given: string | undefined, served: string, source: "ledger" | "export"): { key: string; detail: string } {
  if (given !== undefined) {
    if (served !== given) {
      ctx.err(`⚠ The ${source} names a different key (${served}) from the one given with --key (${given}).`);
      ctx.err("  Only checkpoints signed by the --key key are accepted. A changed key means a key rotation or a substituted ledger: find out which.");
    }
    return { key: given, detail: `key ${given} (given with --key)` };
  }
  return { key: served, detail: `key ${served} (taken from the ${source} itself: pin it with --key)` };
}

// ---------------------------------------------------------------------------------------------
// verify --url

export async function verifyUrl(o: { url: string; key?: string; samples?: number }, io: Io = {}): Promise<number> {
  const ctx = context(io);
  const api = new LedgerApi(parseBaseUrl(o.url), ctx);
  const givenKey = o.key === undefined ? undefined : parseKey(o.key);
  const samples = o.samples ?? 20;

  const keyInfo = await api.key();
  const { key, detail: keyDetail } = chooseKey(ctx, givenKey, keyInfo.publicKey, "ledger");
  if (givenKey === undefined) ctx.err(`ℹ Using the key the ledger serves (${keyInfo.publicKey}). Pass --key <base64> with the key published elsewhere to detect a substituted ledger.`);

  // The current checkpoint first, so the list fetched after it includes it.
  const current = await api.checkpoint();
  const listed = await api.checkpoints();
  const problems: string[] = []; // the API's own failings, reported after the audit's
  const missing: string[] = []; // leaves the API would not serve, reported first
  const sequence: Sequenced[] = [...listed];
  if (!listed.some((cp) => cpKey(cp) === cpKey(current))) {
    problems.push(`The current checkpoint (${describeCp(current)}) is missing from the list of all checkpoints.`);
    sequence.push(current);
  }
  const latest = latestOf(sequence)!;
  const size = latest.size;

  // Which leaves get their inclusion proof checked: chosen before the leaves are seen.
  const sampled = new Set<number>();
  while (sampled.size < Math.min(samples, size)) sampled.add(randomInt(size));
  const sampledBodies = new Map<number, string>();

  ctx.progress(`${sequence.length} checkpoints; fetching ${size} leaves…`);
  const leaves = async function* () {
    let fetched = 0;
    const page = (start: number) => {
      const p = api.leaves(start, Math.min(start + PAGE, size));
      p.catch(() => {}); // awaited below; this keeps a prefetched page's failure from counting as unhandled
      return p;
    };
    let next = size > 0 ? page(0) : null;
    for (let start = 0; start < size; start += PAGE) {
      let rows: z.infer<typeof leaf>[];
      try {
        rows = await next!;
      } catch (e) {
        if (e instanceof ApiError) { missing.push(`The ledger would not serve leaves [${start}, ${Math.min(start + PAGE, size)}) of the ${size} its latest checkpoint covers: ${e.message}`); return; }
        throw e;
      }
      next = start + PAGE < size ? page(start + PAGE) : null; // fetch the next page while this one is hashed
      for (const row of rows) {
        if (sampled.has(row.index)) sampledBodies.set(row.index, row.body);
        yield row;
      }
      fetched += rows.length;
      ctx.progress(`leaves ${fetched}/${size}`);
    }
  };
  const audit = await auditLedger({ leaves: leaves(), checkpoints: sequence, publicKey: key, origin: keyInfo.origin });

  // Consistency proofs the ledger serves between successive checkpoints.
  problems.push(...orderProblems(sequence));
  const pairs = new Map<string, [Sequenced, Sequenced]>();
  for (let k = 1; k < sequence.length; k++) {
    const [a, b] = [sequence[k - 1]!, sequence[k]!];
    if (a.size > 0 && b.size > a.size) pairs.set(`${a.size}:${a.root}>${b.size}:${b.root}`, [a, b]);
  }
  let consistencyChecked = 0;
  await eachLimited([...pairs.values()], CONCURRENCY, async ([a, b]) => {
    try {
      const proof = await api.consistency(a.size, b.size);
      verifyConsistency(a.size, b.size, fromHex(a.root, 32), fromHex(b.root, 32), proof.map((h) => fromHex(h, 32)));
    } catch (e) {
      if (e instanceof LedgerProofError || e instanceof ApiError) {
        problems.push(`The consistency proof from checkpoint ${cpLabel(a)} to ${cpLabel(b)} fails: ${e.message}`);
      } else throw e;
    }
    consistencyChecked++;
    ctx.progress(`consistency proofs ${consistencyChecked}/${pairs.size}`);
  });

  // Inclusion proofs of the sampled leaves against the latest checkpoint (failures summed up in one line).
  let inclusionChecked = 0;
  const inclusionFailures: { index: number; message: string }[] = [];
  await eachLimited([...sampledBodies.entries()], CONCURRENCY, async ([index, body]) => {
    try {
      const proof = await api.inclusion(index, size);
      verifyInclusion(leafHash(utf8.encode(body)), index, size, proof.map((h) => fromHex(h, 32)), fromHex(latest.root, 32));
    } catch (e) {
      if (e instanceof LedgerProofError || e instanceof ApiError) inclusionFailures.push({ index, message: e.message });
      else throw e;
    }
    inclusionChecked++;
  });
  if (inclusionFailures.length > 0) {
    inclusionFailures.sort((a, b) => a.index - b.index);
    const [first] = inclusionFailures;
    const indices = inclusionFailures.map((f) => f.index);
    problems.push(inclusionFailures.length === 1
      ? `The inclusion proof of leaf ${first!.index} in the checkpoint of size ${size} fails: ${first!.message}`
      : `The inclusion proofs of ${inclusionFailures.length} of the ${sampledBodies.size} sampled leaves in the checkpoint of size ${size} fail (leaves ${indices.slice(0, 10).join(", ")}${indices.length > 10 ? ", …" : ""}); the first: ${first!.message}`);
  }

  const all = [...missing, ...audit.problems, ...problems];
  return printVerdict(ctx, {
    ok: audit.ok && all.length === 0,
    problems: all,
    leaves: audit.leaves,
    checkpoints: sequence.length,
    root: latest.root,
    details: [
      keyDetail,
      `latest checkpoint: ${describeCp(latest)}`,
      `checked: ${plural(audit.checkpointsChecked, "checkpoint")} against the leaves, ${plural(consistencyChecked, "consistency proof")}, ${plural(inclusionChecked, "inclusion proof")}`,
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// export

export async function exportLedger(o: { url: string; out: string }, io: Io = {}): Promise<number> {
  const ctx = context(io);
  const api = new LedgerApi(parseBaseUrl(o.url), ctx);
  const out = await writableTarget(o.out, "--out");
  const keyInfo = await api.key();
  const current = await api.checkpoint();
  const listed = await api.checkpoints();
  const sequence: SignedCheckpoint[] = listed.map(({ origin, size, root, timestamp, signature }) => ({ origin, size, root, timestamp, signature }));
  if (!listed.some((cp) => cpKey(cp) === cpKey(current))) sequence.push(current);
  const size = Math.max(...sequence.map((cp) => cp.size));

  const tmp = `${out}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const stream = createWriteStream(tmp, { flags: "wx", encoding: "utf8" });
  let failure: Error | null = null;
  stream.on("error", (e) => { failure ??= e; });
  const write = async (text: string) => {
    if (failure) throw failure;
    if (!stream.write(text)) await once(stream, "drain");
  };
  try {
    const head = { format: EXPORT_FORMAT, origin: keyInfo.origin, publicKey: keyInfo.publicKey, exportedFrom: api.base.href, exportedAt: new Date().toISOString() };
    await write(`${JSON.stringify(head).slice(0, -1)},\n"checkpoints":[`);
    await write(sequence.map((cp) => `\n${JSON.stringify(cp)}`).join(","));
    await write(`\n],\n"leaves":[`);
    let next = size > 0 ? api.leaves(0, Math.min(PAGE, size)) : null;
    next?.catch(() => {});
    for (let start = 0; start < size; start += PAGE) {
      const rows = await next!;
      if (start + PAGE < size) { next = api.leaves(start + PAGE, Math.min(start + 2 * PAGE, size)); next.catch(() => {}); }
      await write(rows.map((r, k) => `${start + k === 0 ? "" : ","}\n${JSON.stringify({ index: r.index, body: r.body })}`).join(""));
      ctx.progress(`leaves ${Math.min(start + PAGE, size)}/${size}`);
    }
    await write("\n]}\n");
    stream.end();
    await finished(stream);
    if (failure) throw failure;
    await rename(tmp, out);
  } catch (e) {
    stream.destroy();
    await unlink(tmp).catch(() => {});
    if (e instanceof CliError) throw e;
    throw new CliError(`Cannot write ${out}: ${reason(e)}`);
  }
  ctx.progress("");
  ctx.out(`✔ Exported ${size} leaves and ${sequence.length} checkpoints to ${out}`);
  ctx.out(`  key ${keyInfo.publicKey}, origin ${keyInfo.origin}`);
  ctx.out(`  Check it offline: market-ledger verify --file ${out} --key ${keyInfo.publicKey}`);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// verify --file: a streaming reader of exports, so a large export never has to fit in a string

type ScanItem = { kind: "member"; key: string; value: unknown } | { kind: "leaf"; value: unknown };

const isJsonSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * Reads a JSON file whose top level is an object, yielding each top-level member except
 * "leaves" as a whole, and (with `withLeaves`) each element of the top-level "leaves" array one
 * by one, without ever holding the array. Throws CliError on anything that is not valid JSON.
 */
async function* scanExport(path: string, withLeaves: boolean): AsyncGenerator<ScanItem> {
  const bad = (why: string) => new CliError(`${path} is not valid JSON: ${why}.`);
  const stack: number[] = []; // open brackets, outermost first
  let started = false, ended = false, inString = false, escaped = false;
  let inLeaves = false, leafCount = 0;
  let member = "", element = "";
  let target: "member" | "element" | null = null;
  const keys = new Set<string>();

  const takeElement = (closing: boolean): ScanItem | null => {
    const text = element;
    element = "";
    if (text.trim() === "") {
      if (closing && leafCount === 0) return null;
      throw bad(`an empty element in "leaves" after leaf #${leafCount}`);
    }
    let value: unknown;
    try { value = JSON.parse(text); } catch { throw bad(`element #${leafCount} of "leaves" is not valid JSON`); }
    leafCount++;
    return { kind: "leaf", value };
  };
  const takeMember = (comma: boolean): ScanItem | null => {
    const text = member;
    member = "";
    if (text.trim() === "") {
      if (!comma && keys.size === 0) return null;
      throw bad("a stray ',' in the top-level object");
    }
    let obj: Record<string, unknown>;
    try { obj = JSON.parse(`{${text}}`) as Record<string, unknown>; } catch { throw bad(`member #${keys.size + 1} of the top-level object is malformed`); }
    const [key] = Object.keys(obj);
    if (key === undefined) throw bad(`member #${keys.size + 1} of the top-level object is malformed`);
    if (keys.has(key)) throw bad(`the key ${JSON.stringify(key)} appears twice`);
    keys.add(key);
    if (key === "leaves" && !Array.isArray(obj[key])) throw bad('"leaves" is not an array');
    return { kind: "member", key, value: obj[key] };
  };
  const isLeavesKey = (text: string) => {
    const m = /^\s*("(?:[^"\\]|\\.)*")\s*:\s*$/s.exec(text);
    try { return m !== null && JSON.parse(m[1]!) === "leaves"; } catch { return false; }
  };

  for await (const chunk of createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 20 }) as AsyncIterable<string>) {
    let mark = 0;
    const flush = (to: number) => {
      if (target === "member") member += chunk.slice(mark, to);
      else if (target === "element") element += chunk.slice(mark, to);
      mark = to;
    };
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true; // backslash
        else if (c === 0x22) inString = false; // quote
        continue;
      }
      if (ended) {
        if (!isJsonSpace(c)) throw bad("there is text after the end of the top-level object");
        continue;
      }
      if (!started) {
        if (isJsonSpace(c) || c === 0xfeff) continue;
        if (c !== 0x7b) throw bad("it does not start with '{'");
        started = true;
        stack.push(c);
        target = "member";
        mark = i + 1;
        continue;
      }
      if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) { // { [
        stack.push(c);
        if (stack.length === 2 && c === 0x5b && isLeavesKey(member + chunk.slice(mark, i))) {
          flush(i + 1); // the member keeps `"leaves":[`; the elements go elsewhere
          inLeaves = true;
          target = withLeaves ? "element" : null;
        }
      } else if (c === 0x7d || c === 0x5d) { // } ]
        const open = stack.pop();
        if (open !== (c === 0x7d ? 0x7b : 0x5b)) throw bad(`an unexpected '${String.fromCharCode(c)}'`);
        if (inLeaves && stack.length === 1) {
          flush(i);
          if (withLeaves) { const item = takeElement(true); if (item) yield item; }
          inLeaves = false;
          target = "member"; // the member gets the ']': `"leaves":[]`
          mark = i;
        } else if (stack.length === 0) {
          flush(i);
          const item = takeMember(false);
          if (item) yield item;
          ended = true;
          target = null;
        }
      } else if (c === 0x2c) { // ,
        if (inLeaves && stack.length === 2) {
          flush(i);
          mark = i + 1;
          if (withLeaves) yield takeElement(false)!;
        } else if (stack.length === 1) {
          flush(i);
          mark = i + 1;
          const item = takeMember(true);
          if (item) yield item;
        }
      }
    }
    flush(chunk.length);
  }
  if (!ended) throw bad(started ? "it ends before the top-level object is closed (truncated?)" : "it is empty");
}

const exportHeader = z.object({
  format: z.literal(EXPORT_FORMAT, { error: `format must be "${EXPORT_FORMAT}"` }),
  origin: z.string(),
  publicKey: z.string(),
  checkpoints: z.array(signedCheckpoint),
  leaves: z.array(z.unknown(), { error: "leaves must be an array" }),
});

export async function verifyFile(o: { file: string; key?: string }, io: Io = {}): Promise<number> {
  const ctx = context(io);
  const file = await existingFile(o.file, "--file");
  const givenKey = o.key === undefined ? undefined : parseKey(o.key);

  // Pass 1: everything but the leaves. Pass 2 (during the audit): the leaves, one at a time.
  const members: Record<string, unknown> = {};
  for await (const item of scanExport(file, false)) if (item.kind === "member") members[item.key] = item.value;
  const parsed = exportHeader.safeParse(members);
  if (!parsed.success) throw new CliError(`${file} is not a ledger export (${EXPORT_FORMAT}): ${issues(parsed.error)}`);
  const header = parsed.data;

  const { key, detail: keyDetail } = chooseKey(ctx, givenKey, header.publicKey, "export");
  if (givenKey === undefined) {
    ctx.err("⚠ No --key given: using the key inside the file. That only proves the file is consistent with itself:");
    ctx.err("  whoever wrote the file could have re-signed it with a key of their own. Pass --key with the ledger's published key.");
  }

  let index = 0;
  const leaves = async function* () {
    for await (const item of scanExport(file, true)) {
      if (item.kind !== "leaf") continue;
      const r = leaf.safeParse(item.value);
      if (!r.success) throw new CliError(`${file}: leaf #${index} is malformed: ${issues(r.error)}`);
      index++;
      if (index % 10_000 === 0) ctx.progress(`leaves ${index}`);
      yield r.data;
    }
  };
  const audit = await auditLedger({ leaves: leaves(), checkpoints: header.checkpoints, publicKey: key, origin: header.origin });
  const problems = [...audit.problems, ...orderProblems(header.checkpoints)];
  const latest = latestOf(header.checkpoints);
  if (!latest) problems.push("The export holds no checkpoint: nothing in it is signed.");
  else if (audit.leaves > latest.size) ctx.err(`⚠ ${audit.leaves - latest.size} leaves after the latest checkpoint (size ${latest.size}) are covered by no signature.`);
  return printVerdict(ctx, {
    ok: audit.ok && problems.length === 0,
    problems,
    leaves: audit.leaves,
    checkpoints: header.checkpoints.length,
    root: latest?.root ?? audit.root,
    details: [keyDetail, ...(latest ? [`latest checkpoint: ${describeCp(latest)}`] : []), `checked: ${plural(audit.checkpointsChecked, "checkpoint")} against the leaves`],
  });
}

// ---------------------------------------------------------------------------------------------
// witness

const witnessState = z.object({
  format: z.literal(STATE_FORMAT, { error: `format must be "${STATE_FORMAT}"` }),
  origin: z.string(),
  publicKey: z.string(),
  checkpoint: signedCheckpoint,
  url: z.string().optional(),
  updatedAt: z.string().optional(),
});
export type WitnessState = z.infer<typeof witnessState>;

async function readState(path: string): Promise<WitnessState | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new CliError(`Cannot read the state file ${path}: ${reason(e)}`);
  }
  let json: unknown;
  try { json = JSON.parse(text); } catch { throw new CliError(`The state file ${path} is not valid JSON. It was left as it is; move it away to start over (trusting the ledger anew).`); }
  const r = witnessState.safeParse(json);
  if (!r.success) throw new CliError(`The state file ${path} is not a witness state (${STATE_FORMAT}): ${issues(r.error)}. It was left as it is.`);
  return r.data;
}

export async function witness(o: { url: string; state: string; key?: string }, io: Io = {}): Promise<number> {
  const ctx = context(io);
  const base = parseBaseUrl(o.url);
  const api = new LedgerApi(base, ctx);
  const statePath = await writableTarget(o.state, "--state");
  const givenKey = o.key === undefined ? undefined : parseKey(o.key);
  const held = await readState(statePath);
  if (held && givenKey !== undefined && givenKey !== held.publicKey) {
    throw new UsageError(`The state file ${statePath} pins the key ${held.publicKey}, not the --key given (${givenKey}). Move the state file away to start over with another key.`);
  }

  let origin: string, publicKey: string;
  if (held) ({ origin, publicKey } = held);
  else {
    const keyInfo = await api.key();
    origin = keyInfo.origin;
    publicKey = chooseKey(ctx, givenKey, keyInfo.publicKey, "ledger").key;
  }
  const cp = await api.checkpoint();
  const w = new Witness(publicKey, origin, held?.checkpoint ?? null);
  const save = () => writeAtomically(statePath, `${JSON.stringify({ format: STATE_FORMAT, origin, publicKey, checkpoint: w.last!, url: base.href, updatedAt: new Date().toISOString() } satisfies WitnessState, null, 2)}\n`);

  let hashes: string[] = [];
  if (held && cp.size > held.checkpoint.size && held.checkpoint.size > 0) {
    try {
      hashes = await api.consistency(held.checkpoint.size, cp.size);
    } catch (e) {
      if (e instanceof ApiError) throw new CliError(`The ledger did not give a consistency proof from the witnessed size ${held.checkpoint.size} to ${cp.size}: ${e.message}. The state file was left as it is.`);
      throw e;
    }
  }

  let result: ReturnType<Witness["observe"]>;
  try {
    result = w.observe(cp, { fromSize: held?.checkpoint.size ?? 0, hashes });
  } catch (e) {
    if (e instanceof WitnessAlarm) return alarm(ctx, { statePath, url: base.href, message: e.message, held: held?.checkpoint ?? null, served: cp, proof: hashes });
    throw e;
  }

  if (!held) {
    await save();
    ctx.out("ℹ First run: trusting on first use. Nothing earlier can be checked; from now on the ledger must only grow from here.");
    ctx.out(`  key         ${publicKey} (origin ${origin})`);
    ctx.out(`  checkpoint  ${describeCp(cp)}`);
    ctx.out(`  Compare the key with the one the market publishes elsewhere. State saved to ${statePath}.`);
    ctx.out(`✔ witnessed: ${cp.size} leaves`);
    return 0;
  }
  if (result === "accepted") {
    await save();
    ctx.out(`✔ consistent: ${held.checkpoint.size} → ${cp.size}`);
    ctx.out(`  checkpoint ${describeCp(cp)}`);
    return 0;
  }
  if (result === "same") {
    if (w.last !== held.checkpoint) await save();
    ctx.out(`✔ consistent: ${cp.size} → ${cp.size} (no new leaves)`);
    return 0;
  }
  if (result === "behind") {
    // An older checkpoint than the one held: it must be a prefix of what was witnessed.
    try {
      const proof = cp.size > 0 ? await api.consistency(cp.size, held.checkpoint.size) : [];
      verifyConsistency(cp.size, held.checkpoint.size, fromHex(cp.root, 32), fromHex(held.checkpoint.root, 32), proof.map((h) => fromHex(h, 32)));
    } catch (e) {
      if (e instanceof LedgerProofError) {
        return alarm(ctx, { statePath, url: base.href, message: `The ledger now serves a checkpoint of ${cp.size} leaves that is not a prefix of the ${held.checkpoint.size} leaves witnessed before (${e.message}): its history was rewritten.`, held: held.checkpoint, served: cp, proof: [] });
      }
      if (e instanceof ApiError) {
        ctx.out(`✖ The ledger went back from ${held.checkpoint.size} to ${cp.size} leaves and cannot prove that the ${held.checkpoint.size} witnessed leaves still exist: ${e.message}`);
        ctx.out(`  This may be a rollback of the ledger. The state file ${statePath} was left as it is.`);
        return 1;
      }
      throw e;
    }
    ctx.err(`⚠ The ledger served an older checkpoint (${cp.size} leaves) than the one witnessed (${held.checkpoint.size}); it is consistent with it. State kept.`);
    ctx.out(`✔ consistent: ${cp.size} is a prefix of the witnessed ${held.checkpoint.size}`);
    return 0;
  }
  throw new Error(`unexpected witness result ${JSON.stringify(result)}`);
}

async function alarm(ctx: Ctx, a: { statePath: string; url: string; message: string; held: SignedCheckpoint | null; served: SignedCheckpoint; proof: string[] }): Promise<number> {
  const evidencePath = `${a.statePath}.alarm-${new Date().toISOString().replace(/[:.]/g, "-")}-${randomBytes(2).toString("hex")}.json`;
  let saved = true;
  try {
    await writeFile(evidencePath, `${JSON.stringify({ format: ALARM_FORMAT, url: a.url, detectedAt: new Date().toISOString(), message: a.message, held: a.held, served: a.served, consistencyProof: a.proof }, null, 2)}\n`, { flag: "wx" });
  } catch {
    saved = false;
  }
  const bar = "═".repeat(78);
  ctx.out(bar);
  ctx.out("✖✖✖  WITNESS ALARM  ✖✖✖");
  ctx.out(bar);
  ctx.out(`  ${a.message}`);
  ctx.out(`  ledger:    ${a.url}`);
  if (a.held) ctx.out(`  witnessed: ${describeCp(a.held)}`);
  ctx.out(`  served:    ${describeCp(a.served)}`);
  ctx.out(a.held
    ? `  The state file ${a.statePath} was NOT changed: it still holds the last checkpoint accepted.`
    : `  Nothing was trusted: no state was written to ${a.statePath}.`);
  ctx.out(saved ? `  Evidence (both signed checkpoints and the proof) saved to ${evidencePath}.` : "  (The evidence could not be saved to a file: keep this output.)");
  ctx.out("  Do not trust the ledger's new entries. Report this, with the evidence, to the market's supervisors.");
  ctx.out(bar);
  return 1;
}

// ---------------------------------------------------------------------------------------------
// proof

export async function proveEntry(o: { url: string; entry: string; key?: string }, io: Io = {}): Promise<number> {
  const ctx = context(io);
  const api = new LedgerApi(parseBaseUrl(o.url), ctx);
  const entryId = parseUuid(o.entry);
  const givenKey = o.key === undefined ? undefined : parseKey(o.key);
  const keyInfo = await api.key();
  const { key, detail: keyDetail } = chooseKey(ctx, givenKey, keyInfo.publicKey, "ledger");

  let entry: z.infer<typeof entryAnswer>;
  try {
    entry = await api.entry(entryId);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      ctx.out(`✖ Entry ${entryId} NOT verified: the ledger has no such entry (${e.message}).`);
      return 1;
    }
    throw e;
  }

  const problems: string[] = [];
  const cp = entry.checkpoint;
  if (!verifyCheckpoint(cp, key)) problems.push(`The checkpoint (${describeCp(cp)}) is not signed by the ledger key.`);
  if (cp.origin !== keyInfo.origin) problems.push(`The checkpoint names another ledger: ${cp.origin} (expected ${keyInfo.origin}).`);
  const computed = leafHash(utf8.encode(entry.body));
  if (hex(computed) !== entry.leafHash.toLowerCase()) problems.push(`The leaf hash served (${entry.leafHash}) is not the hash of the body (${hex(computed)}).`);
  const shape = checkLeafBody(entry.body);
  let event: unknown = null;
  if (shape) problems.push(`The body ${shape}.`);
  else {
    event = JSON.parse(entry.body);
    const id = (event as { id: string }).id;
    if (id.toLowerCase() !== entryId) problems.push(`The body is entry ${id}, not ${entryId}.`);
  }
  try {
    verifyInclusion(computed, entry.index, cp.size, entry.proof.map((h) => fromHex(h, 32)), fromHex(cp.root, 32));
  } catch (e) {
    if (!(e instanceof LedgerProofError)) throw e;
    problems.push(`The inclusion proof of leaf ${entry.index} does not lead to the checkpoint's root: ${e.message}`);
  }

  ctx.out(`Entry ${entryId}, leaf ${entry.index}:`);
  for (const line of (event ? JSON.stringify(event, null, 2) : entry.body).split("\n")) ctx.out(`  ${line}`);
  if (problems.length === 0) {
    ctx.out(`✔ Entry verified: leaf ${entry.index} is in the ledger of ${cp.size} leaves, root ${cp.root}, signed ${iso(cp.timestamp)}`);
    ctx.out(`  ${keyDetail}`);
    return 0;
  }
  ctx.out(`✖ Entry ${entryId} NOT verified:`);
  for (const p of problems) ctx.out(`  - ${p}`);
  ctx.out(`  ${keyDetail}`);
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Command line

const options = {
  verify: { url: { type: "string" }, file: { type: "string" }, key: { type: "string" }, samples: { type: "string" } },
  export: { url: { type: "string" }, out: { type: "string" } },
  witness: { url: { type: "string" }, state: { type: "string" }, key: { type: "string" } },
  proof: { url: { type: "string" }, entry: { type: "string" }, key: { type: "string" } },
} as const;

function parseCommand<C extends keyof typeof options>(command: C, args: string[]) {
  try {
    return parseArgs({ args, options: { ...options[command], help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: false }).values;
  } catch (e) {
    const code = (e as { code?: string }).code;
    const name = /'([^']+)'/.exec((e as Error).message)?.[1];
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new UsageError(`${command} does not take the option ${name ?? (e as Error).message}.`);
    if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") throw new UsageError(`Unexpected argument ${name ? `'${name}'` : ""}: options are written --name value.`);
    throw new UsageError((e as Error).message);
  }
}

/** Runs the command line `argv` (without node and the script) and returns the exit status. */
export async function main(argv: string[], io: Io = {}): Promise<number> {
  const ctx = context(io);
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === "help" || command === "-h" || command === "--help") {
      (command === undefined ? ctx.err : ctx.out)(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (!Object.hasOwn(options, command)) throw new UsageError(`Unknown command ${JSON.stringify(command)}: use verify, export, witness or proof.`);
    const values = parseCommand(command as keyof typeof options, rest) as Record<string, string | boolean | undefined>;
    if (values.help) { ctx.out(USAGE); return 0; }
    const s = (name: string) => values[name] as string | undefined;
    switch (command) {
      case "verify": {
        if (s("url") !== undefined && s("file") !== undefined) throw new UsageError("verify takes --url or --file, not both.");
        if (s("file") !== undefined) {
          if (s("samples") !== undefined) throw new UsageError("--samples applies to verify --url only.");
          return await verifyFile({ file: s("file")!, key: s("key") }, io);
        }
        if (s("url") === undefined) throw new UsageError("verify needs --url <market url> or --file <export.json>.");
        let samples: number | undefined;
        if (s("samples") !== undefined) {
          if (!/^\d{1,4}$/.test(s("samples")!) || Number(s("samples")) > 1000) throw new UsageError("--samples is a whole number from 0 to 1000.");
          samples = Number(s("samples"));
        }
        return await verifyUrl({ url: s("url")!, key: s("key"), samples }, io);
      }
      case "export":
        parseBaseUrl(s("url"));
        return await exportLedger({ url: s("url")!, out: (await writableTarget(s("out"), "--out")) }, io);
      case "witness":
        parseBaseUrl(s("url"));
        return await witness({ url: s("url")!, state: (await writableTarget(s("state"), "--state")), key: s("key") }, io);
      case "proof":
        parseBaseUrl(s("url"));
        return await proveEntry({ url: s("url")!, entry: parseUuid(s("entry")), key: s("key") }, io);
    }
    throw new UsageError(`Unknown command ${command}`);
  } catch (e) {
    ctx.progress("");
    if (e instanceof CliError) {
      ctx.err(`✖ ${e.message}`);
      if (e instanceof UsageError) ctx.err("  (market-ledger --help shows the usage.)");
      return 2;
    }
    const code = (e as NodeJS.ErrnoException | null)?.code;
    if (typeof code === "string" && /^E[A-Z]+$/.test(code)) {
      ctx.err(`✖ ${(e as Error).message}`);
      return 2;
    }
    ctx.err(`✖ Unexpected error: ${reason(e)}`);
    if (process.env.LEDGER_DEBUG && e instanceof Error) ctx.err(e.stack ?? "");
    else ctx.err("  (set LEDGER_DEBUG=1 for details)");
    return 2;
  }
}

/** The process entry point: bin/market-ledger.mjs calls it; so does `tsx sdk/ledger-cli.ts`. */
export async function cli(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2));
}

const invokedDirectly = (() => {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();
if (invokedDirectly) await cli();
