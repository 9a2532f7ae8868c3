/**
 * The Paillier peer: secure aggregation of the same per-group sums and counts as FATE-style
 * systems do it. Each holder (a child process, bench/queries/paillier-node.ts) computes its
 * vector with the same connector and encrypts every value under the buyer's 2048-bit
 * Paillier key; the aggregator multiplies the ciphertexts slot by slot (= adds the
 * plaintexts); the buyer decrypts every slot. One value per ciphertext, no packing.
 *
 * Not included, in the peer's favour: signatures, count masks, k-anonymity masking, the
 * marketplace's job database, HTTP. Included: the same local aggregation, the encryption,
 * the transfer to the aggregator (IPC, hex), the homomorphic sum and the decryption.
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { generateRandomKeys, type PrivateKey, type PublicKey } from "paillier-bigint";
import type { AggregatePlan } from "@/core/protocol";
import { onCleanup } from "../lib/cleanup";
import { median, now } from "../lib/report";
import type { Grouping, Truth } from "./data";
import { CheckFailed, stopProcess } from "./encrypted";
import type { PaillierReply, PaillierRequest, PaillierResult } from "./paillier-node";

export const PAILLIER_BITS = 2048;

export interface PaillierRun {
  /** wall time of the run as measured (ms) */
  wall: number;
  /** the slowest node's local aggregation and encryption (ms) */
  aggregate: number;
  encrypt: number;
  add: number;
  decrypt: number;
  /** values per node (2 × groups) and how many of them were encrypted */
  values: number;
  encrypted: number;
  /** bytes per ciphertext as sent (hex) */
  ciphertextChars: number;
}

export interface PaillierPeer {
  publicKey: PublicKey;
  privateKey: PrivateKey;
  /** single-process costs of one operation (ms), measured at start-up */
  perOp: { encrypt: number; add: number; decrypt: number };
  run(files: string[], plan: AggregatePlan, grouping: Grouping, truth: Truth, limit?: number): Promise<PaillierRun>;
  pids(): number[];
}

export async function startPaillierPeer(nodes: number): Promise<PaillierPeer> {
  const { publicKey, privateKey } = await generateRandomKeys(PAILLIER_BITS);
  const script = path.join("bench", "queries", "paillier-node.ts");
  const children: ChildProcess[] = [];
  let nextId = 1;
  const waiting = new Map<number, (r: PaillierReply) => void>();
  await Promise.all(Array.from({ length: nodes }, () => new Promise<void>((resolve, reject) => {
    const child = fork(script, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    children.push(child);
    onCleanup("stop a Paillier node", () => stopProcess(child));
    child.once("exit", (code) => reject(new Error(`a Paillier node exited (${code}) before it was ready`)));
    child.on("message", (m: PaillierReply | { ready: true }) => {
      if ("ready" in m) { child.removeAllListeners("exit"); resolve(); return; }
      waiting.get(m.id)?.(m);
      waiting.delete(m.id);
    });
  })));

  const ask = (child: ChildProcess, req: Omit<PaillierRequest, "id">) => new Promise<PaillierResult>((resolve, reject) => {
    const id = nextId++;
    waiting.set(id, (r) => ("error" in r ? reject(new Error(`Paillier node: ${r.error}`)) : resolve(r)));
    child.send({ ...req, id });
  });

  // Per-operation costs, single process, uncontended (after a few warm-up operations).
  const sample = Array.from({ length: 40 }, (_, i) => BigInt(i) * 123_456_789n);
  sample.slice(0, 4).forEach((m) => privateKey.decrypt(publicKey.encrypt(m)));
  let t = now();
  const cs = sample.map((m) => publicKey.encrypt(m));
  const encrypt = (now() - t) / sample.length;
  t = now();
  let acc = cs[0]!;
  for (let r = 0; r < 50; r++) for (const c of cs) acc = publicKey.addition(acc, c);
  const add = (now() - t) / (50 * cs.length);
  t = now();
  cs.forEach((c) => privateKey.decrypt(c));
  const decrypt = (now() - t) / cs.length;

  async function run(files: string[], plan: AggregatePlan, grouping: Grouping, truth: Truth, limit = Number.MAX_SAFE_INTEGER): Promise<PaillierRun> {
    const n = publicKey.n.toString(16), g = publicKey.g.toString(16);
    const t0 = now();
    const replies = await Promise.all(files.map((file, i) => ask(children[i]!, { n, g, file, plan, limit })));
    const t1 = now();
    const k = replies[0]!.ciphertexts.length;
    const sums: bigint[] = [];
    for (let j = 0; j < k; j++) sums.push(publicKey.addition(...replies.map((r) => BigInt(`0x${r.ciphertexts[j]!}`))));
    const t2 = now();
    const plain = sums.map((c) => privateKey.decrypt(c));
    const t3 = now();
    // Slot j: counts[j] for j < G, then sums[j − G] (cents), as computeVector lays them out.
    const G = truth.counts[grouping].length;
    plain.forEach((v, j) => {
      const expected = j < G ? truth.counts[grouping][j]! : truth.sums[grouping][j - G]!;
      if (v !== BigInt(expected)) throw new CheckFailed(`Paillier ${grouping}: slot ${j} decrypted as ${v}, plaintext ${expected}`);
    });
    return {
      wall: t3 - t0, aggregate: Math.max(...replies.map((r) => r.aggregateMs)), encrypt: Math.max(...replies.map((r) => r.encryptMs)),
      add: t2 - t1, decrypt: t3 - t2, values: replies[0]!.values, encrypted: k,
      ciphertextChars: median(replies.flatMap((r) => r.ciphertexts.map((c) => c.length))),
    };
  }

  return { publicKey, privateKey, perOp: { encrypt, add, decrypt }, run, pids: () => children.map((c) => c.pid!) };
}

/**
 * A full run's time computed from measured parts: the wall time of the same run without
 * any encryption (local aggregation, transfer: measured, `plainWall`) plus the crypto at
 * the single-process per-op costs, the nodes' encryptions spread perfectly over the cores.
 * Perfect spreading makes this a lower bound of the Paillier time (the check table shows
 * how far below a full measurement it falls), so a ratio against it is conservative.
 */
export function computePaillier(perOp: PaillierPeer["perOp"], o: { nodes: number; values: number; cores: number; plainWall: number }): number {
  const { nodes, values, cores, plainWall } = o;
  return plainWall + (nodes * values * perOp.encrypt) / Math.min(nodes, cores) + values * ((nodes - 1) * perOp.add + perOp.decrypt);
}
