/**
 * The ledger's checkpoints as C2SP signed notes, and cosignatures from witnesses.
 *
 * Every checkpoint the ledger signs (log.ts, its own JSON format) is also served as a C2SP
 * tlog-checkpoint note signed with the same Ed25519 key under the key name LEDGER_ORIGIN.
 * After a checkpoint is signed, the marketplace asks each witness to cosign it over the
 * C2SP tlog-witness protocol (add-checkpoint with a consistency proof from the size that
 * witness last cosigned). Witnesses are every active computation node (each is already a
 * witness of the ledger, computation/node/witness.ts) and any party configured in
 * LEDGER_WITNESSES as "<vkey>=<submission URL prefix>" entries separated by spaces, e.g. an
 * existing transparency-log witness. Cosignatures are checked, then stored and served.
 */
import { sign } from "node:crypto";
import { fromBase64, type SignedCheckpoint } from "@/core/ledger";
import { addCheckpointRequest, checkpointBody, cosignerKey, nodeCosignerName, parseNote, signNote, verifierKey, verifyCosignature } from "@/core/note";
import type { PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";
import { ledgerSigningKey } from "../keys";
import { consistencyBetween, currentCheckpoint, LEDGER_ORIGIN } from "./log";

const notes = new Map<string, string>();

/** The checkpoint as a signed note (Ed25519 is deterministic: the same head always gives the same note). */
export function ledgerNote(cp: SignedCheckpoint): string {
  const key = `${cp.size}:${cp.root}`;
  let note = notes.get(key);
  if (!note) {
    const k = ledgerSigningKey();
    note = signNote(checkpointBody(cp), LEDGER_ORIGIN, fromBase64(k.publicKey), (m) => new Uint8Array(sign(null, m, k.privateKey)));
    if (notes.size > 256) notes.clear();
    notes.set(key, note);
  }
  return note;
}

/** The ledger's signed-note verifier key, for witnesses' and verifiers' configuration. */
export const ledgerVerifierKey = () => verifierKey(LEDGER_ORIGIN, fromBase64(ledgerSigningKey().publicKey));

export type WitnessConfig = { name: string; vkey: string; publicKey: Uint8Array; url: string; nodeId?: string };

/** Parse LEDGER_WITNESSES: "<name>+<keyid>+<base64(0x04 || key)>=<url>" entries separated by whitespace. */
export function configuredWitnesses(env = process.env.LEDGER_WITNESSES ?? ""): WitnessConfig[] {
  return env.split(/\s+/).filter(Boolean).map((entry) => {
    // The base64 key may itself contain "+", so split on the first two "+" only.
    const eq = entry.indexOf("=http");
    const m = /^([^+]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+={0,2})$/.exec(eq > 0 ? entry.slice(0, eq) : "");
    const [name, key] = m ? [m[1], m[3]] : [undefined, undefined];
    let raw: Uint8Array | null = null;
    try { raw = key ? fromBase64(key) : null; } catch { raw = null; }
    if (!name || !raw || raw.length !== 33 || raw[0] !== 0x04) {
      throw new AppError("CONFIG", "BAD_WITNESS_CONFIG", `LEDGER_WITNESSES: "${entry.slice(0, 80)}" is not "<name>+<keyid>+<base64 Ed25519 cosigner key>=<https URL>".`);
    }
    const publicKey = raw.slice(1);
    const vkey = cosignerKey(name, publicKey);
    if (vkey !== entry.slice(0, eq)) throw new AppError("CONFIG", "BAD_WITNESS_CONFIG", `LEDGER_WITNESSES: the key ID of ${name} does not match its key.`);
    return { name, vkey, publicKey, url: entry.slice(eq + 1).replace(/\/$/, "") };
  });
}

async function witnessesOf(db: PrismaClient): Promise<WitnessConfig[]> {
  const nodes = await db.computationNode.findMany({ where: { active: true }, select: { url: true, signingKey: true }, orderBy: { createdAt: "asc" } });
  const fromNodes = nodes.map((n) => {
    const name = nodeCosignerName(n.signingKey);
    const publicKey = fromBase64(n.signingKey);
    return { name, vkey: cosignerKey(name, publicKey), publicKey, url: `${n.url.replace(/\/$/, "")}/v1/witness`, nodeId: n.signingKey };
  });
  return [...fromNodes, ...configuredWitnesses()];
}

export type CosignOutcome = { witness: string; size: number; outcome: "cosigned" | "already" | "refused" | "unreachable"; detail?: string };

/**
 * Ask every witness to cosign the current checkpoint; store what verifies. Never throws for a
 * witness's failure (each outcome is returned); one slow witness costs at most `timeoutMs`.
 */
export async function collectCosignatures(db: PrismaClient, o: { timeoutMs?: number } = {}): Promise<CosignOutcome[]> {
  const cp = await currentCheckpoint(db);
  const note = ledgerNote(cp);
  const witnesses = await witnessesOf(db);
  return Promise.all(witnesses.map(async (w): Promise<CosignOutcome> => {
    const have = await db.ledgerCosignature.findUnique({ where: { witness_size: { witness: w.name, size: BigInt(cp.size) } }, select: { id: true } });
    if (have) return { witness: w.name, size: cp.size, outcome: "already" };
    const last = await db.ledgerCosignature.findFirst({ where: { witness: w.name, size: { lte: BigInt(cp.size) } }, orderBy: { size: "desc" }, select: { size: true } });
    let oldSize = Number(last?.size ?? 0n);
    for (let attempt = 0; attempt < 2; attempt++) {
      const proof = oldSize > 0 && oldSize < cp.size ? await consistencyBetween(db, oldSize, cp.size) : [];
      let res: Response;
      try {
        res = await fetch(`${w.url}/add-checkpoint`, {
          method: "POST", body: addCheckpointRequest(oldSize, proof, note), headers: { "content-type": "text/plain; charset=utf-8" },
          signal: AbortSignal.timeout(o.timeoutMs ?? 5000),
        });
      } catch (e) {
        return { witness: w.name, size: cp.size, outcome: "unreachable", detail: (e as Error).message };
      }
      const text = (await res.text()).slice(0, 10_000);
      if (res.status === 409 && res.headers.get("content-type")?.startsWith("text/x.tlog.size") && attempt === 0) {
        const held = Number(text.trim());
        if (Number.isSafeInteger(held) && held >= 0 && held <= cp.size && held !== oldSize) { oldSize = held; continue; }
      }
      if (res.status !== 200) return { witness: w.name, size: cp.size, outcome: "refused", detail: `${res.status} ${text.trim().slice(0, 300)}` };
      let time: number | null = null;
      let line = "";
      try {
        const cosigned = parseNote(note + text);
        time = verifyCosignature(cosigned, w.name, w.publicKey);
        line = text.split("\n").find((l) => l.startsWith(`\u2014 ${w.name} `)) ?? "";
      } catch { time = null; }
      if (time === null || !line) return { witness: w.name, size: cp.size, outcome: "refused", detail: "The answer holds no valid cosignature from this witness's key." };
      await db.ledgerCosignature.upsert({
        where: { witness_size: { witness: w.name, size: BigInt(cp.size) } },
        create: { witness: w.name, vkey: w.vkey, size: BigInt(cp.size), root: cp.root, line, signedAt: new Date(time * 1000) },
        update: {},
      });
      return { witness: w.name, size: cp.size, outcome: "cosigned" };
    }
    return { witness: w.name, size: cp.size, outcome: "refused", detail: "The witness disagreed twice about the size it holds." };
  }));
}

/** The current checkpoint as a note with the ledger's signature and every stored cosignature of it. */
export async function cosignedCheckpoint(db: PrismaClient): Promise<string> {
  const cp = await currentCheckpoint(db);
  const rows = await db.ledgerCosignature.findMany({ where: { size: BigInt(cp.size), root: cp.root }, orderBy: { witness: "asc" }, select: { line: true } });
  return ledgerNote(cp) + rows.map((r) => `${r.line}\n`).join("");
}

/** The witnesses, their keys and the latest tree head each cosigned. */
export async function listWitnesses(db: PrismaClient) {
  const witnesses = await witnessesOf(db);
  const latest = await Promise.all(witnesses.map((w) =>
    db.ledgerCosignature.findFirst({ where: { witness: w.name }, orderBy: { size: "desc" }, select: { size: true, root: true, signedAt: true } })));
  return {
    ledger: { origin: LEDGER_ORIGIN, vkey: ledgerVerifierKey() },
    witnesses: witnesses.map((w, i) => ({
      name: w.name, vkey: w.vkey, kind: w.nodeId ? ("node" as const) : ("configured" as const),
      cosigned: latest[i] ? { size: Number(latest[i]!.size), root: latest[i]!.root, at: latest[i]!.signedAt.toISOString() } : null,
    })),
  };
}
