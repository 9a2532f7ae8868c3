/**
 * Benchmark of the encrypted aggregate query (BFV, computation/ + server/queries/) against
 * plaintext SQL and against a Paillier secure aggregation, on the same synthetic data:
 * {10^5, 10^6} rows split evenly over {1, 3, 8} nodes, SUM and AVG of v grouped by
 * nothing, g64 or g1024. Every result is checked against the exact plaintext answer; a
 * mismatch fails the run (CheckFailed).
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { nodePlan } from "@/core/protocol";
import { planQuery } from "@/server/queries/policy";
import { onCleanup } from "./lib/cleanup";
import { bytes, median, ms, now, peakRssMb, ratio, repeat, resetPeakRss, table } from "./lib/report";
import { baselineSql, duckdbSql, loadBaseline, loadDuckdbBaseline, type BaselineRow, type Numeric } from "./queries/baseline";
import { generateData, GROUPS, groupLabel, type DataSet, type Grouping, type Truth } from "./queries/data";
import { buyerQuery, CheckFailed, policy, startMarket, type E2eRun } from "./queries/encrypted";
import { computePaillier, PAILLIER_BITS, startPaillierPeer, type PaillierRun } from "./queries/paillier";
import { profileBinding, profileCommit, profileMarket, profileNode, profileTrust, type Step } from "./queries/profile";

export interface QueriesOptions {
  /** small sizes, for trying the benchmark out (not for the record) */
  quick: boolean;
  /** measured repetitions per cell, after one warm-up */
  reps: number;
  /** use PGlite for the baseline even when a PostgreSQL server is installed */
  pglite: boolean;
  /** a Paillier cell whose estimated time is above this is computed, not measured (ms) */
  paillierLimitMs: number;
  /** write V8 CPU profiles of the BFV node processes into this folder (they are written when the nodes stop) */
  cpuProf?: string;
}

const GROUPINGS: Grouping[] = ["none", "g64", "g1024"];
const started = now();
const log = (msg: string) => process.stderr.write(`[${((now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`);

const fmtRows = (r: number) => (Math.log10(r) % 1 === 0 ? `10^${Math.log10(r)}` : String(r));

function planFor(grouping: Grouping) {
  return nodePlan(planQuery(policy, buyerQuery(grouping)).plan, "bench");
}

type Cell = { rows: number; nodes: number; grouping: Grouping };

