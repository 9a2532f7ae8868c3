/**
 * The ledger's checkpoints in the formats the transparency-log ecosystem reads, so that
 * existing witnesses and monitors can check and cosign them:
 *
 *   - C2SP signed-note (https://c2sp.org/signed-note): a UTF-8 text body, a blank line,
 *     then signature lines "— <key name> base64(4-byte key ID || signature)";
 *     Ed25519 key ID = SHA-256(name || "\n" || 0x01 || public key)[:4];
 *   - C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the body is the origin line,
 *     the tree size in decimal and the root hash in standard base64, each ending in "\n";
 *   - C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature), Ed25519 (type 0x04):
 *     key ID = SHA-256(name || "\n" || 0x04 || public key)[:4], the signature is
 *     u64 timestamp (big-endian, seconds) || Ed25519 signature over
 *     "cosignature/v1\ntime <t>\n" || the whole checkpoint body.
 *
 * The ledger keeps signing its own JSON checkpoints too (core/ledger.ts): both describe the
 * same tree head, and old checkpoints stay verifiable.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { fromBase64, fromHex, hex, toBase64 } from "./ledger";

const utf8 = new TextEncoder();
const ED25519 = 0x01;
const COSIGNATURE_V1 = 0x04;
const MAX_SIGNATURES = 100;

export class NoteError extends Error {
  constructor(message: string) { super(message); this.name = "NoteError"; }
}

/** A key name: non-empty, no spaces, no "+", printable (signed-note). */
function assertName(name: string) {
  if (!/^[\x21-\x2a\x2c-\x7e\u00a1-\uffff]+$/u.test(name)) throw new NoteError(`"${name}" is not a valid note key name.`);
}

function keyId(name: string, type: number, publicKey: Uint8Array): Uint8Array {
  assertName(name);
  if (publicKey.length !== 32) throw new NoteError("An Ed25519 public key is 32 bytes.");
  return sha256(new Uint8Array([...utf8.encode(name), 0x0a, type, ...publicKey])).slice(0, 4);
}

/** The signed-note verifier key ("vkey") of an Ed25519 note signer: name+hex(key ID)+base64(0x01 || key). */
export function verifierKey(name: string, publicKey: Uint8Array): string {
  return `${name}+${hex(keyId(name, ED25519, publicKey))}+${toBase64(new Uint8Array([ED25519, ...publicKey]))}`;
}

/** The vkey of an Ed25519 cosigner (type 0x04). */
export function cosignerKey(name: string, publicKey: Uint8Array): string {
  return `${name}+${hex(keyId(name, COSIGNATURE_V1, publicKey))}+${toBase64(new Uint8Array([COSIGNATURE_V1, ...publicKey]))}`;
}

export type NoteCheckpoint = { origin: string; size: number; root: string /* hex */ };

/** The tlog-checkpoint body: origin, size, base64 root, each line ending in "\n". */
export function checkpointBody(cp: NoteCheckpoint): string {
  if (!cp.origin || /[\n\u2014]/.test(cp.origin)) throw new NoteError("An origin is one non-empty line.");
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) throw new NoteError("A tree size is a whole number.");
  return `${cp.origin}\n${cp.size}\n${toBase64(fromHex(cp.root, 32))}\n`;
}

/** Parse a checkpoint body (extension lines are allowed and returned). */
export function parseCheckpointBody(body: string): NoteCheckpoint & { extensions: string[] } {
  const lines = body.split("\n");
  if (lines.pop() !== "" || lines.length < 3) throw new NoteError("A checkpoint body is at least three lines, each ending in a newline.");
  const [origin, size, root, ...extensions] = lines as [string, string, string, ...string[]];
  if (!origin) throw new NoteError("The checkpoint's origin line is empty.");
  if (!/^(0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(Number(size))) throw new NoteError(`"${size}" is not a tree size (decimal, no leading zeroes).`);
  let rootBytes: Uint8Array;
  try { rootBytes = fromBase64(root); } catch { throw new NoteError("The root hash is not standard base64."); }
  if (rootBytes.length !== 32) throw new NoteError("The root hash is not 32 bytes.");
  if (extensions.some((l) => l === "")) throw new NoteError("A checkpoint body has no empty lines.");
  return { origin, size: Number(size), root: hex(rootBytes), extensions };
}

export type NoteSignature = { name: string; keyId: string /* hex */; bytes: Uint8Array /* after the key ID */ };
export type Note = { body: string; signatures: NoteSignature[] };

/** Split a signed note into its body and signature lines (no signature is checked here). */
export function parseNote(text: string): Note {
  if (text.length > 1_000_000) throw new NoteError("A note is at most 1 MB.");
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x0a) || c === 0x7f) throw new NoteError("A note holds no control characters other than newline.");
  }
  const split = text.lastIndexOf("\n\n");
  if (split < 0 || !text.endsWith("\n")) throw new NoteError("A signed note is a body, a blank line and signature lines, each ending in a newline.");
  const body = text.slice(0, split + 1);
  const lines = text.slice(split + 2, -1).split("\n");
  if (lines.length > MAX_SIGNATURES) throw new NoteError(`A note carries at most ${MAX_SIGNATURES} signatures.`);
  const signatures = lines.map((line) => {
    const m = /^\u2014 (\S+) (\S+)$/u.exec(line);
    if (!m) throw new NoteError(`"${line.slice(0, 80)}" is not a note signature line ("— <name> <base64>").`);
    let raw: Uint8Array;
    try { raw = fromBase64(m[2]!); } catch { throw new NoteError(`The signature of ${m[1]} is not standard base64.`); }
    if (raw.length < 5) throw new NoteError(`The signature of ${m[1]} is too short.`);
    return { name: m[1]!, keyId: hex(raw.slice(0, 4)), bytes: raw.slice(4) };
  });
  return { body, signatures };
}

