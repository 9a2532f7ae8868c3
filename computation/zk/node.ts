/**
 * What a holder's node does for commitments and proofs, inside its domain
 * (docs/proofs.md): commit a dataset chunk by chunk; when it answers a query, commit to
 * its totals; when audited, reveal its chain of running totals and prove the sampled
 * chunks' steps and the release.
 *
 * Salts are derived from the node's own secret (HMAC-SHA256), so nothing per query needs
 * storing: the same data and secret give the same chain. A first commitment, or one after the
 * schema changed, takes a fresh epoch (fresh salts), so equal data committed twice from scratch
 * gives unlinkable roots; an incremental recommit keeps the epoch and the unchanged chunks' roots.
 */
import { createHash, createHmac, randomUUID, type Hash } from "node:crypto";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import * as snarkjs from "snarkjs";
import type { Connector, ScannedValue } from "../aggregate/connectors";
import type { AggregatePlan } from "@/core/protocol";
import { artifactPaths, chunkCircuit } from "@/core/zk/circuits";
import { cellOf, GROUPS, MAX_COLUMNS, numberCell, OFFSET, scaleOf, schemaHash, statementFor, type CommittedColumn, type Statement } from "@/core/zk/encoding";
import { accumulator, chunkRoot, datasetRoot, numericColumnCommitment, textColumnCommitment, treeLevels, treePath, type Hasher } from "@/core/zk/hash";
import type { Groth16Proof } from "@/core/zk/verify";

export interface DatasetCommitment {
  dataset: string;
  epoch: string;
  /** decimal field elements */
  root: string;
  treeRoot: string;
  rows: number;
  chunkRows: number;
  schema: CommittedColumn[];
  /** SHA-256 over every committed value's text: tells the node whether its data changed */
  digest: string;
  chunkRoots: string[];
  createdAt: string;
  /** what only the node keeps (never sent): how it tells cheaply whether its data changed, and what it can reuse */
  local?: {
    /** the source's fingerprint when committing began (Connector.fingerprint); null when it has none */
    stamp: string | null;
    /** per committed column: whether any value was missing */
    nulls: boolean[];
    /** SHA-256 (hex, first 16 bytes) of each chunk's raw values: an unchanged chunk is not hashed again */
    chunkDigests: string[];
  };
}

const FIELD_BYTES = 31;
function derive(secret: Uint8Array, label: string): bigint {
  return BigInt("0x" + createHmac("sha256", secret).update(label).digest("hex").slice(0, 2 * FIELD_BYTES));
}
export const chunkSalt = (secret: Uint8Array, dataset: string, epoch: string, chunk: number) => derive(secret, `chunk:${dataset}:${epoch}:${chunk}`);
/** Salt of the running totals after `chunks` chunks of a query's chain (0 before the first: a public start). */
export const chainSalt = (secret: Uint8Array, queryId: string, dataset: string, chunks: number) => (chunks === 0 ? 0n : derive(secret, `acc:${queryId}:${dataset}:${chunks}`));

/** Committed columns: the first MAX_COLUMNS; a column is numeric when every value is a number that fits 32 bits. */
async function commitSchema(connector: Connector): Promise<{ schema: CommittedColumn[]; nulls: boolean[] }> {
  const columns = (await connector.columns()).slice(0, MAX_COLUMNS);
  const names = columns.map((c) => c.name);
  const numeric = columns.map((c) => c.type === "number");
  const scale = columns.map(() => 0);
  const least = columns.map(() => Infinity), most = columns.map(() => -Infinity);
  const nulls = columns.map(() => false);
  for await (const batch of connector.scan(names)) {
    for (const row of batch) {
      for (let i = 0; i < row.length; i++) {
        const v = row[i]!;
        if (v.text === null) { nulls[i] = true; continue; }
        if (!numeric[i]) continue;
        const s = v.num === null ? null : scaleOf(v.num);
        if (s === null) { numeric[i] = false; continue; }
        if (s > scale[i]!) scale[i] = s;
        least[i] = Math.min(least[i]!, v.num!);
        most[i] = Math.max(most[i]!, v.num!);
      }
    }
  }
  // Every value must fit 32 bits at the column's scale (the most decimals any value needs).
  for (let i = 0; i < columns.length; i++) {
    if (numeric[i] && least[i]! <= most[i]! && (numberCell(least[i]!, scale[i]!) === null || numberCell(most[i]!, scale[i]!) === null)) numeric[i] = false;
  }
  return { schema: columns.map((c, i) => ({ name: c.name, kind: numeric[i] ? "number" : "text", scale: numeric[i] ? scale[i]! : 0 })), nulls };
}

/**
 * Streams chunks of cells (column-major) of the committed columns, the last padded with zero
 * rows; only the columns `want(chunk)` asks for are encoded (others are null). Every raw
 * value goes into `digest`, which tells whether the data is still the committed data.
 */
