/**
 * The node as a witness of the marketplace's ledger. It keeps the last checkpoint it
 * accepted (keysDir/witness.json) and, on every request, accepts the marketplace's current
 * checkpoint only with a consistency proof from it. If the ledger's history was rewritten,
 * the node raises an alarm: it prints it loudly, writes keysDir/WITNESS-ALARM.json, and
 * refuses to serve until a person has looked into it and removed that file.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { SignedCheckpoint } from "@/core/ledger";
import { Witness, WitnessAlarm } from "@/core/ledger-audit";
import type { LedgerHead } from "@/core/protocol";

export class WitnessRefusal extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly size?: number) { super(message); }
}

export class NodeWitness {
  private readonly file: string;
  private readonly alarmFile: string;
  private readonly witness: Witness;

  constructor(dir: string, publicKey: string, origin: string, private readonly name: string) {
    this.file = path.join(dir, "witness.json");
    this.alarmFile = path.join(dir, "WITNESS-ALARM.json");
    const last = existsSync(this.file) ? (JSON.parse(readFileSync(this.file, "utf8")) as SignedCheckpoint) : null;
    this.witness = new Witness(publicKey, origin, last);
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
      const record = { at: new Date().toISOString(), message: e.message, seen: this.witness.last, presented: head.checkpoint };
      writeFileSync(this.alarmFile, JSON.stringify(record, null, 2));
      console.error(`\n${"!".repeat(78)}\n!! [node ${this.name}] LEDGER INCONSISTENT: ${e.message}\n!! This node refuses to serve. Evidence: ${this.alarmFile}\n${"!".repeat(78)}\n`);
      throw new WitnessRefusal(503, "LEDGER_INCONSISTENT", e.message);
    }
    const last = this.witness.last!;
    if (outcome === "behind") throw new WitnessRefusal(409, "WITNESS_BEHIND", `This node has witnessed ${last.size} ledger entries; the checkpoint shows ${head.checkpoint.size}.`, last.size);
    if (typeof outcome === "object") throw new WitnessRefusal(409, "WITNESS_FROM", `Send a consistency proof from ${outcome.fromMismatch}, the size this node witnessed.`, outcome.fromMismatch);
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(last));
    renameSync(tmp, this.file);
    return last.size;
  }
}
