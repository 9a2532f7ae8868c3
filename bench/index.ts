/**
 * `npm run bench [-- <name>… ] [--quick] [--reps N] [--pglite] [--cpu-prof DIR] [--paillier-limit S]`: run the benchmarks
 * (all of them in turn: queries, catalog, ledger, proofs, scale, load; or only the named ones: `npm run bench -- catalog`) and print their tables. Each benchmark registers everything it starts with onCleanup, so
 * processes, servers and temp folders go away on success, failure and Ctrl-C alike.
 * A benchmark whose results are wrong (CheckFailed) makes the run exit with status 1.
 *
 * To add a benchmark: write bench/<name>.ts exporting an async function that returns its
 * report as text, and add it to `benchmarks` below.
 */
import { parseArgs } from "node:util";
import { runCleanup } from "./lib/cleanup";
import { runCatalogBenchmark } from "./catalog";
import { runLedgerBenchmark } from "./ledger";
import { runQueriesBenchmark } from "./queries";
import { runProofsBenchmark } from "./proofs";
import { runScaleBenchmark } from "./scale";
import { runLoadBenchmark } from "./load";

type Options = { quick: boolean; reps: number; pglite: boolean; cpuProf?: string; paillierLimit: number };

const benchmarks: { name: string; about: string; run: (o: Options) => Promise<string> }[] = [
  {
    name: "queries",
    about: "encrypted aggregate query (BFV) end to end vs plaintext SQL vs a Paillier peer",
    run: (o) => runQueriesBenchmark({ ...o, paillierLimitMs: o.paillierLimit * 1000 }),
  },
  {
    name: "catalog",
    about: "catalog search through the API with 100,000 resources + 10,000 products, on PGlite and PostgreSQL (p95 < 100 ms)",
    run: (o) => runCatalogBenchmark(o),
  },
  {
    name: "ledger",
    about: "transparency ledger: appends/s with integrate() batches (≥ 2,000/s), proofs at 10^6 leaves (< 5 ms), on PGlite and PostgreSQL",
    run: (o) => runLedgerBenchmark(o),
  },
  {
    name: "proofs",
    about: "Groth16 circuits per chunk size (constraints, witness, prove, verify, size) and an audit of a 10^5-row resource with 1% spot checks",
    run: (o) => runProofsBenchmark(o),
  },
  {
    name: "scale",
    about: "one holder with 10^8 rows in Parquet (10^6 with --quick; generated once, cached in .data/bench-cache): encrypted answer vs DuckDB's plaintext GROUP BY at 1, 64, 1,024 groups, peak memory",
    run: (o) => runScaleBenchmark(o),
  },
  {
    name: "load",
    about: "the whole app under load on PostgreSQL and PGlite: catalog search, product pages, orders, ledger proofs, encrypted query streams; p50/p95/p99, errors, lost writes (search ≥ 400 req/s, p99 < 250 ms)",
    run: (o) => runLoadBenchmark(o),
  },
];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: "boolean", default: false },
    reps: { type: "string", default: "3" },
    pglite: { type: "boolean", default: false },
    "cpu-prof": { type: "string" },
    "paillier-limit": { type: "string", default: "60" },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log("npm run bench -- [name…] [--quick] [--reps N] [--pglite] [--cpu-prof DIR] [--paillier-limit S]\n");
  console.log("  --quick          small sizes, to try it out (not for the record)");
  console.log("  --reps N         measured runs per cell after one warm-up (default 3); catalog: measured passes over the query mix");
  console.log("  --pglite         plaintext baseline on PGlite even when a PostgreSQL server is installed; catalog: PGlite only");
  console.log("  --cpu-prof DIR   write V8 CPU profiles into DIR: queries, of the computation nodes; load, of a web process serving search (summarised in the report)");
  console.log("  --paillier-limit S  measure a Paillier cell in full only when its estimate is ≤ S seconds (default 60); compute it otherwise\n");
  for (const b of benchmarks) console.log(`  ${b.name.padEnd(10)} ${b.about}`);
  process.exit(0);
}

const selected = positionals.length ? benchmarks.filter((b) => positionals.includes(b.name)) : benchmarks;
const unknown = positionals.filter((p) => !benchmarks.some((b) => b.name === p));
if (unknown.length) {
  console.error(`Unknown benchmark(s): ${unknown.join(", ")}. Known: ${benchmarks.map((b) => b.name).join(", ")}.`);
  process.exit(2);
}
const reps = Number(values.reps);
const paillierLimit = Number(values["paillier-limit"]);
if (!Number.isInteger(reps) || reps < 1 || !(paillierLimit >= 0)) {
  console.error("--reps takes a positive integer, --paillier-limit a number of seconds");
  process.exit(2);
}

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: cleaning up…`);
    void runCleanup().finally(() => process.exit(130));
  });
}

let status = 0;
for (const b of selected) {
  const t = performance.now();
  try {
    const report = await b.run({ quick: values.quick, reps, pglite: values.pglite, cpuProf: values["cpu-prof"], paillierLimit });
    console.log(`\n## Benchmark: ${b.name}${values.quick ? " (--quick: small sizes, not for the record)" : ""}\n`);
    console.log(report);
    console.log(`\n(${b.name}: ${((performance.now() - t) / 1000).toFixed(0)} s)`);
  } catch (e) {
    status = 1;
    const err = e as Error;
    console.error(`\n✖ Benchmark ${b.name} failed${err.name === "Error" ? "" : ` (${err.constructor.name})`}: ${err.message}`);
    if (err.constructor.name !== "CheckFailed") console.error(err.stack);
  } finally {
    await runCleanup();
  }
}
process.exit(status);
