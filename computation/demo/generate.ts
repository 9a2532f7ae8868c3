/**
 * Demo data of realistic shape for the demo holders, generated deterministically (same
 * seed, same files) into each holder's own folder: hospital claim records (CSV or SQLite)
 * and tax records. Fictional: no real person is in it.
 */
import { createWriteStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import initSqlJs from "sql.js";

import { DISTRICTS, MAX_CLAIMS_PER_PATIENT } from "./districts";

export { DISTRICTS, MAX_CLAIMS_PER_PATIENT };
const DISTRICT_WEIGHTS = [0.14, 0.13, 0.11, 0.1, 0.17, 0.07, 0.11, 0.06, 0.08, 0.03];
export const DIAGNOSES = ["circulatory", "respiratory", "digestive", "musculoskeletal", "injury", "neoplasm", "maternity", "other"];
export const INDUSTRIES = ["manufacturing", "retail", "construction", "software", "logistics", "catering", "agriculture", "finance"];

/** mulberry32: a small, fast, seedable PRNG (not for secrets; demo data only). */
export function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T,>(r: () => number, items: T[], weights?: number[]) => {
  if (!weights) return items[Math.floor(r() * items.length)]!;
  let x = r();
  for (let i = 0; i < items.length; i++) { x -= weights[i]!; if (x <= 0) return items[i]!; }
  return items[items.length - 1]!;
};
const normal = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

export type Claim = { patient_ref: string; district: string; age: number; sex: "F" | "M"; diagnosis: string; claim_amount: number; month: string };

/**
 * `rows` claims of patients of one hospital (`seed`): each patient (H<seed>-P<n>, an opaque
 * reference) has a district, age and sex and 1 to MAX_CLAIMS_PER_PATIENT claims.
 */
export function* claims(seed: number, rows: number, districtBias = 0): Generator<Claim> {
  const r = prng(seed);
  const weights = DISTRICT_WEIGHTS.map((w, j) => (j === districtBias ? w * 3 : w));
  const total = weights.reduce((a, b) => a + b, 0);
  let made = 0;
  for (let patient = 1; made < rows; patient++) {
    const age = Math.min(99, Math.max(0, Math.round(44 + 21 * normal(r))));
    const sex = r() < 0.52 ? "F" as const : "M" as const;
    const district = pick(r, DISTRICTS, weights.map((w) => w / total));
    const n = 1 + Math.floor(r() * MAX_CLAIMS_PER_PATIENT);
    for (let k = 0; k < n && made < rows; k++, made++) {
      const diagnosis = pick(r, DIAGNOSES);
      // Log-normal amounts, older patients and some diagnoses cost more; capped at the policy's range.
      const base = 6.6 + age * 0.012 + (diagnosis === "neoplasm" ? 1.4 : diagnosis === "circulatory" ? 0.6 : 0);
      const amount = Math.min(200_000, Math.round(Math.exp(base + 0.9 * normal(r)) * 100) / 100);
      yield { patient_ref: `H${seed}-P${patient}`, district, age, sex, diagnosis, claim_amount: amount, month: `2026-${String(1 + Math.floor(r() * 10)).padStart(2, "0")}` };
    }
  }
}

const csvCell = (v: string | number) => (typeof v === "number" ? String(v) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export async function writeCsv(file: string, header: string[], rows: Iterable<Record<string, string | number>>) {
  const out = createWriteStream(file);
  out.write(header.join(",") + "\n");
  let buf = "";
  for (const row of rows) {
    buf += header.map((h) => csvCell(row[h]!)).join(",") + "\n";
    if (buf.length > 1 << 16) { if (!out.write(buf)) await new Promise<void>((r) => out.once("drain", () => r())); buf = ""; }
  }
  out.write(buf);
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

export async function writeSqlite(file: string, table: string, columns: Record<string, "TEXT" | "REAL" | "INTEGER">, rows: Iterable<Record<string, string | number>>) {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  try {
    const names = Object.keys(columns);
    db.run(`CREATE TABLE "${table}" (${names.map((n) => `"${n}" ${columns[n]}`).join(", ")})`);
    const stmt = db.prepare(`INSERT INTO "${table}" VALUES (${names.map(() => "?").join(", ")})`);
    db.run("BEGIN");
    for (const row of rows) stmt.run(names.map((n) => row[n]!));
    db.run("COMMIT");
    stmt.free();
    await writeFile(file, db.export());
  } finally {
    db.close();
  }
}

/** The rows as a Parquet file (written by DuckDB, columns typed as in `columns`). */
export async function writeParquet(file: string, columns: Record<string, "VARCHAR" | "DOUBLE" | "BIGINT">, rows: Iterable<Record<string, string | number>>) {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  try {
    const names = Object.keys(columns);
    const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
    await con.run(`CREATE TABLE t (${names.map((n) => `${q(n)} ${columns[n]}`).join(", ")})`);
    const appender = await con.createAppender("t");
    for (const row of rows) {
      for (const n of names) {
        const v = row[n]!;
        if (columns[n] === "VARCHAR") appender.appendVarchar(String(v));
        else if (columns[n] === "BIGINT") appender.appendBigInt(BigInt(v));
        else appender.appendDouble(Number(v));
      }
      appender.endRow();
    }
    appender.closeSync();
    await con.run(`COPY t TO '${file.replace(/'/g, "''")}' (FORMAT parquet)`);
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

export function* taxRecords(seed: number, rows: number) {
  const r = prng(seed);
  for (let i = 0; i < rows; i++) {
    const industry = pick(r, INDUSTRIES);
    const revenue = Math.round(Math.exp(13 + 1.3 * normal(r)));
    yield {
      district: pick(r, DISTRICTS, DISTRICT_WEIGHTS), industry, employees: Math.max(1, Math.round(Math.exp(2.5 + normal(r)))),
      revenue: Math.min(1e9, revenue), tax_paid: Math.min(1e8, Math.round(revenue * (0.02 + 0.04 * r()))), year: 2025,
    };
  }
}

/**
 * Person-level records keyed by the subject's opaque identifier (QC-SUBJ-0001 is Zhang Wei,
 * 0002 Li Na in the demo world; the rest are synthetic people). Read one at a time, only under
 * the person's consent.
 */
export function* socialContributions(seed: number, people: number) {
  const r = prng(seed);
  for (let i = 1; i <= people; i++) {
    yield { subject_ref: `QC-SUBJ-${String(i).padStart(4, "0")}`, employer: pick(r, ["Jinan Steel", "Quancheng Software", "Lixia Hospital", "Shandong Rail", "Baotu Foods"]),
      contribution_base: Math.round(4000 + 20000 * r()), months_paid: Math.floor(12 + 240 * r()), last_month: "2026-10" };
  }
}
export function* housingDeposits(seed: number, people: number) {
  const r = prng(seed);
  for (let i = 1; i <= people; i++) {
    const monthly = Math.round(300 + 3000 * r());
    yield { subject_ref: `QC-SUBJ-${String(i).padStart(4, "0")}`, monthly_deposit: monthly, balance: monthly * Math.floor(6 + 120 * r()), last_month: "2026-10" };
  }
}

export const CLAIM_COLUMNS = ["patient_ref", "district", "age", "sex", "diagnosis", "claim_amount", "month"];
export const CLAIM_SQL = { patient_ref: "TEXT", district: "TEXT", age: "INTEGER", sex: "TEXT", diagnosis: "TEXT", claim_amount: "REAL", month: "TEXT" } as const;
export const CLAIM_PARQUET = { patient_ref: "VARCHAR", district: "VARCHAR", age: "BIGINT", sex: "VARCHAR", diagnosis: "VARCHAR", claim_amount: "DOUBLE", month: "VARCHAR" } as const;
