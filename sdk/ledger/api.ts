/**
 * The ledger CLI's plumbing: where a command prints and fetches (`Io`), the errors that end a
 * command with exit status 2, and a client of the plain HTTP API under /api/ledger that
 * validates every answer (see server/ledger/api.ts for what the server promises).
 */
import { z } from "zod";
import type { SignedCheckpoint } from "@/core/ledger";

/** Leaves and checkpoints per request: the API's maximum. */
export const PAGE = 1000;
const REQUEST_TIMEOUT_MS = 60_000;

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

export type Ctx = Required<Io>;

export function context(io: Io): Ctx {
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

export const issues = (e: z.ZodError) => e.issues.map((i) => `${i.path.length ? i.path.join(".") : "value"}: ${i.message}`).join("; ");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** An error's message with its cause's (fetch hides the useful part, e.g. ECONNREFUSED, in the cause). */
export const reason = (e: unknown) => {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error ? `${e.message} (${cause.message})` : e.message;
};

// Shapes of what the API returns (see server/ledger/api.ts).
export const safeSize = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const signedCheckpoint = z.object({
  origin: z.string(), size: safeSize, root: z.string(),
  timestamp: z.number().int().nonnegative().max(8.64e15), signature: z.string(),
});
const listedCheckpoint = signedCheckpoint.extend({ id: z.number().int().nonnegative() });
const keyAnswer = z.object({ origin: z.string(), algorithm: z.literal("Ed25519"), publicKey: z.string() });
const proofAnswer = z.object({ proof: z.array(z.string()) });
export const leaf = z.object({ index: safeSize, body: z.string() });
const entryAnswer = z.object({ index: safeSize, body: z.string(), leafHash: z.string(), checkpoint: signedCheckpoint, proof: z.array(z.string()) });
const apiErrorAnswer = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export type Leaf = z.infer<typeof leaf>;
export type Entry = z.infer<typeof entryAnswer>;
type Listed = z.infer<typeof listedCheckpoint>;
/** A checkpoint in the order the ledger issued it; `id` when the list of checkpoints gave one. */
export type Sequenced = SignedCheckpoint & { id?: number };

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

  /**
   * Leaves [0, size) page by page, oldest first; the next page is requested while the caller
   * works on this one (hashing or writing), which roughly halves the time on a remote ledger.
   */
  async *pages(size: number): AsyncGenerator<{ start: number; end: number; rows: Leaf[] }> {
    const page = (start: number) => {
      const p = this.leaves(start, Math.min(start + PAGE, size));
      p.catch(() => {}); // awaited below; this keeps a prefetched page's failure from counting as unhandled
      return p;
    };
    let next = size > 0 ? page(0) : null;
    for (let start = 0; start < size; start += PAGE) {
      const rows = await next!;
      next = start + PAGE < size ? page(start + PAGE) : null;
      yield { start, end: Math.min(start + PAGE, size), rows };
    }
  }
}
