/**
 * The demo holders' computation nodes: each gets its own folder under
 * <DATA_DIR>/nodes/<holder>/ with its data, its keys and its config, and runs as its own
 * process on a loopback port, exactly as a holder would run it next to its database.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { CLAIM_COLUMNS, CLAIM_PARQUET, CLAIM_SQL, claims, MAX_CLAIMS_PER_PATIENT, housingDeposits, socialContributions, taxRecords, writeCsv, writeParquet, writeSqlite } from "./generate";
import { claimsNodePolicy, holderKey, issueActivationCode, issueEnrolmentCode, personNodePolicy, taxNodePolicy } from "./holder";

export type DemoNodeSpec = {
  holder: string; name: string; dataset: string; rows: number;
  make: (file: string) => Promise<void>; file: string; connector: Record<string, unknown>;
  /** the holder's own policy for the dataset (in the node's config) */
  policy: () => object;
};

export const demoNodeSpecs: DemoNodeSpec[] = [
  { holder: "jinan-central-hospital", name: "central-hospital-node", dataset: "claims", rows: 50_000, file: "claims-by-patient.csv",
    connector: { kind: "csv", path: "claims-by-patient.csv" }, make: (f) => writeCsv(f, CLAIM_COLUMNS, claims(1, 50_000, 0)), policy: () => claimsNodePolicy({ rowsPerPatient: MAX_CLAIMS_PER_PATIENT }) },
  { holder: "jinan-second-hospital", name: "second-hospital-node", dataset: "claims", rows: 40_000, file: "claims-by-patient.sqlite",
    connector: { kind: "sqlite", path: "claims-by-patient.sqlite", table: "claims" }, make: (f) => writeSqlite(f, "claims", CLAIM_SQL, claims(2, 40_000, 2)), policy: () => claimsNodePolicy({ rowsPerPatient: MAX_CLAIMS_PER_PATIENT }) },
  // A columnar file, aggregated by DuckDB inside the holder's domain (computation/aggregate/duckdb.ts).
  { holder: "licheng-district-hospital", name: "licheng-hospital-node", dataset: "claims", rows: 30_000, file: "claims-by-patient.parquet",
    connector: { kind: "parquet", path: "claims-by-patient.parquet" }, make: (f) => writeParquet(f, CLAIM_PARQUET, claims(3, 30_000, 4)), policy: () => claimsNodePolicy({ rowsPerPatient: MAX_CLAIMS_PER_PATIENT }) },
  { holder: "jinan-tax", name: "tax-node", dataset: "enterprise_tax", rows: 20_000, file: "tax.sqlite",
    connector: { kind: "sqlite", path: "tax.sqlite", table: "enterprise_tax" },
    make: (f) => writeSqlite(f, "enterprise_tax", { district: "TEXT", industry: "TEXT", employees: "INTEGER", revenue: "INTEGER", tax_paid: "INTEGER", year: "INTEGER" }, taxRecords(4, 20_000)), policy: () => taxNodePolicy() },
  // Person-level records, released one at a time under consent (digital envelopes).
  { holder: "jinan-social-security", name: "social-security-node", dataset: "contributions", rows: 500, file: "contributions.csv",
    connector: { kind: "csv", path: "contributions.csv" }, make: (f) => writeCsv(f, ["subject_ref", "employer", "contribution_base", "months_paid", "last_month"], socialContributions(5, 500)), policy: () => personNodePolicy() },
  { holder: "jinan-housing-fund", name: "housing-fund-node", dataset: "deposits", rows: 500, file: "deposits.sqlite",
    connector: { kind: "sqlite", path: "deposits.sqlite", table: "deposits" },
    make: (f) => writeSqlite(f, "deposits", { subject_ref: "TEXT", monthly_deposit: "INTEGER", balance: "INTEGER", last_month: "TEXT" }, housingDeposits(6, 500)), policy: () => personNodePolicy() },
];

export type RunningNode = { spec: DemoNodeSpec; url: string; nodeId: string; agreementKey: string; process: ChildProcess; holderKeyFile: string };

/** The marketplace's public keys a node is configured with: requests' and the ledger's. */
export type MarketKeys = { market: string; ledger: string };

