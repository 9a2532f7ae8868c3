/**
 * `npm run bench -- scale`: one holder with 10^8 rows in a Parquet file (10^6 with --quick),
 * generated once by DuckDB and cached in .data/bench-cache/. For 1, 64 and 1,024 groups: an
 * encrypted answer — the node's aggregate pushed into DuckDB (the Parquet connector), BFV
 * encryption, the signed response, the marketplace's sum and mask, the buyer's decryption —
 * against DuckDB's own plaintext GROUP BY of the same file, and the peak memory of doing it.
 *
 * The steps run in this process, without HTTP and the marketplace's database (the queries
 * benchmark measures those at smaller sizes); nothing is committed, as committing 10^8 rows at
 * the measured rate would take hours (docs/performance.md): the answer is not yet provable.
 */
import { existsSync, mkdirSync, renameSync } from "node:fs";
import path from "node:path";
import { computeVector, createConnector } from "@/computation/aggregate/index";
import { addCiphertexts, decryptVector, encryptVector, generateKeys, maskCiphertexts } from "@/core/he";
import type { AggregatePlan } from "@/core/protocol";
import { generateEd25519, privateKeyFromPem, signPayload } from "@/core/signing";
import { ms, now, peakRssMb, ratio, resetPeakRss, table, timeMedian } from "./lib/report";
import { CheckFailed } from "./queries/encrypted";

const G64 = Array.from({ length: 64 }, (_, i) => `a${String(i).padStart(2, "0")}`);
const G1024 = Array.from({ length: 1024 }, (_, i) => `b${String(i).padStart(4, "0")}`);
const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Row i: g64 and g1024 from hashes of i, v in 0.00 … 9999.99 (cents from a third hash). */
async function ensureParquet(rows: number): Promise<{ file: string; generatedMs: number | null }> {
  const dir = path.resolve(".data", "bench-cache");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `scale-${rows}.parquet`);
  if (existsSync(file)) return { file, generatedMs: null };
  const t = now();
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  try {
    const partial = `${file}.partial`;
    await con.run(`COPY (SELECT 'a' || lpad(CAST(hash(i) % 64 AS VARCHAR), 2, '0') AS g64,
                               'b' || lpad(CAST(hash(i + ${rows}) % 1024 AS VARCHAR), 4, '0') AS g1024,
                               CAST(hash(i + ${2 * rows}) % 1000000 AS DOUBLE) / 100 AS v
                        FROM range(${rows}) t(i)) TO ${quote(partial)} (FORMAT parquet)`);
    renameSync(partial, file); // a run cut short leaves no half-written cache
  } finally {
    con.closeSync();
    db.closeSync();
  }
  return { file, generatedMs: now() - t };
}

