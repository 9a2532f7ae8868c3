/**
 * The node as a witness of the marketplace's ledger. It keeps the last checkpoint it
 * accepted (keysDir/witness.json) and, on every request, accepts the marketplace's current
 * checkpoint only with a consistency proof from it. If the ledger's history was rewritten,
 * the node raises an alarm: it prints it loudly, writes keysDir/WITNESS-ALARM.json, and
 * refuses to serve until a person has looked into it and removed that file.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fromBase64, type SignedCheckpoint } from "@/core/ledger";
import { Witness, WitnessAlarm } from "@/core/ledger-audit";
import { NoteError, parseAddCheckpoint, parseCheckpointBody, parseNote, verifyNoteSignature } from "@/core/note";
import type { LedgerHead } from "@/core/protocol";

export class WitnessRefusal extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly size?: number) { super(message); }
}

export class NodeWitness {
  private readonly file: string;
  private readonly alarmFile: string;
  private readonly witness: Witness;

  constructor(dir: string, private readonly publicKey: string, private readonly origin: string, private readonly name: string) {
    this.file = path.join(dir, "witness.json");
    this.alarmFile = path.join(dir, "WITNESS-ALARM.json");
    const last = existsSync(this.file) ? (JSON.parse(readFileSync(this.file, "utf8")) as SignedCheckpoint) : null;
    this.witness = new Witness(publicKey, origin, last);
  }

  /**
   * C2SP tlog-witness `add-checkpoint`: the same record of the ledger as `check`, so a node
   * cosigns only tree heads consistent with every one it served under. Returns the HTTP
   * status and text body the protocol prescribes; `sign` makes the cosignature line.
   */
  addCheckpoint(text: string, cosignLine: (body: string) => string): { status: number; type: string; body: string } {
    const refuse = (status: number, body: string) => ({ status, type: "text/plain; charset=utf-8", body: `${body}\n` });
    const alarm = this.alarm;
    if (alarm) return refuse(503, `This witness found the ledger inconsistent (${alarm.at}) and cosigns nothing until that is resolved.`);
    let request: ReturnType<typeof parseAddCheckpoint>;
    let head: ReturnType<typeof parseCheckpointBody>;
    let note: ReturnType<typeof parseNote>;
    try {
      request = parseAddCheckpoint(text);
      note = parseNote(request.note);
      head = parseCheckpointBody(note.body);
    } catch (e) {
      if (e instanceof NoteError) return refuse(400, e.message);
      throw e;
    }
    if (head.origin !== this.origin) return refuse(404, `This witness follows ${this.origin}, not ${head.origin}.`);
    if (!verifyNoteSignature(note, this.origin, fromBase64(this.publicKey))) return refuse(403, "No signature on this checkpoint verifies against the ledger key this witness trusts.");
    if (request.oldSize > head.size) return refuse(400, `The old size ${request.oldSize} is beyond the checkpoint's ${head.size}.`);
    const held = this.witness.last?.size ?? 0;
    if (request.oldSize !== held) return { status: 409, type: "text/x.tlog.size", body: `${held}\n` };
    const cp: SignedCheckpoint = { origin: head.origin, size: head.size, root: head.root, timestamp: Date.now(), signature: "" };
    try {
      this.witness.advance(cp, { fromSize: request.oldSize, hashes: request.proof });
    } catch (e) {
      if (!(e instanceof WitnessAlarm)) throw e;
      // Another root at a size already cosigned, or a failing proof: evidence of a rewritten history.
      this.raise(e, cp);
      return refuse(request.oldSize === head.size ? 409 : 422, e.message);
    }
    this.persist();
    return { status: 200, type: "text/plain; charset=utf-8", body: cosignLine(note.body) };
  }

  private raise(e: WitnessAlarm, presented: SignedCheckpoint) {
    const record = { at: new Date().toISOString(), message: e.message, seen: this.witness.last, presented };
    writeFileSync(this.alarmFile, JSON.stringify(record, null, 2));
    console.error(`\n${"!".repeat(78)}\n!! [node ${this.name}] LEDGER INCONSISTENT: ${e.message}\n!! This node refuses to serve. Evidence: ${this.alarmFile}\n${"!".repeat(78)}\n`);
  }

  private persist() {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.witness.last));
    renameSync(tmp, this.file);
  }

  get last() { return this.witness.last; }
  get alarm(): { at: string; message: string } | null {
    return existsSync(this.alarmFile) ? (JSON.parse(readFileSync(this.alarmFile, "utf8")) as { at: string; message: string }) : null;
  }

  /** Check the request's ledger head; throws WitnessRefusal unless the node may serve. Returns the size now witnessed. */
  check(head: LedgerHead): number {
    const alarm = this.alarm;
    if (alarm) throw new WitnessRefusal(503, "LEDGER_ALARM", `This node found the marketplace's ledger inconsistent (${alarm.at}) and serves nothing until that is resolved: ${alarm.message}`);
    let outcome: ReturnType<Witness["observe"]>;
    try {
      outcome = this.witness.observe(head.checkpoint, { fromSize: head.fromSize, hashes: head.proof });
    } catch (e) {
      if (!(e instanceof WitnessAlarm)) throw e;
      this.raise(e, head.checkpoint);
      throw new WitnessRefusal(503, "LEDGER_INCONSISTENT", e.message);
    }
    const last = this.witness.last!;
    if (outcome === "behind") throw new WitnessRefusal(409, "WITNESS_BEHIND", `This node has witnessed ${last.size} ledger entries; the checkpoint shows ${head.checkpoint.size}.`, last.size);
    if (typeof outcome === "object") throw new WitnessRefusal(409, "WITNESS_FROM", `Send a consistency proof from ${outcome.fromMismatch}, the size this node witnessed.`, outcome.fromMismatch);
    this.persist();
    return last.size;
  }
}
