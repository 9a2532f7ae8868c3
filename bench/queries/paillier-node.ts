/**
 * One holder of the Paillier peer (a child process of the benchmark, like a FATE party):
 * it computes the same per-group vector as a BFV node (the same CSV connector and plan:
 * counts ++ sums), then Paillier-encrypts every value (2048-bit key, npm paillier-bigint)
 * and sends the ciphertexts back as hex, as it would put them on the wire.
 *
 * Messages (IPC): { id, n, g (hex), file, plan, limit } → { id, ciphertexts, values, aggregateMs, encryptMs }
 * where only the first `limit` values are encrypted (the benchmark extrapolates the rest
 * when a full run would take too long). Ready: { ready: true }.
 */
import { PublicKey } from "paillier-bigint";
import { computeVector, createConnector } from "@/computation/aggregate/index";
import type { AggregatePlan } from "@/core/protocol";

export type PaillierRequest = { id: number; n: string; g: string; file: string; plan: AggregatePlan; limit: number };
export type PaillierResult = { id: number; ciphertexts: string[]; values: number; aggregateMs: number; encryptMs: number };
export type PaillierReply = PaillierResult | { id: number; error: string };

if (!process.send) throw new Error("paillier-node runs as a child process with an IPC channel");

process.on("message", (msg: PaillierRequest) => {
  void (async () => {
    try {
      const t0 = performance.now();
      const connector = createConnector({ kind: "csv", path: msg.file });
      const { vector } = await computeVector(connector, msg.plan);
      await connector.close();
      const t1 = performance.now();
      const pk = new PublicKey(BigInt(`0x${msg.n}`), BigInt(`0x${msg.g}`));
      const ciphertexts: string[] = [];
      for (let i = 0; i < Math.min(vector.length, msg.limit); i++) ciphertexts.push(pk.encrypt(vector[i]!).toString(16));
      const t2 = performance.now();
      process.send!({ id: msg.id, ciphertexts, values: vector.length, aggregateMs: t1 - t0, encryptMs: t2 - t1 } satisfies PaillierReply);
    } catch (e) {
      process.send!({ id: msg.id, error: (e as Error).message } satisfies PaillierReply);
    }
  })();
});
process.on("disconnect", () => process.exit(0));
process.send({ ready: true });