export async function runQueriesBenchmark(opts: QueriesOptions): Promise<string> {
  const rowCounts = opts.quick ? [10_000, 100_000] : [100_000, 1_000_000];
  const nodeCounts = [1, 3, 8];
  const maxRows = Math.max(...rowCounts), maxNodes = Math.max(...nodeCounts);
  const cells: Cell[] = rowCounts.flatMap((rows) => nodeCounts.flatMap((nodes) => GROUPINGS.map((grouping) => ({ rows, nodes, grouping }))));
  const key = (c: Cell) => `${c.rows}/${c.nodes}/${c.grouping}`;
  const out: string[] = [];
  const loadAtStart = loadavg()[0]!;

  const dir = mkdtempSync(path.join(tmpdir(), "bench-queries-"));
  onCleanup("remove the benchmark data folder", () => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755); // the PostgreSQL server (user postgres) reads the CSV files for COPY

  // ---------------------------------------------------------------------------------- data
  let t = now();
  const data: DataSet = generateData(dir, rowCounts, nodeCounts);
  log(`generated ${bytes(data.bytesWritten)} of CSV (${rowCounts.map(fmtRows).join(", ")} rows × ${nodeCounts.join("/")}-node splits) in ${ms(now() - t)}`);
  const truth = (rows: number): Truth => data.truth.get(rows)!;

  // ------------------------------------------------------------------------ plaintext SQL
  t = now();
  const sql = await loadBaseline(data, { forcePglite: opts.pglite });
  log(`baseline: ${sql.engine}; loaded in ${ms(now() - t)}`);
  const plain = new Map<string, Record<Numeric, number>>();
  for (const rows of rowCounts) {
    for (const grouping of GROUPINGS) {
      const times = {} as Record<Numeric, number>;
      for (const type of ["numeric", "float8"] as const) {
        const q = baselineSql(rows, grouping, type);
        const runs = await repeat(opts.reps, async () => {
          const t0 = now();
          const result = await sql.query<BaselineRow>(q);
          const elapsed = now() - t0;
          checkBaseline(result, grouping, truth(rows), type, `SQL ${type} ${fmtRows(rows)} ${grouping}`);
          return elapsed;
        });
        times[type] = median(runs);
      }
      plain.set(`${rows}/${grouping}`, times);
      log(`SQL ${fmtRows(rows)} rows, ${GROUPS[grouping]} groups: numeric ${ms(times.numeric)}, float8 ${ms(times.float8)}`);
    }
  }
  // The same GROUP BY in DuckDB, the columnar engine a node uses for Parquet: the faster engine is the baseline.
  t = now();
  const duck = await loadDuckdbBaseline(data);
  log(`baseline: ${duck.engine}; loaded in ${ms(now() - t)}`);
  const duckPlain = new Map<string, number>();
  for (const rows of rowCounts) {
    for (const grouping of GROUPINGS) {
      const best: number[] = [];
      for (const type of ["numeric", "float8"] as const) {
        const q = duckdbSql(rows, grouping, type);
        best.push(median(await repeat(opts.reps, async () => {
          const t0 = now();
          const result = await duck.query<BaselineRow>(q);
          const elapsed = now() - t0;
          checkBaseline(result, grouping, truth(rows), type, `DuckDB ${type} ${fmtRows(rows)} ${grouping}`);
          return elapsed;
        })));
      }
      duckPlain.set(`${rows}/${grouping}`, Math.min(...best));
      log(`DuckDB ${fmtRows(rows)} rows, ${GROUPS[grouping]} groups: ${ms(Math.min(...best))} (faster of DECIMAL and DOUBLE)`);
    }
  }
  const plainBest = (rows: number, grouping: Grouping) => Math.min(...Object.values(plain.get(`${rows}/${grouping}`)!), duckPlain.get(`${rows}/${grouping}`)!);

  // ----------------------------------------------------------------------------- BFV e2e
  t = now();
  const market = await startMarket(dir, data, { cpuProfDir: opts.cpuProf && path.resolve(opts.cpuProf) });
  log(`marketplace up and ${market.nodes.length} node processes started in ${ms(now() - t)}`);
  const peakReset = resetPeakRss();
  const setupRss = peakRssMb("self");
  const bfv = new Map<string, { runs: E2eRun[]; median: number }>();
  for (const c of cells) {
    const runs = await repeat(opts.reps, () => market.run(c.rows, c.nodes, c.grouping, truth(c.rows)));
    const m = median(runs.map((r) => r.total));
    bfv.set(key(c), { runs, median: m });
    log(`BFV ${fmtRows(c.rows)} rows, ${c.nodes} nodes, ${GROUPS[c.grouping]} groups: ${ms(m)} (runs ${runs.map((r) => ms(r.total)).join(", ")}) ✓ exact`);
  }
  const marketPeak = peakRssMb("self");
  const nodePeaks = market.nodes.map((n) => ({ name: n.spec.name, pid: n.process.pid!, mb: peakRssMb(n.process.pid!) }));
  log(`peak RSS: marketplace+buyer process ${marketPeak.toFixed(0)} MB; nodes ${nodePeaks.map((n) => n.mb.toFixed(0)).join(", ")} MB`);

  // ------------------------------------------------------------------------------ profile
  t = now();
  const plan1024 = planFor("g1024");
  const nodeProfileMany = await profileNode(data.file(maxRows, maxNodes, 0), plan1024, market.publicKey, maxNodes, opts.reps);
  const nodeProfileOne = await profileNode(data.file(maxRows, 1, 0), plan1024, market.publicKey, 1, opts.reps);
  const marketProfile = await profileMarket(market.db, plan1024, nodeProfileMany.vector, market, maxNodes, opts.reps);
  const trustProfile = await profileTrust(market.db, path.join(dir, "trust-profile"), opts.reps);
  const binding = await profileBinding(data.file(maxRows, 1, 0), dir, opts.reps);
  const commit = await profileCommit(data.file(maxRows, maxNodes, 0), dir);
  const commitRate = commit.rows / (commit.ms / 1000);
  log(`committed ${commit.rows.toLocaleString("en")} rows in ${ms(commit.ms)} (${Math.round(commitRate).toLocaleString("en")} rows/s, one core); recommitted after appending ${commit.appended} rows in ${ms(commit.recommitMs)}`);
  log(`profiled the steps in ${ms(now() - t)}`);
  await market.stopNodes();

  // ----------------------------------------------------------------------------- Paillier
  t = now();
  const peer = await startPaillierPeer(maxNodes);
  const cores = availableParallelism();
  log(`Paillier peer: ${maxNodes} node processes, ${PAILLIER_BITS}-bit key; per op: encrypt ${ms(peer.perOp.encrypt)}, add ${ms(peer.perOp.add)}, decrypt ${ms(peer.perOp.decrypt)} (${ms(now() - t)})`);
  const files = (c: Cell) => Array.from({ length: c.nodes }, (_, i) => data.file(c.rows, c.nodes, i));
  const SAMPLE = 32;
  type PaillierCell = { ms: number; how: "measured" | "computed"; runs: number; last: PaillierRun; model: number; plainWall: number };
  const paillier = new Map<string, PaillierCell>();
  await peer.run(files(cells[0]!), planFor("none"), "none", truth(cells[0]!.rows)); // warm-up of the node processes
  for (const c of cells) {
    const plan = planFor(c.grouping);
    const values = 2 * GROUPS[c.grouping];
    // The same run without encrypting anything: local aggregation and transfer, measured.
    const plainWall = median((await repeat(opts.reps, () => peer.run(files(c), plan, c.grouping, truth(c.rows), 0), false)).map((r) => r.wall));
    const model = computePaillier(peer.perOp, { nodes: c.nodes, values, cores, plainWall });
    if (model <= opts.paillierLimitMs) {
      const reps = model <= 5000 ? opts.reps : 1;
      const runs = await repeat(reps, () => peer.run(files(c), plan, c.grouping, truth(c.rows)), reps > 1);
      paillier.set(key(c), { ms: median(runs.map((r) => r.wall)), how: "measured", runs: reps, last: runs.at(-1)!, model, plainWall });
    } else {
      // Too long to measure: check encryption, sum and decryption on the first values, compute the time.
      const sampled = await peer.run(files(c), plan, c.grouping, truth(c.rows), SAMPLE);
      paillier.set(key(c), { ms: model, how: "computed", runs: 0, last: sampled, model, plainWall });
    }
    const p = paillier.get(key(c))!;
    log(`Paillier ${fmtRows(c.rows)} rows, ${c.nodes} nodes, ${GROUPS[c.grouping]} groups: ${ms(p.ms)} ${p.how === "measured" ? `measured (${p.runs} run${p.runs > 1 ? "s, median" : ""}; model ${ms(model)})` : `computed (${ms(plainWall)} measured without encryption + per-op model; ${SAMPLE} values per node checked)`} ✓ exact`);
  }
  const paillierPeaks = peer.pids().map((pid) => peakRssMb(pid));
  log(`Paillier done in ${ms(now() - t)}`);

  // ------------------------------------------------------------------------------ report
  out.push(`Machine: ${cores} cores (${cpuModel()}), Node ${process.version}. Baseline engine: ${sql.engine} [${sql.settings}].`);
  out.push(`1-minute load average at the start / end of the run: ${loadAtStart.toFixed(1)} / ${loadavg()[0]!.toFixed(1)} (above ${cores}, other work shared the cores and the figures are noisier).`);
  out.push(`Each figure is the median of ${opts.reps} runs after one warm-up unless marked. Every encrypted, Paillier and SQL result was checked equal to the exact plaintext answer.`);

  out.push(table("End-to-end latency: encrypted (BFV) vs plaintext SQL vs Paillier peer",
    ["rows", "nodes", "groups", "BFV e2e", "SQL numeric", "SQL float8", "DuckDB", "BFV / faster plaintext", "Paillier e2e", "Paillier / BFV", "Paillier figure"],
    cells.map((c) => {
      const b = bfv.get(key(c))!.median, p = paillier.get(key(c))!, s = plain.get(`${c.rows}/${c.grouping}`)!;
      return [fmtRows(c.rows), String(c.nodes), String(GROUPS[c.grouping]), ms(b), ms(s.numeric), ms(s.float8), ms(duckPlain.get(`${c.rows}/${c.grouping}`)!), ratio(b / plainBest(c.rows, c.grouping)), ms(p.ms), ratio(p.ms / b),
        p.how === "measured" ? (p.runs > 1 ? `measured, median of ${p.runs}` : "measured, 1 run") : "computed from measured per-op times"];
    }),
    [
      "BFV e2e: submitQuery → claimNextJob → runQueryJob (signed requests to real node processes over HTTP; each node reads its CSV, aggregates, masks its counts, encrypts, signs;",
      "  the marketplace verifies, unmasks the counts, adds and masks the ciphertexts, stores the result) → getQuery → decryptVector + decodeResult. Buyer key generation is not included.",
      "SQL: the same SUM and AVG (GROUP BY) over all rows in one table, v as numeric(7,2) or float8, timed at the client (pg). DuckDB: the same in one in-memory DuckDB table",
      "  (the faster of DECIMAL(7,2) and DOUBLE), in this process. BFV / faster plaintext divides by the fastest of the three.",
      `Paillier e2e: the same local aggregation in ${maxNodes} long-lived node processes, ${PAILLIER_BITS}-bit paillier-bigint encryption of every count and sum, hex over IPC, product of ciphertexts, decryption of every slot.`,
      `  "computed": too long to measure in full. Time = the same run without encryption (measured: aggregation, transfer) + nodes × values × encrypt / min(nodes, ${cores} cores)`,
      `  + values × ((nodes − 1) × add + decrypt), with the per-op times below. Perfect use of the cores makes it a lower bound (see the check table), so Paillier / BFV is conservative.`,
      `  Its correctness is checked on a run that encrypts, sums and decrypts the first ${SAMPLE} values per node.`,
      `Paillier per op (${PAILLIER_BITS}-bit key, one process): encrypt ${ms(peer.perOp.encrypt)}, add (multiply mod n²) ${ms(peer.perOp.add)}, decrypt (CRT) ${ms(peer.perOp.decrypt)}.`,
    ]));

  const modelChecks = cells.filter((c) => paillier.get(key(c))!.how === "measured" && c.grouping !== "none");
  if (modelChecks.length) {
    out.push(table("Check of the Paillier model on the cells measured in full",
      ["rows", "nodes", "groups", "measured", "model (as for computed cells)", "model / measured"],
      modelChecks.map((c) => {
        const p = paillier.get(key(c))!;
        return [fmtRows(c.rows), String(c.nodes), String(GROUPS[c.grouping]), ms(p.ms), ms(p.model), ratio(p.model / p.ms)];
      })));
  }

  const phaseCells = cells.filter((c) => c.rows === maxRows);
  out.push(table(`Where the BFV end-to-end time goes (${fmtRows(maxRows)} rows, median of each phase)`,
    ["nodes", "groups", "submit", "nodes answer", "marketplace", "fetch", "decrypt", "total", "slowest node round trip"],
    phaseCells.map((c) => {
      const runs = bfv.get(key(c))!.runs;
      const m = (f: (r: E2eRun) => number) => ms(median(runs.map(f)));
      return [String(c.nodes), String(GROUPS[c.grouping]), m((r) => r.submit), m((r) => r.nodes), m((r) => r.market), m((r) => r.fetch), m((r) => r.decrypt), m((r) => r.total), m((r) => Math.max(...r.perNode.map((n) => n.roundTrip)))];
    }),
    [
      "submit: policy check, the buyer key's validation (one BFV encryption), the job row. nodes answer: claim + signed requests until the last answer is parsed.",
      "marketplace: signature checks, count unmasking, addCiphertexts, maskCiphertexts, storing the result (PGlite). fetch: getQuery. decrypt: decryptVector + decodeResult.",
    ]));

  const many = nodeProfileMany.steps, one = nodeProfileOne.steps;
  out.push(table(`A node's steps timed alone in one process (1024 groups; median of ${opts.reps} after a warm-up)`,
    ["step", `${fmtRows(maxRows / maxNodes)} rows (1 of ${maxNodes} nodes)`, `${fmtRows(maxRows)} rows (1 node)`],
    [
      ...many.map((s, i) => [s.step, ms(s.ms), ms(one[i]!.ms)]),
      ["sum of the steps that run per request (all but the two partial reads)", ...[many, one].map((steps) => ms(steps.filter((s) => !/^read (the file|\+ parse CSV)/.test(s.step)).reduce((a, s) => a + s.ms, 0)))],
    ],
    ["The node also answers over HTTP and writes the request nonce to its replay log (not timed here). In the end-to-end runs the nodes share the machine's cores with each other and the marketplace."]));
  // The unprovable answer at maxRows on one node: its per-request steps, with the source's own aggregate in place of the CSV one.
  const perRequest = one.filter((s) => !/^read (the file|\+ parse CSV)/.test(s.step));
  const unprovable = (aggregate: number) => perRequest.reduce((a, s) => a + (/computeVector/.test(s.step) ? aggregate : s.ms), 0);
  out.push(table(`Binding a provable answer (${fmtRows(maxRows)} rows, 1 node; 12 groups of g64, v between 10 and 90, SUM(v); median of ${opts.reps})`,
    ["source", "aggregate (computeVector)", "bind by walking the cells (before)", "bind by the engine + one sponge (now)", "the unprovable answer's steps", "binding now / unprovable answer (target ≤ 20 %)"],
    binding.map((b) => [b.source, ms(b.aggregate), ms(b.walk), ms(b.engine), ms(unprovable(b.aggregate)), `${((100 * b.engine) / unprovable(b.aggregate)).toFixed(0)} %`]),
    ["The unprovable answer's steps: parse + verify the request, the aggregate over this source, mask, encryptVector, sign (the node table above, 1 node).",
      "Both bindings give the same final commitment (checked). Where the source has no fingerprint (PostgreSQL) or a filter or value column has missing values, the node still walks the cells."]));
  out.push(table(`The marketplace's and the buyer's steps timed alone (${maxNodes} nodes, 1024 groups; median of ${opts.reps} after a warm-up)`,
    ["side", "step", "time"],
    marketProfile.map((s: Step) => [s.side, s.step, ms(s.ms)])));
  // The trust checks against the end-to-end time of the largest cell (nodes check in parallel: one node's share counts once).
  const largest = bfv.get(key(cells.find((c) => c.rows === maxRows && c.nodes === maxNodes && c.grouping === "g1024")!))!.median;
  const trustMs = trustProfile.reduce((a, s) => a + s.ms, 0);
  out.push(table(`What the trust checks add (a query's buyer signature, ledger evidence, the node's own policy and journal; median of ${opts.reps})`,
    ["side", "step", "time"],
    [...trustProfile.map((s: Step) => [s.side, s.step, ms(s.ms)]),
      ["", `total, against the end-to-end ${ms(largest)} at ${fmtRows(maxRows)} rows × ${maxNodes} nodes × 1024 groups`, `${ms(trustMs)} (${((100 * trustMs) / largest).toFixed(1)} %; target ≤ 10 %)`]],
    ["The end-to-end figures above include these steps: they ran in every query (the buyer signed each, every node checked the evidence and its policy)."]));

  const bytesRows = GROUPINGS.map((grouping) => {
    const c = cells.find((x) => x.grouping === grouping && x.nodes === maxNodes && x.rows === maxRows)!;
    const r = bfv.get(key(c))!.runs.at(-1)!;
    const p = paillier.get(key(c))!.last;
    const pChars = p.ciphertextChars * p.values;
    return [String(GROUPS[grouping]), String(r.chunks), bytes(median(r.perNode.map((n) => n.ciphertext))), bytes(median(r.perNode.map((n) => n.response))), bytes(median(r.perNode.map((n) => n.request))),
      bytes(r.download), String(p.values), bytes(pChars), bytes(pChars)];
  });
  out.push(table("Bytes on the wire per query",
    ["groups", "BFV ciphertexts", "BFV upload per node (ciphertexts)", "BFV node response (all JSON)", "request to each node", "BFV buyer download", "Paillier ciphertexts per node", "Paillier upload per node", "Paillier buyer download"],
    bytesRows,
    [
      "BFV figures are base64 characters as sent (zlib-compressed SEAL serialisation); one ciphertext holds 8192 slots, so 1, 64 and 1024 groups (2 slots per group) all fit one.",
      "The request to each node carries the buyer's BFV public key. The buyer download is the masked sum (mod-switched to the last level, about half a fresh ciphertext).",
      `Paillier: one ${PAILLIER_BITS * 2}-bit ciphertext per value, sent as hex (${bytes(PAILLIER_BITS / 2)} each; half that in binary).`,
    ]));

  const maxNode = Math.max(...nodePeaks.map((n) => n.mb));
  out.push(table("Peak memory (VmHWM from /proc/<pid>/status after all runs)",
    ["process", "peak RSS"],
    [
      ...nodePeaks.map((n, i) => [`BFV node ${i} (${nodeCounts.filter((k) => i < k).length * rowCounts.length} data sets${i === 0 ? `, incl. all ${fmtRows(maxRows)} rows alone` : ""})`, `${n.mb.toFixed(0)} MB`]),
      [`marketplace + buyer (this process: PGlite, Prisma, SEAL; during the BFV runs${peakReset ? `; peak reset after set-up, when RSS was ${setupRss.toFixed(0)} MB` : "; includes set-up"})`, `${marketPeak.toFixed(0)} MB`],
      ["Paillier node processes (max)", `${Math.max(...paillierPeaks).toFixed(0)} MB`],
    ]));

  const t1 = cells.filter((c) => c.rows === maxRows && c.nodes === maxNodes).map((c) => ({ c, r: bfv.get(key(c))!.median / plainBest(c.rows, c.grouping) }));
  const t2 = cells.filter((c) => c.grouping === "g1024").map((c) => ({ c, r: paillier.get(key(c))!.ms / bfv.get(key(c))!.median }));
  const verdict = (ok: boolean) => (ok ? "MET" : "MISSED");
  out.push(table("Design targets (reported, not asserted)",
    ["target", "measured", "verdict"],
    [
      [`encrypted / plaintext ≤ 3× at ${fmtRows(maxRows)} rows, ${maxNodes} nodes`, t1.map(({ c, r }) => `${GROUPS[c.grouping]} groups ${ratio(r)}`).join("; "), verdict(t1.every((x) => x.r <= 3))],
      ["≥ 10× faster than the Paillier peer at 1024 groups", `${ratio(Math.min(...t2.map((x) => x.r)))} … ${ratio(Math.max(...t2.map((x) => x.r)))}`, verdict(t2.every((x) => x.r >= 10))],
      ["peak node memory < 500 MB", `${maxNode.toFixed(0)} MB`, verdict(maxNode < 500)],
      ["peak marketplace memory < 500 MB", `${marketPeak.toFixed(0)} MB`, verdict(marketPeak < 500)],
      [`committing ≥ 10,000 rows/s (${commit.rows.toLocaleString("en")} rows, one core, chunks of 16)`, `${Math.round(commitRate).toLocaleString("en")} rows/s; after appending ${commit.appended} rows, recommitted in ${ms(commit.recommitMs)}`, verdict(commitRate >= 10_000)],
      ...binding.map((b) => [`binding ≤ 20 % of the unprovable answer (${b.source})`, `${((100 * b.engine) / unprovable(b.aggregate)).toFixed(0)} %`, verdict(b.engine <= 0.2 * unprovable(b.aggregate))]),
    ]));
  return out.join("\n");
}

function checkBaseline(rows: BaselineRow[], grouping: Grouping, truth: Truth, type: Numeric, what: string) {
  const G = GROUPS[grouping];
  if (rows.length !== G) throw new CheckFailed(`${what}: ${rows.length} groups, expected ${G}`);
  const byLabel = new Map(rows.map((r) => [r.g, r]));
  for (let g = 0; g < G; g++) {
    const r = byLabel.get(groupLabel(grouping, g));
    const n = truth.counts[grouping][g]!, s = truth.sums[grouping][g]!;
    const cents = r && (type === "numeric" ? Number(r.s.replace(".", "")) : Number(r.s) * 100);
    if (!r || Number(r.n) !== n || cents === undefined || Math.abs(cents - s) > (type === "numeric" ? 0 : 2)) {
      throw new CheckFailed(`${what}: group ${g} = ${JSON.stringify(r)}; plaintext count ${n} sum ${s} (cents)`);
    }
  }
}

function cpuModel(): string {
  try {
    return readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.+)/)?.[1]?.trim() ?? "unknown CPU";
  } catch {
    return "unknown CPU";
  }
}
