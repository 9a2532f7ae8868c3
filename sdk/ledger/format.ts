/**
 * The export file written by `market-ledger export` and read by `verify --file`.
 *
 * quancheng-ledger-export/2 is NDJSON: one JSON value per line, so a reader takes a line,
 * JSON.parse-s it and checks it with zod, and an export of any size is read in constant memory
 * with node:readline (no hand-written tokenizer):
 *
 *   {"format":"quancheng-ledger-export/2","origin":"…","publicKey":"…","exportedFrom":"…","exportedAt":"…","checkpointCount":3}
 *   {"origin":"…","size":1,"root":"…","timestamp":…,"signature":"…"}      checkpointCount lines, oldest first
 *   {"index":0,"body":"…"}                                                 one line per leaf, in index order
 *   {"end":true,"leafCount":1238}                                          the last line
 *
 * The checkpoints come before the leaves because the audit needs all of them before the first
 * leaf (it checks each signed root when the running tree reaches its size): this way one pass
 * over the file suffices. The end line makes a file cut at a line boundary detectable.
 *
 * quancheng-ledger-export/1 files (one JSON document {format, origin, publicKey, checkpoints,
 * leaves: [...]}) are still read, but whole, up to MAX_V1_BYTES: old exports are evidence
 * someone may have kept, and a JSON.parse of a few hundred MiB is fine where a streaming JSON
 * parser would be a dependency (or the tokenizer this format replaced) for a format no longer
 * written. Above the limit the error says to export again.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { readFile, rename, stat, unlink } from "node:fs/promises";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { z } from "zod";
import type { SignedCheckpoint } from "@/core/ledger";
import { CliError, issues, leaf, PAGE, reason, safeSize, signedCheckpoint, type Leaf } from "./api";
import { temporaryName } from "./common";

export const EXPORT_FORMAT = "quancheng-ledger-export/2";
export const EXPORT_FORMAT_V1 = "quancheng-ledger-export/1";
/** The largest v1 export read (whole, into memory). */
export const MAX_V1_BYTES = 256 * 2 ** 20;
/**
 * The longest line read. Leaves are small events (ids and hashes) and checkpoints a few
 * hundred bytes; the limit only stops a damaged or hostile file from growing one line
 * without end in memory, which readline would otherwise do.
 */
const MAX_LINE_CHARS = 64 * 2 ** 20;

const header = z.object({
  format: z.literal(EXPORT_FORMAT, { error: `format must be "${EXPORT_FORMAT}"` }),
  origin: z.string(),
  publicKey: z.string(),
  checkpointCount: safeSize,
  exportedFrom: z.string().optional(),
  exportedAt: z.string().optional(),
});
const endLine = z.object({ end: z.literal(true), leafCount: safeSize });
const exportV1 = z.object({
  format: z.literal(EXPORT_FORMAT_V1, { error: `format must be "${EXPORT_FORMAT_V1}"` }),
  origin: z.string(),
  publicKey: z.string(),
  checkpoints: z.array(signedCheckpoint),
  leaves: z.array(z.unknown(), { error: "leaves must be an array" }),
});

/** What an export says about where it came from. */
export type ExportHead = { origin: string; publicKey: string; exportedFrom: string; exportedAt: string };

const strip = ({ origin, size, root, timestamp, signature }: SignedCheckpoint): SignedCheckpoint => ({ origin, size, root, timestamp, signature });

/**
 * Writes an export to `out`: to a temporary file next to it first, renamed over `out` only when
 * complete, so a failed export never leaves a partial file that looks like one.
 * Returns the number of leaves written. Errors of `pages` (CliError) pass through.
 */
