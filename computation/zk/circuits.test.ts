/**
 * The circuits with real Groth16 proofs (the committed chunk16 and release artifacts): honest
 * proofs verify; a changed row, a misreported contribution, a forged or malformed proof, the
 * wrong key fail; witnesses at the boundaries (k−1, k, range limits) pass or fail as specified.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as snarkjs from "snarkjs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CsvConnector } from "../aggregate/connectors";
import type { AggregatePlan } from "@/core/protocol";
import { artifactPaths, committedKeys } from "@/core/zk/circuits";
import { GROUPS, MAX_COLUMNS, OFFSET, textCell, UNUSED_CODE } from "@/core/zk/encoding";
import { accumulator, chunkRoot, fastHasher, liteHasher, numericColumnCommitment, textColumnCommitment, type Hasher } from "@/core/zk/hash";
import { buildChain, commitDataset, proveChunk, proveRelease, type DatasetCommitment } from "./node";
import { verifyAudit, type AuditBundle } from "@/core/zk/verify";

const DISTRICTS = ["Lixia", "Shizhong", "Huaiyin"];
const plan: AggregatePlan = {
  dataset: "claims",
  groupBy: [{ name: "district", kind: "category", values: DISTRICTS }],
  filters: [{ column: "age", op: "between", value: [30, 60] }],
  stats: [{ kind: "sum", column: "claim_amount", scale: 2 }],
  ranges: [], noise: null,
};
type Row = { district: string; age: number; claim_amount: number };
const rowsOf = (n: number): Row[] => Array.from({ length: n }, (_, i) => ({ district: DISTRICTS[i % 4] ?? "Tianqiao", age: 20 + ((i * 7) % 50), claim_amount: 100 + i * 12.5 }));
const csv = (rows: Row[]) => "district,age,claim_amount\n" + rows.map((r) => `${r.district},${r.age},${r.claim_amount}`).join("\n") + "\n";

describe("circuits, proved and verified", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "zk-"));
  const file = path.join(dir, "claims.csv");
  const secret = randomBytes(32);
  const queryId = "7f0c8a9e-2d3b-4c5d-8e9f-0a1b2c3d4e5f";
  const rows = rowsOf(40); // 3 chunks of 16, the last padded
  let h: Hasher;
  let commitment: DatasetCommitment;
  let honest: AuditBundle;
  let keys: ReturnType<typeof committedKeys>;

  beforeAll(async () => {
    h = await fastHasher();
    keys = committedKeys();
    writeFileSync(file, csv(rows));
    commitment = await commitDataset(new CsvConnector(file), "claims", 16, secret, h);
    const chain = await buildChain(new CsvConnector(file), commitment, plan, queryId, secret, h, [0, 1, 2]);
    const released = [true, true, false];
    const chunks = [];
    for (const i of [0, 1, 2]) chunks.push(await proveChunk(h, commitment, chain, i, secret, queryId));
    const release = await proveRelease(chain, released, 0, secret, queryId, "claims");
    honest = {
      commitment: { root: commitment.root, treeRoot: commitment.treeRoot, rows: commitment.rows, chunkRows: 16, schema: commitment.schema },
      plan, finalAcc: String(chain.accs.at(-1)), accs: chain.accs.map(String), sample: [0, 1, 2], chunks, release, released, k: 0,
      rows: release.publicSignals[2]!,
    };
  }, 240_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const verify = (b: unknown, k = keys) => verifyAudit(b, k.keys, k.pins, liteHasher);
  const clone = () => structuredClone(honest);

  it("commits numbers as numbers at their scale and text as text", () => {
    expect(commitment.schema).toEqual([{ name: "district", kind: "text", scale: 0 }, { name: "age", kind: "number", scale: 0 }, { name: "claim_amount", kind: "number", scale: 1 }]);
    expect(commitment.rows).toBe(40);
  });

  it("commits a numeric column as text when its values do not fit 32 bits at one scale", async () => {
    const wide = path.join(dir, "wide.csv");
    writeFileSync(wide, "big,small\n1000000000,1\n0.5,2\n");
    const c = await commitDataset(new CsvConnector(wide), "wide", 16, secret, h);
    expect(c.schema).toEqual([{ name: "big", kind: "text", scale: 0 }, { name: "small", kind: "number", scale: 0 }]);
  });

  it("verifies an honest node's proofs, whose release states the plaintext count", async () => {
    const result = await verify(honest);
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.ok).toBe(true);
    const truth = rows.filter((r) => r.age >= 30 && r.age <= 60 && (r.district === DISTRICTS[0] || r.district === DISTRICTS[1])).length;
    expect(honest.rows).toBe(String(truth));
  });

  it("verifies a proof under a text filter (the district is one of two), which counts only matching rows", async () => {
    const matching: AggregatePlan = { ...plan, filters: [{ column: "district", op: "in", value: [DISTRICTS[0]!, DISTRICTS[2]!] }] };
    const chain = await buildChain(new CsvConnector(file), commitment, matching, queryId, secret, h, [0, 1, 2]);
    const chunks = [];
    for (const i of [0, 1, 2]) chunks.push(await proveChunk(h, commitment, chain, i, secret, queryId));
    const released = [true, true, true];
    const release = await proveRelease(chain, released, 0, secret, queryId, "claims");
    const bundle: AuditBundle = { ...honest, plan: matching, finalAcc: String(chain.accs.at(-1)), accs: chain.accs.map(String), chunks, release, released, rows: release.publicSignals[2]! };
    const result = await verify(bundle);
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.checks.find((c) => c.what === "verification keys match the committed ones")?.detail).toBe("chunk16m, release");
    expect(bundle.rows).toBe(String(rows.filter((r) => r.district === DISTRICTS[0] || r.district === DISTRICTS[2]).length));
    // The same proofs presented for another district list: the public signals say otherwise.
    const other = { ...bundle, plan: { ...matching, filters: [{ column: "district", op: "in" as const, value: [DISTRICTS[0]!, DISTRICTS[1]!] }] } };
    expect((await verify(other)).checks.at(-1)?.detail).toMatch(/public signals/);
  });

  it("fails a node that changed one row after committing", async () => {
    const changed = rows.map((r, i) => (i === 5 ? { ...r, claim_amount: r.claim_amount + 1 } : r));
    writeFileSync(file, csv(changed));
    try {
      const chain = await buildChain(new CsvConnector(file), commitment, plan, queryId, secret, h, [0]);
      expect(chain.digest).not.toBe(commitment.digest);
      const forged = clone();
      forged.chunks[0] = await proveChunk(h, commitment, chain, 0, secret, queryId);
      forged.accs = chain.accs.map(String);
      forged.finalAcc = forged.accs.at(-1)!;
      const result = await verify(forged);
      expect(result.ok).toBe(false);
      expect(result.checks.at(-1)).toMatchObject({ what: "chunk 0", detail: "its root is not in the registered commitment" });
      // Claiming the registered chunk root for the changed rows: the proof no longer verifies.
      forged.chunks[0]!.chunkRoot = honest.chunks[0]!.chunkRoot;
      forged.chunks[0]!.path = honest.chunks[0]!.path;
      forged.chunks[0]!.publicSignals[0] = honest.chunks[0]!.chunkRoot;
      forged.accs = honest.accs;
      forged.finalAcc = honest.finalAcc;
      forged.chunks[0]!.publicSignals[1] = honest.accs[0]!;
      forged.chunks[0]!.publicSignals[2] = honest.accs[1]!;
      expect((await verify(forged)).checks.at(-1)).toMatchObject({ what: "chunk 0", detail: "the proof does not verify" });
    } finally {
      writeFileSync(file, csv(rows));
    }
  });

  it("fails a node that reports a different contribution or sum", async () => {
    const more = clone();
    more.rows = String(BigInt(honest.rows) + 1n);
    expect((await verify(more)).checks.at(-1)).toMatchObject({ what: "release", ok: false });
    // A chain whose step claims other totals (a different sum) does not match the proof of that step.
    const other = clone();
    other.accs[2] = String(accumulator(liteHasher, 1n, new Array<bigint>(GROUPS).fill(1n), new Array<bigint>(GROUPS).fill(1n)));
    expect((await verify(other)).checks.at(-1)).toMatchObject({ what: "chunk 1", detail: expect.stringMatching(/public signals/) });
    // Public signals edited to match that claim: the proof does not verify.
    other.chunks[1]!.publicSignals[2] = other.accs[2]!;
    expect((await verify(other)).checks.at(-1)).toMatchObject({ what: "chunk 1", detail: "the proof does not verify" });
  });

  it("refuses malformed proofs, wrong public signals and a key that is not the committed one", async () => {
    const bad = clone();
    (bad.chunks[0]!.proof.pi_a as string[]).pop();
    expect((await verify(bad)).checks[0]).toMatchObject({ what: "well-formed audit", ok: false });
    const junk = clone();
    junk.chunks[0]!.proof.pi_a[0] = "12345";
    expect((await verify(junk)).checks.at(-1)).toMatchObject({ what: "chunk 0", detail: "the proof does not verify" });
    const swapped = clone();
    swapped.chunks[0]!.publicSignals = [...swapped.chunks[0]!.publicSignals].reverse();
    expect((await verify(swapped)).checks.at(-1)?.detail).toMatch(/public signals/);
    const wrongKey = { keys: { ...keys.keys, chunk16: keys.keys.release! }, pins: keys.pins };
    expect((await verify(honest, wrongKey)).checks.at(-1)).toMatchObject({ what: "chunk16 verification key", ok: false });
    const missing = clone();
    missing.sample = [0, 1, 2, 3];
    expect((await verify(missing)).ok).toBe(false);
  });
});

describe("witnesses at the boundaries", () => {
  // The witness calculator prints every failed constraint; the failures here are expected.
  beforeAll(() => { vi.spyOn(console, "error").mockImplementation(() => {}); });
  afterAll(() => { vi.restoreAllMocks(); });
  const release = artifactPaths("release").wasm;
  const chunk = artifactPaths("chunk16").wasm;
  const witness = (input: Record<string, unknown>, wasm: string) => snarkjs.wtns.calculate(input, wasm, { type: "mem" });
  const zeros = () => new Array<string>(GROUPS).fill("0");

  function releaseInput(counts: bigint[], k: bigint, released: number[]) {
    const c = [...counts, ...new Array<bigint>(GROUPS - counts.length).fill(0n)];
    const sums = new Array<bigint>(GROUPS).fill(0n);
    const mask = [...released, ...new Array<number>(GROUPS - released.length).fill(0)];
    return {
      acc: String(accumulator(liteHasher, 9n, c, sums)), k: String(k), rows: String(c.reduce((a, x, j) => a + (mask[j] ? x : 0n), 0n)), released: mask,
      salt: "9", counts: c.map(String), sums: sums.map(String),
    };
  }

  it("release: a released group of k rows passes, k−1 fails; the range limits hold", async () => {
    await expect(witness(releaseInput([10n, 3n], 10n, [1, 0]), release)).resolves.toBeUndefined();
    await expect(witness(releaseInput([9n, 30n], 10n, [1, 1]), release)).rejects.toThrow();
    await expect(witness(releaseInput([9n, 30n], 10n, [0, 1]), release)).resolves.toBeUndefined(); // suppressed groups may be small
    const max = 2n ** 32n - 1n;
    await expect(witness(releaseInput([max], max, [1]), release)).resolves.toBeUndefined();
    await expect(witness(releaseInput([max + 1n], 1n, [1]), release)).rejects.toThrow(); // a count beyond 32 bits
    await expect(witness(releaseInput([5n], max + 1n, [0]), release)).rejects.toThrow(); // k beyond 32 bits
    await expect(witness({ ...releaseInput([5n], 1n, [1]), released: [2, ...new Array(GROUPS - 1).fill(0)] }, release)).rejects.toThrow(); // not a bit
    await expect(witness({ ...releaseInput([5n, 5n], 1n, [1, 1]), rows: "9" }, release)).rejects.toThrow();
  });

  function chunkInput(filter: bigint[], lo: bigint, hi: bigint, counted: boolean[], value = 7n) {
    const n = 16;
    const f = [...filter, ...new Array<bigint>(n - filter.length).fill(0n)];
    const g = [...filter.map(() => textCell("A")), ...new Array<bigint>(n - filter.length).fill(0n)];
    const v = [...filter.map(() => value), ...new Array<bigint>(n - filter.length).fill(0n)];
    const columns = [numericColumnCommitment(liteHasher, f), textColumnCommitment(liteHasher, g), numericColumnCommitment(liteHasher, v)];
    while (columns.length < MAX_COLUMNS) columns.push(0n);
    const codes = [textCell("A"), ...new Array<bigint>(GROUPS - 1).fill(UNUSED_CODE)];
    const counts = new Array<bigint>(GROUPS).fill(0n), sums = new Array<bigint>(GROUPS).fill(0n);
    counts[0] = BigInt(counted.filter(Boolean).length);
    sums[0] = counts[0] * value;
    const zero = new Array<bigint>(GROUPS).fill(0n);
    return {
      chunkRoot: String(chunkRoot(liteHasher, 5n, columns)), accIn: String(accumulator(liteHasher, 0n, zero, zero)), accOut: String(accumulator(liteHasher, 6n, counts, sums)),
      filterColumn: 0, groupColumn: 1, valueColumn: 2, lo: String(lo), hi: String(hi), codes: codes.map(String),
      salt: "5", columns: columns.map(String), filter: f.map(String), group: g.map(String), value: v.map(String),
      saltIn: "0", saltOut: "6", countsIn: zeros(), sumsIn: zeros(),
    };
  }

  it("chunk: the bounds are inclusive, one past them is out; cells and bounds are range-checked", async () => {
    const lo = OFFSET + 30n, hi = OFFSET + 60n;
    const cells = [lo - 1n, lo, hi, hi + 1n];
    await expect(witness(chunkInput(cells, lo, hi, [false, true, true, false]), chunk)).resolves.toBeUndefined();
    await expect(witness(chunkInput(cells, lo, hi, [true, true, true, false]), chunk)).rejects.toThrow(); // lo−1 counted
    await expect(witness(chunkInput(cells, lo, hi, [false, true, true, true]), chunk)).rejects.toThrow(); // hi+1 counted
    await expect(witness(chunkInput(cells, lo, hi, [false, true, false, false]), chunk)).rejects.toThrow(); // hi left out
    const max = 2n ** 32n - 1n;
    await expect(witness(chunkInput([max], 0n, max, [true], max), chunk)).resolves.toBeUndefined();
    await expect(witness(chunkInput([max + 1n], 0n, max, [true]), chunk)).rejects.toThrow(); // a cell beyond 32 bits
    await expect(witness(chunkInput([5n], 0n, max + 1n, [true]), chunk)).rejects.toThrow(); // a bound beyond 32 bits
    await expect(witness(chunkInput([5n], 0n, max, [true], max + 1n), chunk)).rejects.toThrow(); // a value beyond 32 bits
  });
});