export async function runScaleBenchmark(opts: { quick: boolean; reps: number }): Promise<string> {
  const rows = opts.quick ? 1_000_000 : 100_000_000;
  const log = (m: string) => console.log(`[scale] ${m}`);
  const { file, generatedMs } = await ensureParquet(rows);
  log(generatedMs === null ? `using the cached ${file}` : `generated ${file} in ${ms(generatedMs)}`);

  const { DuckDBInstance } = await import("@duckdb/node-api");
  const duck = await DuckDBInstance.create(":memory:");
  const con = await duck.connect();
  const { publicKey, secretKey } = await generateKeys();
  const ed = generateEd25519();
  const signingKey = privateKeyFromPem(ed.privatePem);
  const results: string[][] = [];
  let peak = 0;
  try {
    for (const [label, values] of [["1", null], ["64", G64], ["1024", G1024]] as const) {
      const column = values === G64 ? "g64" : "g1024";
      const sql = values ? `SELECT ${column} AS g, count(*), sum(v) FROM read_parquet(${quote(file)}) GROUP BY 1` : `SELECT count(*), sum(v) FROM read_parquet(${quote(file)})`;
      const plainMs = await timeMedian(opts.reps, async () => { await con.runAndReadAll(sql); });
      // The exact answer to check against (not timed): counts and sums in cents, by group label.
      const exact = new Map((await con.runAndReadAll(values
        ? `SELECT ${column}, count(*), sum(CAST(round(v * 100) AS HUGEINT)) FROM read_parquet(${quote(file)}) GROUP BY 1`
        : `SELECT '', count(*), sum(CAST(round(v * 100) AS HUGEINT)) FROM read_parquet(${quote(file)})`)).getRows().map((r) => [String(r[0]), [BigInt(r[1] as bigint), BigInt(r[2] as bigint)]] as const));
      const plan: AggregatePlan = {
        dataset: "scale", groupBy: values ? [{ name: column, kind: "category", values: [...values] }] : [], filters: [],
        stats: [{ kind: "sum", column: "v", scale: 2 }], ranges: [{ column: "v", min: 0, max: 10_000 }], noise: null,
      };
      resetPeakRss();
      const before = peakRssMb("self");
      let decrypted: bigint[] = [];
      const encMs = await timeMedian(opts.reps, async () => {
        const connector = createConnector({ kind: "parquet", path: file });
        try {
          // the node: aggregate in DuckDB, encrypt, sign
          const { vector } = await computeVector(connector, plan);
          const ciphertexts = await encryptVector(publicKey, vector);
          const response = JSON.stringify(signPayload("node-response", { type: "aggregate-result", queryId: "scale", nodeId: ed.publicKey, maskedCounts: [], ciphertexts }, signingKey));
          // the marketplace: sum (one node) and mask nothing; the buyer: decrypt
          const parsed = JSON.parse(response) as { payload: { ciphertexts: string[] } };
          const summed = await addCiphertexts([parsed.payload.ciphertexts]);
          const masked = await maskCiphertexts(publicKey, summed, new Array<0 | 1>(vector.length).fill(1));
          decrypted = await decryptVector(secretKey, masked, vector.length);
        } finally {
          await connector.close();
        }
      });
      peak = Math.max(peak, peakRssMb("self"));
      // The same answer as DuckDB's, exactly: counts, and sums in cents, group by group.
      const labels = values ?? [""];
      labels.forEach((g, j) => {
        const [n, cents] = exact.get(g) ?? [0n, 0n];
        if (decrypted[j] !== n || decrypted[labels.length + j] !== cents) throw new CheckFailed(`scale, ${label} groups, group "${g}": encrypted ${decrypted[j]} rows / ${decrypted[labels.length + j]} cents, DuckDB ${n} / ${cents}`);
      });
      log(`${label} groups: encrypted ${ms(encMs)}, DuckDB plaintext ${ms(plainMs)} (${ratio(encMs / plainMs)}); peak RSS ${peakRssMb("self").toFixed(0)} MB (${before.toFixed(0)} MB before) ✓ exact`);
      results.push([label, ms(encMs), ms(plainMs), ratio(encMs / plainMs)]);
    }
  } finally {
    con.closeSync();
    duck.closeSync();
  }
  return [
    table(`Scale: one holder, ${rows.toLocaleString("en")} rows in Parquet (median of ${opts.reps} after a warm-up)`,
      ["groups", "encrypted answer", "DuckDB plaintext GROUP BY", "encrypted / plaintext (target ≤ 1.5×)"], results,
      ["Encrypted: the Parquet connector's aggregate in DuckDB, BFV encryption, the signed response, the marketplace's sum and mask, the buyer's decryption, in one process.",
        "Plaintext: the same count and sum by group in DuckDB over the same file, in this process. Both read the file afresh each run (the OS page cache is warm for both).",
        "Not provable: nothing is committed at this size (committing runs at a few thousand rows/s; docs/performance.md)."]),
    table("Scale: memory", ["process", "peak RSS", "target"], [["this process (DuckDB, SEAL, the node's and buyer's steps)", `${peak.toFixed(0)} MB`, "< 1 GB"]]),
  ].join("\n");
}