async function* chunksOf(connector: Connector, schema: CommittedColumn[], chunkRows: number, digest: Hash, want: (chunk: number) => (column: number) => boolean): AsyncGenerator<{ cells: (bigint[] | null)[]; rows: number; digest: string }> {
  let index = 0;
  let wanted = want(0);
  const fresh = () => schema.map((_, i) => (wanted(i) ? [] as bigint[] : null));
  let cells = fresh();
  let rows = 0;
  let own = createHash("sha256");
  const flush = () => {
    const out = { cells: cells.map((c) => { if (c) while (c.length < chunkRows) c.push(0n); return c; }), rows, digest: own.digest("hex").slice(0, 32) };
    wanted = want(++index);
    cells = fresh();
    rows = 0;
    own = createHash("sha256");
    return out;
  };
  for await (const batch of connector.scan(schema.map((c) => c.name))) {
    for (const row of batch as ScannedValue[][]) {
      for (let i = 0; i < schema.length; i++) {
        const v = row[i]!;
        const raw = v.text === null ? "\u0000\u001e" : v.text + "\u001e";
        digest.update(raw);
        own.update(raw);
        const column = cells[i];
        if (!column) continue;
        try {
          column.push(cellOf(schema[i]!, v));
        } catch (e) {
          throw new ProofError("DATA_CHANGED", `The data changed since it was committed: ${(e as Error).message}`);
        }
      }
      if (++rows === chunkRows) yield flush();
    }
  }
  if (rows > 0) yield flush();
}

const all = () => () => true;

function columnCommitments(h: Hasher, schema: CommittedColumn[], cells: bigint[][]): bigint[] {
  return schema.map((c, i) => (c.kind === "number" ? numericColumnCommitment(h, cells[i]!) : textColumnCommitment(h, cells[i]!)));
}

/**
 * Commit a dataset chunk by chunk. Given the previous commitment of the same dataset (same
 * schema and chunk size), the commitment is incremental: it keeps the previous epoch, and a
 * chunk whose raw values are unchanged keeps its root instead of being hashed again, so an
 * appended file costs only its new chunks (and the last, partial one).
 */
export async function commitDataset(connector: Connector, dataset: string, chunkRows: number, secret: Uint8Array, h: Hasher, previous?: DatasetCommitment | null): Promise<DatasetCommitment> {
  // Stamped before reading: data changed while it is read stamps differently next time.
  const stamp = (await connector.fingerprint?.()) ?? null;
  const { schema, nulls } = await commitSchema(connector);
  const reuse = previous?.local && previous.chunkRows === chunkRows && previous.dataset === dataset && JSON.stringify(previous.schema) === JSON.stringify(schema) ? previous : null;
  const epoch = reuse?.epoch ?? randomUUID();
  const digest = createHash("sha256");
  const chunkRoots: bigint[] = [];
  const chunkDigests: string[] = [];
  let rows = 0;
  for await (const chunk of chunksOf(connector, schema, chunkRows, digest, all)) {
    rows += chunk.rows;
    const i = chunkRoots.length;
    const same = reuse && reuse.local!.chunkDigests[i] === chunk.digest ? BigInt(reuse.chunkRoots[i]!) : null;
    chunkRoots.push(same ?? chunkRoot(h, chunkSalt(secret, dataset, epoch, i), columnCommitments(h, schema, chunk.cells as bigint[][])));
    chunkDigests.push(chunk.digest);
  }
  if (chunkRoots.length === 0) chunkRoots.push(0n);
  const treeRoot = treeLevels(h, chunkRoots).at(-1)![0]!;
  return {
    dataset, epoch, rows, chunkRows, schema, digest: digest.digest("hex"), chunkRoots: chunkRoots.map(String),
    treeRoot: String(treeRoot), root: String(datasetRoot(h, treeRoot, rows, chunkRows, schemaHash(schema))), createdAt: new Date().toISOString(),
    local: { stamp, nulls, chunkDigests },
  };
}

/**
 * The final totals of a plan's statement asked of the source's own engine (one GROUP BY, the
 * connector's aggregate) instead of walked cell by cell: what an answer binds cheaply
 * (docs/proofs.md, "Binding an answer"). The engine's totals equal the circuit's when the filter
 * and value columns have no missing values (a missing cell never matches a range filter in the
 * circuit); otherwise null, and the caller walks the cells.
 */