export async function writeExport(out: string, head: ExportHead, checkpoints: SignedCheckpoint[], pages: AsyncIterable<Leaf[]>): Promise<number> {
  const tmp = temporaryName(out);
  const stream = createWriteStream(tmp, { flags: "wx", encoding: "utf8" });
  let failure: Error | null = null;
  stream.on("error", (e) => { failure ??= e; });
  const write = async (text: string) => {
    if (failure) throw failure;
    if (!stream.write(text)) await once(stream, "drain");
  };
  const lines = (values: unknown[]) => values.map((v) => `${JSON.stringify(v)}\n`).join("");
  let count = 0;
  try {
    await write(lines([{ format: EXPORT_FORMAT, origin: head.origin, publicKey: head.publicKey, exportedFrom: head.exportedFrom, exportedAt: head.exportedAt, checkpointCount: checkpoints.length }]));
    for (let k = 0; k < checkpoints.length; k += PAGE) await write(lines(checkpoints.slice(k, k + PAGE).map(strip)));
    for await (const rows of pages) {
      await write(lines(rows.map((r) => ({ index: r.index, body: r.body }))));
      count += rows.length;
    }
    await write(lines([{ end: true, leafCount: count }]));
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
  return count;
}

/** An export being read: its header and checkpoints, then its leaves as they are read. */
export type ExportReader = {
  format: typeof EXPORT_FORMAT | typeof EXPORT_FORMAT_V1;
  origin: string;
  publicKey: string;
  checkpoints: SignedCheckpoint[];
  /** The leaves in file order, each checked for shape; iterate once. Throws CliError on a damaged file. */
  leaves: () => AsyncGenerator<Leaf>;
  /** Lets go of the file (also done when the leaves are read to the end or fail). */
  close: () => void;
};

class LineTooLong extends CliError {}

/** Passes text through, failing once a line grows past `max` characters. */
async function* limitLines(chunks: AsyncIterable<string>, max: number, path: string): AsyncGenerator<string> {
  let run = 0; // characters since the last newline
  for await (const chunk of chunks) {
    // Lines wholly inside a chunk are shorter than the chunk (1 MiB): only a line that spans chunks can be long.
    const first = chunk.indexOf("\n");
    if (run + (first < 0 ? chunk.length : first) > max) throw new LineTooLong(`${path} has a line longer than ${max / 2 ** 20} MiB: it is not a ledger export (${EXPORT_FORMAT}), or it is damaged.`);
    run = first < 0 ? run + chunk.length : chunk.length - chunk.lastIndexOf("\n") - 1;
    yield chunk;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Opens an export for reading: reads the header and the checkpoints now, the leaves when
 * asked. A file whose first line is not a v2 header but starts with '{' is taken for a v1
 * export and read whole (see the top of this file).
 */
export async function openExport(path: string): Promise<ExportReader> {
  const file = createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 20 });
  const source = Readable.from(limitLines(file as AsyncIterable<string>, MAX_LINE_CHARS, path));
  const rl = createInterface({ input: source, crlfDelay: Infinity });
  const lines = rl[Symbol.asyncIterator]();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    rl.close();
    source.destroy();
    file.destroy();
  };

  let lineNo = 0;
  /** The next line that is not blank, or null at the end of the file. */
  const nextLine = async (): Promise<string | null> => {
    for (;;) {
      const r = await lines.next();
      if (r.done) return null;
      lineNo++;
      const text = lineNo === 1 ? r.value.replace(/^\uFEFF/, "") : r.value;
      if (text.trim() !== "") return text;
    }
  };
  const parseLine = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      throw new CliError(`${path}, line ${lineNo} is not valid JSON: the file is damaged or was cut short.`);
    }
  };

  try {
    let first: string | null;
    try {
      first = await nextLine();
    } catch (e) {
      // No header is that long, but a v1 export written on one line can be.
      if (!(e instanceof LineTooLong)) throw e;
      close();
      return await openV1(path, MAX_V1_BYTES);
    }
    if (first === null) throw new CliError(`${path} is empty.`);
    let value: unknown;
    try { value = JSON.parse(first); } catch { value = undefined; }
    if (!isObject(value) || Object.hasOwn(value, "leaves")) {
      close();
      // A v1 export: pretty-printed (its first line is "{" or a part of the object) or on one line.
      if (first.trimStart().startsWith("{")) return await openV1(path, MAX_V1_BYTES);
      throw new CliError(`${path} is not a ledger export: an export starts with a header line {"format":"${EXPORT_FORMAT}",…}.`);
    }
    const h = header.safeParse(value);
    if (!h.success) throw new CliError(`${path} is not a ledger export (${EXPORT_FORMAT}): ${issues(h.error)}`);
    const n = h.data.checkpointCount;
    const checkpoints: SignedCheckpoint[] = [];
    for (let k = 0; k < n; k++) {
      const text = await nextLine();
      if (text === null) throw new CliError(`${path} ends after ${k} of the ${n} checkpoints its header announces: it was cut short.`);
      const cp = signedCheckpoint.safeParse(parseLine(text));
      if (!cp.success) throw new CliError(`${path}, line ${lineNo}: checkpoint ${k + 1} of ${n} is malformed: ${issues(cp.error)}`);
      checkpoints.push(cp.data);
    }

    const leaves = async function* (): AsyncGenerator<Leaf> {
      try {
        for (let count = 0; ;) {
          const text = await nextLine();
          if (text === null) throw new CliError(`${path} ends after ${count} leaves without its end line: it was cut short.`);
          const value = parseLine(text);
          if (isObject(value) && Object.hasOwn(value, "end")) {
            const e = endLine.safeParse(value);
            if (!e.success) throw new CliError(`${path}, line ${lineNo}: the end line is malformed: ${issues(e.error)}`);
            if (e.data.leafCount !== count) throw new CliError(`${path}: the end line counts ${e.data.leafCount} leaves, but ${count} come before it.`);
            if ((await nextLine()) !== null) throw new CliError(`${path}, line ${lineNo}: there is text after the end line.`);
            return;
          }
          const r = leaf.safeParse(value);
          if (!r.success) throw new CliError(`${path}: leaf #${count} is malformed: ${issues(r.error)}`);
          count++;
          yield r.data;
        }
      } finally {
        close();
      }
    };
    return { format: EXPORT_FORMAT, origin: h.data.origin, publicKey: h.data.publicKey, checkpoints, leaves, close };
  } catch (e) {
    close();
    throw e;
  }
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 0)} MiB`;

/** A v1 export, read whole (it is one JSON document). */
async function openV1(path: string, maxBytes: number): Promise<ExportReader> {
  const { size } = await stat(path);
  if (size > maxBytes) {
    throw new CliError(`${path} is not a ${EXPORT_FORMAT} export (its first line is not a header), and at ${mib(size)} it is too large to be read whole as an old ${EXPORT_FORMAT_V1} export (at most ${mib(maxBytes)}). `
      + `Export the ledger again: market-ledger export writes ${EXPORT_FORMAT}, which is read line by line at any size.`);
  }
  let json: unknown;
  try {
    json = JSON.parse((await readFile(path, "utf8")).replace(/^\uFEFF/, ""));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code) throw e;
    throw new CliError(`${path} is not a ledger export: its first line is not a ${EXPORT_FORMAT} header, and it is not valid JSON as a whole as an old ${EXPORT_FORMAT_V1} export is (${(e as Error).message}).`);
  }
  const r = exportV1.safeParse(json);
  if (!r.success) throw new CliError(`${path} is not a ledger export (${EXPORT_FORMAT}, or ${EXPORT_FORMAT_V1} read whole): ${issues(r.error)}`);
  const { origin, publicKey, checkpoints, leaves: items } = r.data;
  const leaves = async function* (): AsyncGenerator<Leaf> {
    for (let k = 0; k < items.length; k++) {
      const l = leaf.safeParse(items[k]);
      if (!l.success) throw new CliError(`${path}: leaf #${k} is malformed: ${issues(l.error)}`);
      yield l.data;
    }
  };
  return { format: EXPORT_FORMAT_V1, origin, publicKey, checkpoints, leaves, close: () => {} };
}