/** Write each demo node's data (once) and config (every time: the marketplace's keys may change). */
export async function prepareDemoNodes(dataDir: string, keys: MarketKeys): Promise<string[]> {
  const configs: string[] = [];
  for (const spec of demoNodeSpecs) {
    const dir = path.join(dataDir, "nodes", spec.holder);
    mkdirSync(dir, { recursive: true });
    const data = path.join(dir, spec.file);
    if (!existsSync(data)) await spec.make(data);
    const config = path.join(dir, "node.json");
    // The holder's signing key stays in its folder; the node trusts its public half for policy changes.
    const holder = await holderKey(path.join(dir, "holder-key.json"));
    writeFileSync(config, JSON.stringify({
      name: spec.name, listen: { host: "127.0.0.1", port: 0 }, keysDir: "keys", marketplacePublicKey: keys.market, ledgerPublicKey: keys.ledger,
      datasets: { [spec.dataset]: spec.connector }, policies: { [spec.dataset]: spec.policy() }, holderKeys: [holder.publicJwk],
    }, null, 2));
    configs.push(config);
  }
  return configs;
}

/** Start one node process and wait for its ready line. */
export function startNode(configFile: string, spec: DemoNodeSpec): Promise<RunningNode> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join("computation", "node", "main.ts"), "--config", configFile], {
    stdio: ["ignore", "pipe", "inherit"], env: { ...process.env },
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => { child.kill(); reject(new Error(`Node ${spec.name} did not start within 60 s.`)); }, 60_000);
    child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`Node ${spec.name} exited (${code}) before it was ready.`)); });
    lines.on("line", (line) => {
      try {
        const msg = JSON.parse(line) as { event?: string; url: string; nodeId: string; agreementKey: string };
        if (msg.event === "node-ready") {
          clearTimeout(timer);
          child.removeAllListeners("exit");
          resolve({ spec, url: msg.url, nodeId: msg.nodeId, agreementKey: msg.agreementKey, process: child, holderKeyFile: path.join(path.dirname(configFile), "holder-key.json") });
        }
      } catch { process.stdout.write(`[${spec.name}] ${line}\n`); }
    });
  });
}

export async function startDemoNodes(dataDir: string, keys: MarketKeys): Promise<RunningNode[]> {
  const configs = await prepareDemoNodes(dataDir, keys);
  return Promise.all(configs.map((c, i) => startNode(c, demoNodeSpecs[i]!)));
}

/** The demo citizens, known to the person-level holders by these references. */
export const DEMO_SUBJECTS = ["QC-SUBJ-0001", "QC-SUBJ-0002"];

/**
 * Activation codes the person-level holders issued to the demo citizens (issued once, kept in
 * each node's keysDir, where the node reads them). A real holder hands them out at a counter,
 * by post or in its own app; they never pass through the marketplace.
 */
export function demoActivationCodes(dataDir: string): { subjectRef: string; holder: string; code: string }[] {
  const out: { subjectRef: string; holder: string; code: string }[] = [];
  for (const spec of demoNodeSpecs.filter((s) => s.connector && (s.dataset === "contributions" || s.dataset === "deposits"))) {
    const keysDir = path.join(dataDir, "nodes", spec.holder, "keys");
    const file = path.join(keysDir, "activation-codes.json");
    const issued = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) as Record<string, string[]> : {};
    for (const subjectRef of DEMO_SUBJECTS) {
      const codes = issued[subjectRef] ?? [issueActivationCode(keysDir, subjectRef)];
      out.push({ subjectRef, holder: spec.holder, code: codes[codes.length - 1]! });
    }
  }
  return out;
}

/** Each demo node's enrolment code, with which its holder links a browser key from the console (issued once). */
export function demoEnrolmentCodes(dataDir: string): { holder: string; code: string }[] {
  return demoNodeSpecs.map((spec) => {
    const keysDir = path.join(dataDir, "nodes", spec.holder, "keys");
    const file = path.join(keysDir, "holder-codes.json");
    const codes = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) as string[] : [issueEnrolmentCode(keysDir)];
    return { holder: spec.holder, code: codes[codes.length - 1]! };
  });
}