export async function statementTotals(connector: Connector, commitment: DatasetCommitment, plan: AggregatePlan): Promise<{ counts: bigint[]; sums: bigint[] } | null> {
  const s = statementOrThrow(plan, commitment);
  const nulls = commitment.local?.nulls;
  if (!nulls || nulls[s.valueColumn] || (plan.filters.length > 0 && nulls[s.filterColumn])) return null;
  const value = commitment.schema[s.valueColumn]!;
  // Every committed value fits 32 bits at the column's scale: these bounds clamp nothing.
  const wide = 2 ** 31 / 10 ** value.scale;
  const local = await connector.aggregate({
    dataset: plan.dataset, groupBy: plan.groupBy, filters: plan.filters, noise: null,
    stats: [{ kind: "sum", column: value.name, scale: value.scale }], ranges: [{ column: value.name, min: -wide, max: wide }],
  });
  const counts = new Array<bigint>(GROUPS).fill(0n);
  const sums = new Array<bigint>(GROUPS).fill(0n);
  for (let j = 0; j < s.groups; j++) {
    counts[j] = local.counts[j]!;
    // a cell is the value in fixed point plus 2^31 (encoding.ts)
    sums[j] = local.blocks[0]![j]! + local.counts[j]! * OFFSET;
  }
  return { counts, sums };
}

/** Per-group counts and sums of one chunk under a statement (what the circuit computes). */
function chunkTotals(s: Statement, cells: (bigint[] | null)[]) {
  const counts = new Array<bigint>(GROUPS).fill(0n);
  const sums = new Array<bigint>(GROUPS).fill(0n);
  const f = cells[s.filterColumn]!, g = cells[s.groupColumn]!, v = cells[s.valueColumn]!;
  for (let i = 0; i < f.length; i++) {
    if (s.kind === "range" ? f[i]! < s.lo || f[i]! > s.hi : !s.matches.includes(f[i]!)) continue;
    const j = s.codes.indexOf(g[i]!);
    if (j < 0) continue;
    counts[j]! += 1n;
    sums[j]! += v[i]!;
  }
  return { counts, sums };
}

export interface Chain {
  statement: Statement;
  /** running totals' commitments after each chunk: accs[0] is the public start, accs[n] the final */
  accs: bigint[];
  /** totals after each chunk */
  totals: { counts: bigint[]; sums: bigint[] }[];
  /** data digest, to tell whether the data is still the committed data */
  digest: string;
  /** cells of the chunks asked for */
  kept: Map<number, bigint[][]>;
}

function statementOrThrow(plan: AggregatePlan, commitment: DatasetCommitment): Statement {
  const provable = statementFor(plan, commitment.schema);
  if (!provable.ok) throw new ProofError("NOT_PROVABLE", provable.reason);
  return provable.statement;
}

/**
 * Walk the dataset once under a plan: the chain of running totals, keeping every column's
 * cells of the `keep` chunks (for their proofs). `finalOnly` skips the intermediate
 * commitments: what the node signs when it answers is the final one alone.
 */
export async function buildChain(connector: Connector, commitment: DatasetCommitment, plan: AggregatePlan, queryId: string, secret: Uint8Array, h: Hasher, keep: number[] = [], finalOnly = false): Promise<Chain> {
  const s = statementOrThrow(plan, commitment);
  const zero = new Array<bigint>(GROUPS).fill(0n);
  const totals = [{ counts: zero, sums: zero }];
  const accs = [accumulator(h, 0n, zero, zero)];
  const digest = createHash("sha256");
  const kept = new Map<number, bigint[][]>();
  const wanted = new Set(keep);
  const used = new Set([s.filterColumn, s.groupColumn, s.valueColumn]);
  let c = 0;
  for await (const chunk of chunksOf(connector, commitment.schema, commitment.chunkRows, digest, (i) => (wanted.has(i) ? () => true : (col) => used.has(col)))) {
    if (wanted.has(c)) kept.set(c, chunk.cells as bigint[][]);
    const part = chunkTotals(s, chunk.cells);
    const prev = totals.at(-1)!;
    totals.push({ counts: prev.counts.map((x, j) => x + part.counts[j]!), sums: prev.sums.map((x, j) => x + part.sums[j]!) });
    c++;
    if (!finalOnly) accs.push(accumulator(h, chainSalt(secret, queryId, commitment.dataset, c), totals[c]!.counts, totals[c]!.sums));
  }
  if (c === 0) { totals.push(totals[0]!); c = 1; if (!finalOnly) accs.push(accumulator(h, chainSalt(secret, queryId, commitment.dataset, 1), zero, zero)); }
  if (finalOnly) accs.push(accumulator(h, chainSalt(secret, queryId, commitment.dataset, c), totals[c]!.counts, totals[c]!.sums));
  return { statement: s, accs, totals, digest: digest.digest("hex"), kept };
}

export type ProofErrorCode = "NOT_PROVABLE" | "DATA_CHANGED" | "NO_CIRCUIT" | "BAD_REQUEST" | "CANNOT_PROVE";
export class ProofError extends Error {
  constructor(readonly code: ProofErrorCode, message: string) {
    super(message);
    this.name = "ProofError";
  }
}

