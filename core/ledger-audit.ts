/**
 * Auditing and witnessing the marketplace's ledger, for anyone: the verifier CLI, the
 * computation nodes, the browser. Pure code (no Node APIs), built on ./ledger.
 *
 * - `auditLedger` replays every leaf, recomputes the tree, and checks that every signed
 *   checkpoint is signed by the ledger's key and matches the tree at its size. If they all
 *   match one sequence of leaves, the checkpoints are consistent with each other.
 * - `Witness` keeps the last checkpoint it saw and accepts a newer one only with a valid
 *   consistency proof: a rewritten history cannot get past it.
 */
import { fromHex, hex, leafHash, LedgerProofError, nodeHash, verifyCheckpoint, verifyConsistency, emptyRoot, type Hash, type SignedCheckpoint,  } from "./ledger";
import { canonicalJson } from "./canonical-json";

const utf8 = new TextEncoder();

/** The root of a growing tree, one leaf at a time: a stack of complete subtrees, largest first. */
export class RunningRoot {
  private stack: { level: number; hash: Hash }[] = [];
  size = 0;
  push(leaf: Hash) {
    let node = { level: 0, hash: leaf };
    while (this.stack.length && this.stack[this.stack.length - 1]!.level === node.level) {
      const left = this.stack.pop()!;
      node = { level: node.level + 1, hash: nodeHash(left.hash, node.hash) };
    }
    this.stack.push(node);
    this.size++;
  }
  root(): Hash {
    if (!this.stack.length) return emptyRoot();
    let h = this.stack[this.stack.length - 1]!.hash;
    for (let k = this.stack.length - 2; k >= 0; k--) h = nodeHash(this.stack[k]!.hash, h);
    return h;
  }
}

/** What a leaf must look like: canonical JSON of { v: 1, id, type, at, actor, … }. */
export function checkLeafBody(body: string): string | null {
  let parsed: unknown;
  try { parsed = JSON.parse(body); } catch { return "is not JSON"; }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return "is not a JSON object";
  const e = parsed as Record<string, unknown>;
  if (e.v !== 1 || typeof e.id !== "string" || typeof e.type !== "string" || typeof e.at !== "string" || typeof e.actor !== "string") return "lacks v/id/type/at/actor";
  if (canonicalJson(parsed) !== body) return "is not in canonical form";
  return null;
}

export type AuditVerdict = {
  ok: boolean;
  leaves: number;
  checkpointsChecked: number;
  root: string;
  problems: string[];
};

/**
 * Replays `leaves` (in index order) and checks every checkpoint against the recomputed tree.
 * Stops collecting after 20 problems.
 */
export async function auditLedger(o: {
  leaves: AsyncIterable<{ index: number; body: string }> | Iterable<{ index: number; body: string }>;
  checkpoints: SignedCheckpoint[];
  publicKey: string;
  origin?: string;
}): Promise<AuditVerdict> {
  const problems: string[] = [];
  const note = (p: string) => { if (problems.length < 20) problems.push(p); };
  const pending = [...o.checkpoints].sort((a, b) => a.size - b.size);
  for (const cp of pending) {
    if (!verifyCheckpoint(cp, o.publicKey)) note(`Checkpoint of size ${cp.size} (${new Date(cp.timestamp).toISOString()}) is not signed by the ledger key.`);
    if (o.origin && cp.origin !== o.origin) note(`Checkpoint of size ${cp.size} names another ledger: ${cp.origin}.`);
  }
  const tree = new RunningRoot();
  const ids = new Set<string>();
  let checked = 0;
  const checkAt = () => {
    while (pending.length && pending[0]!.size === tree.size) {
      const cp = pending.shift()!;
      const root = hex(tree.root());
      if (root !== cp.root) note(`The leaves do not produce the signed root at size ${cp.size}: a leaf was changed, removed, reordered or inserted at or before index ${cp.size - 1}.`);
      checked++;
    }
  };
  checkAt();
  for await (const leaf of o.leaves) {
    if (leaf.index !== tree.size) { note(`Leaf ${leaf.index} found where leaf ${tree.size} should be: a leaf is missing or out of order.`); tree.size = leaf.index; }
    const bad = checkLeafBody(leaf.body);
    if (bad) note(`Leaf ${leaf.index} ${bad}.`);
    else {
      const id = (JSON.parse(leaf.body) as { id: string }).id;
      if (ids.has(id)) note(`Leaf ${leaf.index} repeats entry ${id}.`);
      ids.add(id);
    }
    tree.push(leafHash(utf8.encode(leaf.body)));
    checkAt();
  }
  for (const cp of pending) note(`Checkpoint of size ${cp.size} is beyond the ${tree.size} leaves available: leaves were removed.`);
  return { ok: problems.length === 0, leaves: tree.size, checkpointsChecked: checked, root: hex(tree.root()), problems };
}

export class WitnessAlarm extends Error {
  constructor(message: string) { super(message); this.name = "WitnessAlarm"; }
}

/**
 * A witness: holds the last checkpoint it accepted. `observe` accepts a newer checkpoint with
 * a consistency proof from the held one, and throws WitnessAlarm when the ledger's history
 * was rewritten (a different root at the same size, a failing proof, a bad signature).
 * A checkpoint older than the held one cannot be checked without a proof: `observe` returns
 * "behind" and keeps what it holds (ask for a fresh one).
 */
export class Witness {
  constructor(private readonly publicKey: string, private readonly origin: string, public last: SignedCheckpoint | null) {}

  observe(cp: SignedCheckpoint, proof: { fromSize: number; hashes: string[] }): "accepted" | "same" | "behind" | { fromMismatch: number } {
    if (!verifyCheckpoint(cp, this.publicKey)) throw new WitnessAlarm(`A checkpoint of size ${cp.size} is not signed by the ledger key.`);
    return this.advance(cp, proof);
  }

  /**
   * The consistency step of `observe`, for a tree head whose signature the caller has
   * already checked in another format (a C2SP signed note, core/note.ts).
   */
  advance(cp: SignedCheckpoint, proof: { fromSize: number; hashes: string[] }): "accepted" | "same" | "behind" | { fromMismatch: number } {
    if (cp.origin !== this.origin) throw new WitnessAlarm(`A checkpoint names another ledger (${cp.origin}, expected ${this.origin}).`);
    const last = this.last;
    if (!last) { this.last = cp; return "accepted"; }
    if (cp.size === last.size) {
      if (cp.root !== last.root) throw new WitnessAlarm(`Two different roots for ${cp.size} leaves: ${last.root} and ${cp.root}. The ledger shows different histories.`);
      if (cp.timestamp > last.timestamp) this.last = cp;
      return "same";
    }
    if (cp.size < last.size) return "behind";
    if (proof.fromSize !== last.size) return { fromMismatch: last.size };
    try {
      verifyConsistency(last.size, cp.size, fromHex(last.root, 32), fromHex(cp.root, 32), proof.hashes.map((h) => fromHex(h, 32)));
    } catch (e) {
      if (e instanceof LedgerProofError) throw new WitnessAlarm(`The ledger at ${cp.size} leaves is not an extension of the ${last.size} leaves seen before (${e.message}): its history was rewritten.`);
      throw e;
    }
    this.last = cp;
    return "accepted";
  }
}

