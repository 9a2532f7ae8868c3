/**
 * A node's commitments and proofs, as its HTTP service uses them: the node's proof secret
 * and its current commitment per dataset live in <keysDir>/zk/ (mode 0600), next to its keys.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { createConnector, type Connector, type ConnectorConfig } from "../aggregate/connectors";
import type { AggregatePlan, AnswerCommitment } from "@/core/protocol";
import { DEFAULT_CHUNK_ROWS } from "@/core/zk/circuits";
import { provableShape } from "@/core/zk/encoding";
import { accumulator, fastHasher, treeLevels, type Hasher } from "@/core/zk/hash";
import { buildChain, chainSalt, chunkCircuitFor, commitDataset, proveChunk, proveRelease, ProofError, statementTotals, type ChunkProof, type DatasetCommitment, type ReleaseProof } from "./node";

export class NodeProofs {
  private readonly dir: string;
  private readonly secret: Uint8Array;
  private hasher: Promise<Hasher> | null = null;
  /** one commitment at a time per dataset */
  private readonly busy = new Map<string, Promise<DatasetCommitment>>();
  /** chains revealed to an auditor, kept until the proofs are asked for */
  private readonly revealed = new Map<string, { accs: string[]; at: number }>();

  constructor(keysDir: string, private readonly chunkRows = DEFAULT_CHUNK_ROWS) {
    this.dir = path.join(keysDir, "zk");
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = path.join(this.dir, "secret");
    if (!existsSync(file)) writeFileSync(file, randomBytes(32), { mode: 0o600 });
    this.secret = readFileSync(file);
  }

  private hash() { return (this.hasher ??= fastHasher()); }
  private file(dataset: string) { return path.join(this.dir, `${dataset}.commitment.json`); }

  /** The current commitment, read from disk once per process (every answer needs it). */
  private readonly loaded = new Map<string, DatasetCommitment | null>();
  stored(dataset: string): DatasetCommitment | null {
    if (!this.loaded.has(dataset)) {
      const f = this.file(dataset);
      this.loaded.set(dataset, existsSync(f) ? JSON.parse(readFileSync(f, "utf8")) as DatasetCommitment : null);
    }
    return this.loaded.get(dataset)!;
  }

  /** The current commitment; a new one when there is none, when asked, or when the configured chunk size changed. */
  commitment(dataset: string, source: ConnectorConfig, refresh = false): Promise<DatasetCommitment> {
    const running = this.busy.get(dataset);
    if (running) return running;
    const current = this.stored(dataset);
    if (current && !refresh && current.chunkRows === this.chunkRows) return Promise.resolve(current);
    const job = (async () => {
      const c = await this.commitInWorker(dataset, source, current).catch(async (e: unknown) => {
        if (!(e instanceof WorkerUnavailable)) throw e;
        // No worker thread here (a test runner that cannot load TypeScript workers): commit in this thread.
        const connector = createConnector(source);
        try { return await commitDataset(connector, dataset, this.chunkRows, this.secret, await this.hash(), current); } finally { await connector.close(); }
      });
      writeFileSync(this.file(dataset), JSON.stringify(c), { mode: 0o600 });
      this.loaded.set(dataset, c);
      return c;
    })().finally(() => this.busy.delete(dataset));
    this.busy.set(dataset, job);
    return job;
  }

  /** Hash the dataset in a worker thread (commit-worker.ts), off the thread that answers queries. */
  private commitInWorker(dataset: string, source: ConnectorConfig, previous: DatasetCommitment | null): Promise<DatasetCommitment> {
    return new Promise((resolve, reject) => {
      let worker: Worker;
      try {
        // `mod`: circomlibjs's thread pool (the web-worker package) treats every worker thread as one of
        // its own and loads workerData.mod on import; an empty module keeps it from failing.
        worker = new Worker(new URL("./commit-worker.mjs", import.meta.url), { workerData: { source, dataset, chunkRows: this.chunkRows, secret: this.secret, previous, mod: "data:text/javascript," } });
      } catch (e) {
        return reject(new WorkerUnavailable((e as Error).message));
      }
      let answered = false;
      worker.once("message", (m: { ok: true; commitment: DatasetCommitment } | { ok: false; code?: string; message: string }) => {
        answered = true;
        if (m.ok) resolve(m.commitment);
        else reject(m.code === "NOT_PROVABLE" || m.code === "DATA_CHANGED" ? new ProofError(m.code, m.message) : Object.assign(new Error(m.message), { code: m.code }));
      });
      // A worker that cannot even load its module (no TypeScript loader in this runtime) is unavailable, not a failure.
      worker.once("error", (e: Error & { code?: string }) => { if (!answered) reject(/MODULE|EXTENSION|LOADER/.test(`${e.code ?? ""} ${e.message}`) ? new WorkerUnavailable(e.message) : e); });
      worker.once("exit", (code) => { if (!answered) reject(new WorkerUnavailable(`the commit worker exited (${code})`)); });
    });
  }

  /** Commit in the background (at most one at a time per dataset). */
  private commitLater(dataset: string, source: ConnectorConfig, refresh: boolean) {
    if (this.busy.has(dataset)) return;
    this.commitment(dataset, source, refresh).catch((e: unknown) => console.error(`[node] ${dataset}: cannot commit (${(e as Error).message})`));
  }

  /**
   * What the node signs with an answer: its dataset commitment and a commitment to its final
   * totals. Committing never holds an answer up: before a dataset's first commitment is made,
   * or while data changed since the last one is committed anew (in the background), the answer
   * is given at once and marked not yet provable.
   *
   * Binding is cheap where the source has a fingerprint (files): an unchanged fingerprint says
   * the data is the committed data, and the final totals come from one GROUP BY in the source's
   * engine; the Poseidon chain behind them is built only when an audit asks. Otherwise
   * (PostgreSQL, or missing values where the circuit and the engine could differ) the node walks
   * its committed cells once, as before.
   */
  async answer(dataset: string, connector: Connector, plan: AggregatePlan, queryId: string, source: ConnectorConfig): Promise<AnswerCommitment> {
    // A plan no circuit covers is not provable whatever the data: nothing to commit or bind.
    const shape = provableShape(plan);
    if (shape) return { notProvable: shape };
    const c = this.stored(dataset);
    if (!c || c.chunkRows !== this.chunkRows || this.busy.has(dataset)) {
      this.commitLater(dataset, source, !!c);
      return { notProvable: "not yet provable: the node is committing this dataset (answers are provable once its commitment is made)" };
    }
    const changed = (): AnswerCommitment => {
      this.commitLater(dataset, source, true);
      return { notProvable: "not yet provable: the data changed since the node's last commitment, which it is making anew" };
    };
    const h = await this.hash();
    const chunks = c.chunkRoots.length;
    const bind = (totals: { counts: bigint[]; sums: bigint[] }): AnswerCommitment =>
      ({ root: c.root, finalAcc: String(accumulator(h, chainSalt(this.secret, queryId, dataset, chunks), totals.counts, totals.sums)), chunks });
    try {
      const stamp = c.local?.stamp != null && connector.fingerprint ? await connector.fingerprint() : null;
      if (stamp !== null) {
        if (stamp !== c.local!.stamp) return changed();
        const totals = await statementTotals(connector, c, plan);
        if (totals) return bind(totals);
      }
      // A value that no longer fits the committed scale means the data changed, like a new digest.
      const chain = await buildChain(connector, c, plan, queryId, this.secret, h, [], true).catch((e: unknown) => { if (e instanceof ProofError && e.code === "DATA_CHANGED") return null; throw e; });
      if (!chain || chain.digest !== c.digest) return changed();
      return { root: c.root, finalAcc: String(chain.accs.at(-1)), chunks: chain.totals.length - 1 };
    } catch (e) {
      if (e instanceof ProofError && e.code === "NOT_PROVABLE") return { notProvable: e.message };
      throw e;
    }
  }

  private async current(dataset: string, root: string): Promise<DatasetCommitment> {
    const c = this.stored(dataset);
    if (!c || c.root !== root) throw new ProofError("DATA_CHANGED", "This node has committed its data anew since it answered: the query can no longer be proven");
    return c;
  }

  /** Audit step 1: the whole chain of running totals, fixed before the auditor draws its sample. */
  async revealChain(dataset: string, connector: Connector, plan: AggregatePlan, queryId: string, root: string): Promise<string[]> {
    const c = await this.current(dataset, root);
    const chain = await buildChain(connector, c, plan, queryId, this.secret, await this.hash());
    if (chain.digest !== c.digest) throw new ProofError("DATA_CHANGED", "The data changed since it was committed: the query can no longer be proven");
    const accs = chain.accs.map(String);
    const now = Date.now();
    for (const [k, v] of this.revealed) if (now - v.at > 30 * 60_000) this.revealed.delete(k);
    this.revealed.set(`${queryId}:${dataset}`, { accs, at: now });
    return accs;
  }

  /** Audit step 2: proofs of the sampled chunks' steps and of the release. */
  async prove(dataset: string, connector: Connector, plan: AggregatePlan, queryId: string, root: string, chunks: number[], released: boolean[], k: number): Promise<{ chunks: ChunkProof[]; release: ReleaseProof }> {
    const c = await this.current(dataset, root);
    const revealed = this.revealed.get(`${queryId}:${dataset}`);
    if (!revealed) throw new ProofError("BAD_REQUEST", "Ask for the chain first (audit step 1)");
    const n = revealed.accs.length - 1;
    const bad = chunks.find((i) => i >= n);
    if (bad !== undefined) throw new ProofError("BAD_REQUEST", `There is no chunk ${bad}: the dataset has ${n}`);
    const h = await this.hash();
    const chain = await buildChain(connector, c, plan, queryId, this.secret, h, chunks);
    if (chain.digest !== c.digest) throw new ProofError("DATA_CHANGED", "The data changed since it was committed: the query can no longer be proven");
    const proofs: ChunkProof[] = [];
    const loaded = chunkCircuitFor(c, chain.statement); // read once, not once per proof
    const levels = treeLevels(h, c.chunkRoots.map(BigInt));
    for (const i of [...new Set(chunks)].sort((a, b) => a - b)) proofs.push(await cannotProve(`chunk ${i}`, proveChunk(h, c, chain, i, this.secret, queryId, loaded, levels)));
    return { chunks: proofs, release: await cannotProve("the release", proveRelease(chain, released, k, this.secret, queryId, dataset)) };
  }
}

/** A witness the circuit rejects (a released group below k, say) is the node's inability to prove, not a crash. */
async function cannotProve<T>(what: string, proving: Promise<T>): Promise<T> {
  try {
    return await proving;
  } catch (e) {
    if (e instanceof ProofError) throw e;
    throw new ProofError("CANNOT_PROVE", `This node cannot prove ${what}: its data does not satisfy the circuit (${(e as Error).message.split("\n")[0]})`);
  }
}

/** The runtime cannot start the commit worker: the caller commits in its own thread instead. */
class WorkerUnavailable extends Error {}