const signatureLine = (name: string, id: Uint8Array, sig: Uint8Array) => `\u2014 ${name} ${toBase64(new Uint8Array([...id, ...sig]))}\n`;

/** Sign a note body with an Ed25519 key (`sign` returns the 64-byte signature of its message). */
export function signNote(body: string, name: string, publicKey: Uint8Array, sign: (message: Uint8Array) => Uint8Array): string {
  return `${body}\n${signatureLine(name, keyId(name, ED25519, publicKey), sign(utf8.encode(body)))}`;
}

/** Whether `note` carries a valid Ed25519 note signature by (name, publicKey). Other signatures are ignored. */
export function verifyNoteSignature(note: Note, name: string, publicKey: Uint8Array): boolean {
  const id = hex(keyId(name, ED25519, publicKey));
  const message = utf8.encode(note.body);
  return note.signatures.some((s) => s.name === name && s.keyId === id && s.bytes.length === 64 &&
    ed25519.verify(s.bytes, message, publicKey, { zip215: false }));
}

function cosignedMessage(body: string, time: number): Uint8Array {
  return utf8.encode(`cosignature/v1\ntime ${time}\n${body}`);
}

/** A cosignature line (tlog-cosignature v1, Ed25519) on a checkpoint body, at `time` (POSIX seconds). */
export function cosign(body: string, name: string, publicKey: Uint8Array, time: number, sign: (message: Uint8Array) => Uint8Array): string {
  if (!Number.isSafeInteger(time) || time < 0) throw new NoteError("A cosignature time is whole seconds since the epoch.");
  const t = new Uint8Array(8);
  new DataView(t.buffer).setBigUint64(0, BigInt(time));
  return signatureLine(name, keyId(name, COSIGNATURE_V1, publicKey), new Uint8Array([...t, ...sign(cosignedMessage(body, time))]));
}

/** The time of a valid cosignature by (name, publicKey) on `note`'s body, or null. */
export function verifyCosignature(note: Note, name: string, publicKey: Uint8Array): number | null {
  const id = hex(keyId(name, COSIGNATURE_V1, publicKey));
  for (const s of note.signatures) {
    if (s.name !== name || s.keyId !== id || s.bytes.length !== 72) continue;
    const time = new DataView(s.bytes.buffer, s.bytes.byteOffset, 8).getBigUint64(0);
    if (time > BigInt(Number.MAX_SAFE_INTEGER)) continue;
    if (ed25519.verify(s.bytes.slice(8), cosignedMessage(note.body, Number(time)), publicKey, { zip215: false })) return Number(time);
  }
  return null;
}

/** The cosigner name of a computation node: derived from its Ed25519 key (base64), so the marketplace can compute it too. */
export function nodeCosignerName(nodeIdBase64: string): string {
  return `market-node/${hex(fromBase64(nodeIdBase64).slice(0, 8))}`;
}

/** The body of a C2SP tlog-witness add-checkpoint request. */
export function addCheckpointRequest(oldSize: number, proof: string[] /* hex */, note: string): string {
  if (proof.length > 63) throw new NoteError("At most 63 consistency proof lines.");
  return `old ${oldSize}\n${proof.map((h) => `${toBase64(fromHex(h, 32))}\n`).join("")}\n${note}`;
}

/** Parse an add-checkpoint request body. */
export function parseAddCheckpoint(text: string): { oldSize: number; proof: string[]; note: string } {
  const end = text.indexOf("\n\n");
  if (end < 0) throw new NoteError("An add-checkpoint request is an old size line, proof lines, a blank line and a checkpoint.");
  const [old, ...proofLines] = text.slice(0, end).split("\n");
  const m = /^old (0|[1-9][0-9]*)$/.exec(old ?? "");
  if (!m || !Number.isSafeInteger(Number(m[1]))) throw new NoteError(`"${old}" is not an old size line ("old <size>").`);
  if (proofLines.length > 63) throw new NoteError("At most 63 consistency proof lines.");
  const proof = proofLines.map((l) => {
    let b: Uint8Array;
    try { b = fromBase64(l); } catch { throw new NoteError("A consistency proof line is one base64 hash."); }
    if (b.length !== 32) throw new NoteError("A consistency proof hash is 32 bytes.");
    return hex(b);
  });
  return { oldSize: Number(m[1]), proof, note: text.slice(end + 2) };
}
