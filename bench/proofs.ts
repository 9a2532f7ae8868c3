/**
 * Benchmark of commitments and zero-knowledge proofs (computation/zk, circuits/):
 *
 * 1. Per circuit (chunk16, chunk256 when built, release): constraints, witness time
 *    (snarkjs wtns.calculate), Groth16 prove time (snarkjs groth16.prove on that witness),
 *    verify time, proof size. Baseline measured in the same run: the node's computation of
 *    the same statement without a proof (cells, per-group totals and the running-totals hash,
 *    per chunk), so "(witness+prove) / plain" is what proving costs over doing the work.
 *    Target: one 1,024-row chunk proof under 15 s, verification under 100 ms.
 *    ChunkStep(1024, 12) is compiled for its constraint count only: its setup needs 2^18
 *    powers of tau, not practical here (see docs/proofs.md).
 * 2. An audit of a 10^5-row resource (CSV, the demo claims generator) with 1% spot checks,
 *    the node's and the auditor's work in this process: commit, answer (final totals),
 *    reveal the chain, prove the sample, verify. Baseline: the plaintext aggregate of the
 *    same plan over the same file through the node's connector.
 *
 * --quick: 10^4 rows, 1 rep.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as snarkjs from "snarkjs";
import { CsvConnector } from "@/computation/aggregate/connectors";
import { CLAIM_COLUMNS, claims, DISTRICTS, writeCsv } from "@/computation/demo/generate";
import type { AggregatePlan } from "@/core/protocol";
import { artifactPaths, CIRCUITS_DIR, circuitSpecs, committedKeys } from "@/core/zk/circuits";
import { accumulator, fastHasher, liteHasher, treeLevels } from "@/core/zk/hash";
import { buildChain, chainSalt, chunkInput, commitDataset, loadCircuit, proveChunk, proveRelease, releaseInput, statementTotals } from "@/computation/zk/node";
import { verifyAudit, type AuditBundle } from "@/core/zk/verify";
import { drawSample } from "@/server/proofs/audits";
import { onCleanup } from "./lib/cleanup";
import { bytes, median, ms, now, ratio, table } from "./lib/report";

export class CheckFailed extends Error {}

const plan: AggregatePlan = {
  dataset: "claims",
  groupBy: [{ name: "district", kind: "category", values: DISTRICTS }],
  filters: [{ column: "age", op: "between", value: [30, 60] }],
  stats: [{ kind: "sum", column: "claim_amount", scale: 2 }],
  ranges: [], noise: null,
};
const QUERY = "00000000-0000-4000-8000-000000000001";
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** Non-linear constraints of ChunkStep(rows, 12) (= its constraints after --O2), compiled at --O1 for speed. */
function countConstraints(rows: number, dir: string): number {
  const src = path.join(CIRCUITS_DIR, `bench_chunk${rows}.circom`);
  const cleanup = () => rmSync(src, { force: true });
  onCleanup(src, cleanup);
  writeFileSync(src, `pragma circom 2.1.9;\ninclude "aggregate.circom";\ncomponent main = ChunkStep(${rows}, 12);\n`);
  try {
    const out = execFileSync(path.join(CIRCUITS_DIR, "..", "node_modules", ".bin", "circom2"), [path.relative(process.cwd(), src), "--r1cs", "--O1", "-l", "node_modules", "-l", "circuits", "-o", path.relative(process.cwd(), dir)], { encoding: "utf8" });
    return Number(/non-linear constraints: (\d+)/.exec(out)?.[1] ?? NaN);
  } finally {
    cleanup();
  }
}

