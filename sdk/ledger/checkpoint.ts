/**
 * `market-ledger checkpoint`: one checkpoint checked in either format the ledger signs, with
 * the witnesses' cosignatures.
 *
 *   --url   fetches the current checkpoint as a C2SP signed note (/api/ledger/tlog/checkpoint)
 *           and as JSON (/api/ledger/checkpoint); both must be signed by the ledger key and
 *           describe the same tree head (or the note a newer one, if the ledger grew between).
 *   --file  reads a saved checkpoint: a signed note (text) or the ledger's JSON checkpoint.
 *
 * Cosignatures are checked against the witnesses given with --witness <vkey> (repeatable),
 * else against those the ledger lists at /api/ledger/witnesses (self-asserted: pin them).
 * --quorum N fails unless at least N of them cosigned the tree head.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { fromBase64, verifyCheckpoint, type SignedCheckpoint } from "@/core/ledger";
import { NoteError, parseCheckpointBody, parseNote, verifyCosignature, verifyNoteSignature } from "@/core/note";
import { ApiError, context, LedgerApi, NetworkError, reason, UsageError, type Io } from "./api";
import { chooseKey, describeCp, existingFile, parseBaseUrl, parseKey } from "./common";

const witnessList = z.object({
  ledger: z.object({ origin: z.string(), vkey: z.string() }),
  witnesses: z.array(z.object({ name: z.string(), vkey: z.string() })),
});

/** A cosigner's vkey: name+keyid+base64(0x04 || Ed25519 key). The base64 may itself hold "+": split at the first two only. */
export function parseCosignerKey(vkey: string): { name: string; publicKey: Uint8Array } {
  const first = vkey.indexOf("+");
  const second = first < 0 ? -1 : vkey.indexOf("+", first + 1);
  const [name, id, key] = second < 0 ? [] : [vkey.slice(0, first), vkey.slice(first + 1, second), vkey.slice(second + 1)];
  let raw: Uint8Array | null = null;
  try { raw = key ? fromBase64(key) : null; } catch { raw = null; }
  if (!name || !id || !raw || raw.length !== 33 || raw[0] !== 0x04) {
    throw new UsageError(`--witness must be a C2SP cosigner key "<name>+<key id>+<base64 of 0x04 and the Ed25519 key>", as /api/ledger/witnesses lists them (got "${vkey.slice(0, 60)}").`);
  }
  return { name, publicKey: raw.slice(1) };
}

async function fetchText(ctx: ReturnType<typeof context>, url: URL): Promise<string> {
  let res: Response;
  try {
    res = await ctx.fetch(url, { headers: { accept: "text/plain" }, signal: AbortSignal.timeout(60_000) });
  } catch (e) {
    throw new NetworkError(`Cannot reach the ledger at ${url.origin}: ${reason(e)}`);
  }
  const text = await res.text();
  if (!res.ok) throw new ApiError(`GET ${url.pathname} failed with HTTP ${res.status}`, res.status);
  return text;
}

export async function checkCheckpoint(o: { url?: string; file?: string; key?: string; witnesses?: string[]; quorum?: number }, io: Io = {}): Promise<number> {
  const ctx = context(io);
  if ((o.url === undefined) === (o.file === undefined)) throw new UsageError("checkpoint takes --url <market url> or --file <checkpoint>, one of them.");
  const quorum = o.quorum ?? 0;
  let cosigners = (o.witnesses ?? []).map(parseCosignerKey);
  const problems: string[] = [];
  let key: string;
  let keyDetail: string;
  let noteText: string | null = null;
  let json: SignedCheckpoint | null = null;

  if (o.url !== undefined) {
    const api = new LedgerApi(parseBaseUrl(o.url), ctx);
    const keyInfo = await api.key();
    ({ key, detail: keyDetail } = chooseKey(ctx, o.key === undefined ? undefined : parseKey(o.key), keyInfo.publicKey, "ledger"));
    json = await api.checkpoint();
    noteText = await fetchText(ctx, api.url("tlog/checkpoint"));
    if (!cosigners.length) {
      const listed = await api.get("witnesses", {}, witnessList);
      cosigners = listed.witnesses.map((w) => parseCosignerKey(w.vkey));
      if (cosigners.length) ctx.err(`ℹ Checking the ${cosigners.length} witnesses the ledger lists itself. Pass --witness <vkey> with keys published elsewhere.`);
    }
  } else {
    if (o.key === undefined) throw new UsageError("checkpoint --file needs --key <base64>: the ledger's key from a source you trust.");
    key = parseKey(o.key);
    keyDetail = `key ${key} (given with --key)`;
    const text = await readFile(await existingFile(o.file, "--file"), "utf8");
    if (text.trimStart().startsWith("{")) {
      let parsed: unknown;
      try { parsed = JSON.parse(text); } catch { throw new UsageError(`${o.file} is neither a signed note nor JSON.`); }
      const r = z.object({ origin: z.string(), size: z.number().int().nonnegative(), root: z.string(), timestamp: z.number().int().nonnegative(), signature: z.string() }).safeParse(parsed);
      if (!r.success) throw new UsageError(`${o.file} is JSON but not a ledger checkpoint.`);
      json = r.data;
    } else {
      noteText = text;
    }
  }

  let head: { origin: string; size: number; root: string } | null = null;
  if (json) {
    if (!verifyCheckpoint(json, key)) problems.push(`The JSON checkpoint (${describeCp(json)}) is not signed by the ledger key.`);
    head = json;
  }
  let cosigned = 0;
  if (noteText !== null) {
    try {
      const note = parseNote(noteText);
      const body = parseCheckpointBody(note.body);
      if (!verifyNoteSignature(note, body.origin, fromBase64(key))) problems.push(`The signed note (size ${body.size}) carries no valid signature of ${body.origin} by the ledger key.`);
      if (json && (body.origin !== json.origin || body.size < json.size || (body.size === json.size && body.root !== json.root))) {
        problems.push(`The signed note (size ${body.size}, root ${body.root}) and the JSON checkpoint (size ${json.size}, root ${json.root}) disagree.`);
      }
      head = body;
      for (const c of cosigners) {
        const time = verifyCosignature(note, c.name, c.publicKey);
        if (time === null) ctx.out(`  · ${c.name}: no valid cosignature on this tree head`);
        else { cosigned++; ctx.out(`  ✔ ${c.name}: cosigned at ${new Date(time * 1000).toISOString()}`); }
      }
    } catch (e) {
      if (!(e instanceof NoteError)) throw e;
      problems.push(`The signed note is malformed: ${e.message}`);
    }
  }
  if (cosigned < quorum) problems.push(`${cosigned} of the required ${quorum} witnesses cosigned this tree head.`);

  if (problems.length === 0 && head) {
    ctx.out(`✔ Checkpoint verified: ${head.origin}, size ${head.size}, root ${head.root}${noteText !== null ? ` (C2SP signed note${json ? " and JSON" : ""})` : " (JSON)"}; ${cosigned} cosignature${cosigned === 1 ? "" : "s"}`);
    ctx.out(`  ${keyDetail}`);
    return 0;
  }
  ctx.out("✖ Checkpoint NOT verified:");
  for (const p of problems) ctx.out(`  - ${p}`);
  ctx.out(`  ${keyDetail}`);
  return 1;
}