const str = (xs: bigint[]) => xs.map(String);

export interface ChunkProof { index: number; chunkRoot: string; path: string[]; proof: Groth16Proof; publicSignals: string[]; provingMs: number }

/** The chunk circuit's input for one chunk of a chain (every private value included). */
export function chunkInput(h: Hasher, commitment: DatasetCommitment, chain: Chain, index: number, secret: Uint8Array, queryId: string) {
  const cells = chain.kept.get(index);
  if (!cells) throw new Error(`chunk ${index} was not kept`);
  const s = chain.statement;
  const salt = chunkSalt(secret, commitment.dataset, commitment.epoch, index);
  const columns = columnCommitments(h, commitment.schema, cells);
  while (columns.length < MAX_COLUMNS) columns.push(0n);
  const root = chunkRoot(h, salt, columns);
  const before = chain.totals[index]!;
  return {
    chunkRoot: String(root), accIn: String(chain.accs[index]), accOut: String(chain.accs[index + 1]),
    filterColumn: s.filterColumn, groupColumn: s.groupColumn, valueColumn: s.valueColumn,
    ...(s.kind === "range" ? { lo: String(s.lo), hi: String(s.hi) } : { matches: str(s.matches) }), codes: str(s.codes),
    salt: String(salt), columns: str(columns), filter: str(cells[s.filterColumn]!), group: str(cells[s.groupColumn]!), value: str(cells[s.valueColumn]!),
    saltIn: String(chainSalt(secret, queryId, commitment.dataset, index)), saltOut: String(chainSalt(secret, queryId, commitment.dataset, index + 1)),
    countsIn: str(before.counts), sumsIn: str(before.sums),
  };
}

/** A circuit's WASM and proving key read into memory once, for proving several times. */
export interface LoadedCircuit { wasm: { type: "mem"; data: Uint8Array }; zkey: { type: "mem"; data: Uint8Array } }
export function loadCircuit(name: string): LoadedCircuit {
  const p = artifactPaths(name);
  return { wasm: { type: "mem", data: readFileSync(p.wasm) }, zkey: { type: "mem", data: readFileSync(p.zkey) } };
}
/** The chunk circuit for a commitment's chunk size and a statement's filter, loaded. */
export function chunkCircuitFor(commitment: DatasetCommitment, statement: Statement): LoadedCircuit {
  const spec = chunkCircuit(commitment.chunkRows, statement.kind);
  if (!spec) throw new ProofError("NO_CIRCUIT", `No chunk circuit for ${commitment.chunkRows} rows per chunk and a ${statement.kind} filter is built on this node`);
  return loadCircuit(spec.name);
}

export async function proveChunk(h: Hasher, commitment: DatasetCommitment, chain: Chain, index: number, secret: Uint8Array, queryId: string, circuit = chunkCircuitFor(commitment, chain.statement), levels = treeLevels(h, commitment.chunkRoots.map(BigInt))): Promise<ChunkProof> {
  const input = chunkInput(h, commitment, chain, index, secret, queryId);
  const t0 = performance.now();
  const { proof, publicSignals } = await snarkjs.groth16.fullProve(input, circuit.wasm, circuit.zkey);
  return { index, chunkRoot: input.chunkRoot, path: str(treePath(levels, index)), proof: proof as Groth16Proof, publicSignals, provingMs: performance.now() - t0 };
}

export interface ReleaseProof { proof: Groth16Proof; publicSignals: string[]; provingMs: number }

/** The release circuit's input: `rows` is what the node's final totals give in the released groups. */
export function releaseInput(chain: Chain, released: boolean[], k: number, secret: Uint8Array, queryId: string, dataset: string) {
  const n = chain.totals.length - 1;
  const final = chain.totals[n]!;
  const mask = Array.from({ length: GROUPS }, (_, j) => (released[j] ? 1 : 0));
  const rows = final.counts.reduce((a, c, j) => a + (mask[j] ? c : 0n), 0n);
  return {
    acc: String(chain.accs.at(-1)), k: String(k), rows: String(rows), released: mask,
    salt: String(chainSalt(secret, queryId, dataset, n)), counts: str(final.counts), sums: str(final.sums),
  };
}

/** The final totals give `rows` rows in the released groups, each released group ≥ k (k = 0: not claimed). */
export async function proveRelease(chain: Chain, released: boolean[], k: number, secret: Uint8Array, queryId: string, dataset: string, circuit = loadCircuit("release")): Promise<ReleaseProof> {
  const t0 = performance.now();
  const { proof, publicSignals } = await snarkjs.groth16.fullProve(releaseInput(chain, released, k, secret, queryId, dataset), circuit.wasm, circuit.zkey);
  return { proof: proof as Groth16Proof, publicSignals, provingMs: performance.now() - t0 };
}