export async function runProofsBenchmark(o: { quick: boolean; reps: number }): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), "bench-proofs-"));
  onCleanup(dir, () => rmSync(dir, { recursive: true, force: true }));
  const h = await fastHasher();
  const reps = o.quick ? 1 : Math.max(1, o.reps);
  const pins = JSON.parse(readFileSync(path.join(CIRCUITS_DIR, "artifacts.json"), "utf8")) as { circuits: Record<string, { constraints: number; zkey: string }> };
  const out: string[] = [];

  // 1. Per circuit, on a chunk of real demo rows.
  const sample = path.join(dir, "sample.csv");
  await writeCsv(sample, CLAIM_COLUMNS, claims(7, 300, 0));
  const secret = randomBytes(32);
  const rows: string[][] = [];
  let perConstraint = Infinity;
  for (const spec of circuitSpecs.filter((s) => existsSync(artifactPaths(s.name).zkey))) {
    const p = artifactPaths(spec.name);
    const chunkRows = spec.chunkRows ?? 16;
    const connector = new CsvConnector(sample);
    const commitment = await commitDataset(connector, "claims", chunkRows, secret, h);
    let t = now();
    // A match circuit proves a text filter: the same plan filtered on two districts instead of an age range.
    const specPlan = spec.filter === "match" ? { ...plan, filters: [{ column: "district", op: "in" as const, value: DISTRICTS.slice(0, 2) }] } : plan;
    const chain = await buildChain(connector, commitment, specPlan, QUERY, secret, h, [0]);
    const plain = (now() - t) / (chain.totals.length - 1);
    const input = spec.chunkRows ? chunkInput(h, commitment, chain, 0, secret, QUERY) : releaseInput(chain, DISTRICTS.map(() => true), 0, secret, QUERY, "claims");
    const vkey = JSON.parse(readFileSync(p.vkey, "utf8")) as object;
    const witnessTimes: number[] = [], proveTimes: number[] = [], verifyTimes: number[] = [];
    let size = 0;
    for (let r = 0; r < reps; r++) {
      const wtns: { type: "mem"; data?: Uint8Array } = { type: "mem" };
      t = now();
      await snarkjs.wtns.calculate(input, p.wasm, wtns);
      witnessTimes.push(now() - t);
      t = now();
      const { proof, publicSignals } = await snarkjs.groth16.prove(p.zkey, wtns);
      proveTimes.push(now() - t);
      t = now();
      const ok = await snarkjs.groth16.verify(vkey, publicSignals, proof, quiet);
      verifyTimes.push(now() - t);
      if (!ok) throw new CheckFailed(`${spec.name}: an honest proof did not verify`);
      size = JSON.stringify(proof).length;
    }
    const constraints = pins.circuits[spec.name]?.constraints ?? NaN;
    if (spec.chunkRows && spec.filter === "range") perConstraint = Math.min(perConstraint, median(proveTimes) / constraints);
    rows.push([
      spec.name, spec.chunkRows ? String(spec.chunkRows) : "–", constraints.toLocaleString("en"), bytes(readFileSync(p.zkey).length),
      ms(median(witnessTimes)), ms(median(proveTimes)), ms(median(verifyTimes)), `${bytes(size)} JSON, 256 B raw`,
      spec.chunkRows ? ms(plain) : "–", spec.chunkRows ? ratio((median(witnessTimes) + median(proveTimes)) / plain) : "–",
    ]);
  }
  const c1024 = countConstraints(1024, dir);
  const c256 = pins.circuits.chunk256 ? pins.circuits.chunk256.constraints : countConstraints(256, dir);
  if (!pins.circuits.chunk256) rows.push(["chunk256 (compiled only)", "256", c256.toLocaleString("en"), "–", "–", Number.isFinite(perConstraint) ? `≈ ${ms(perConstraint * c256)} (est.)` : "–", "–", "–", "–", "–"]);
  rows.push(["chunk1024 (compiled only)", "1024", c1024.toLocaleString("en"), "–", "–", Number.isFinite(perConstraint) ? `≈ ${ms(perConstraint * c1024)} (est.)` : "–", "–", "–", "–", "–"]);
  out.push(table("Circuits: ChunkStep(N, 12 groups) and Release(12), Groth16 on BN254 with snarkjs 0.7.6", [
    "circuit", "rows", "constraints", "proving key", "witness", "prove", "verify", "proof", "plain JS", "(witness+prove) / plain",
  ], rows, [
    `Median of ${reps} run(s). "plain JS": the node's own computation per chunk without a proof (cells, per-group totals, the running-totals hash), from one pass over a 300-row file.`,
    "chunkNm circuits prove a text filter (district in two values) instead of the age range.",
    "Target: a 1,024-row chunk proof < 15 s, verification < 100 ms. chunk1024 is compiled for its constraint count only; its prove time is estimated from",
    "the largest built chunk circuit's measured time per constraint (labelled est.): its setup needs 2^18 powers of tau (~2.5 h to generate here, not done).",
  ]));

  // 2. An audit of a large resource with 1% spot checks.
  const n = o.quick ? 10_000 : 100_000;
  const big = path.join(dir, "claims.csv");
  await writeCsv(big, CLAIM_COLUMNS, claims(9, n, 0));
  const chunkRows = Math.max(...circuitSpecs.filter((s) => s.chunkRows && existsSync(artifactPaths(s.name).zkey)).map((s) => s.chunkRows!));
  const connector = new CsvConnector(big);
  let t = now();
  await connector.aggregate(plan);
  const plainQuery = now() - t;
  t = now();
  const commitment = await commitDataset(connector, "claims", chunkRows, secret, h);
  const commitMs = now() - t;
  const queryId = "00000000-0000-4000-8000-000000000002";
  t = now();
  const walked = (await buildChain(connector, commitment, plan, queryId, secret, h, [], true)).accs.at(-1)!;
  const walkMs = now() - t;
  t = now();
  // What a node does now where its source has a fingerprint: one GROUP BY, one sponge (docs/proofs.md).
  const totals = (await statementTotals(connector, commitment, plan))!;
  const bound = accumulator(h, chainSalt(secret, queryId, "claims", commitment.chunkRoots.length), totals.counts, totals.sums);
  const answerMs = now() - t;
  if (bound !== walked) throw new CheckFailed("binding by the engine differs from binding by walking the cells");
  t = now();
  const full = await buildChain(connector, commitment, plan, queryId, secret, h);
  const chainMs = now() - t;
  const chunks = full.totals.length - 1;
  const picked = drawSample(chunks, 100);
  t = now();
  const withCells = await buildChain(connector, commitment, plan, queryId, secret, h, picked);
  const proofs = [];
  const circuit = loadCircuit(`chunk${chunkRows}`);
  const levels = treeLevels(h, commitment.chunkRoots.map(BigInt));
  for (const i of picked) proofs.push(await proveChunk(h, commitment, withCells, i, secret, queryId, circuit, levels));
  const released = DISTRICTS.map(() => true);
  const release = await proveRelease(withCells, released, 0, secret, queryId, "claims");
  const proveMs = now() - t;
  const bundle: AuditBundle = {
    commitment: { root: commitment.root, treeRoot: commitment.treeRoot, rows: commitment.rows, chunkRows, schema: commitment.schema },
    plan, finalAcc: String(full.accs.at(-1)), accs: full.accs.map(String), sample: picked, chunks: proofs, release, released, k: 0, rows: release.publicSignals[2]!,
  };
  const keys = committedKeys();
  t = now();
  const verdict = await verifyAudit(bundle, keys.keys, keys.pins, liteHasher);
  const verifyMs = now() - t;
  if (!verdict.ok) throw new CheckFailed(`the audit did not verify: ${JSON.stringify(verdict.checks.filter((c) => !c.ok))}`);
  const total = chainMs + proveMs + verifyMs;
  out.push(table(`Audit of a ${n.toLocaleString("en")}-row resource, chunks of ${chunkRows}, 1% spot checks (${picked.length} of ${chunks} chunks)`, ["step", "who", "time", "vs plaintext query"], [
    ["plaintext aggregate of the same plan (baseline)", "node", ms(plainQuery), "1×"],
    ["commit the dataset (once per update cycle)", "node", ms(commitMs), ratio(commitMs / plainQuery)],
    ["commit to its final totals when answering (one GROUP BY + one sponge)", "node", ms(answerMs), ratio(answerMs / plainQuery)],
    ["… the same by walking the committed cells (before; still used for PostgreSQL)", "node", ms(walkMs), ratio(walkMs / plainQuery)],
    ["reveal the chain of running totals", "node", ms(chainMs), ratio(chainMs / plainQuery)],
    [`prove ${picked.length} chunk(s) and the release`, "node", ms(proveMs), ratio(proveMs / plainQuery)],
    ["verify everything", "auditor", ms(verifyMs), ratio(verifyMs / plainQuery)],
    ["audit in all (after the answer)", "", ms(total), ratio(total / plainQuery)],
  ], [`Bundle: ${bytes(JSON.stringify(bundle).length)} (the chain is ${chunks + 1} field elements).`]));
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
  return out.join("\n");
}
