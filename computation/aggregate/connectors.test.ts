/**
 * The three connectors must give identical vectors on the same data. One generated
 * dataset (a few thousand rows with nulls, negative values, ties at .5, large values,
 * Unicode, separators inside values, an awkward column name) is written as a CSV file, an
 * SQLite file (sql.js), a PGlite table and, when the test server is there, a real
 * PostgreSQL table; every plan runs on all of them and on a naive reference.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import initSqlJs from "sql.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { blockWidths, groupCount, type AggregatePlan } from "@/core/protocol";
import {
  AggregateError, type AggregateOptions, compareCodePoints, createConnector, CsvConnector, PostgresConnector, preparePlan, SqliteConnector,
  type Connector, type LocalAggregate,
} from "./connectors";
import { prng } from "../demo/generate";

type V = string | number | null;
type Row = Record<string, V>;


/** The CSV connector's JavaScript path (where DuckDB cannot load), held to the same answers as its DuckDB one. */
class CsvRowsConnector extends CsvConnector {
  override aggregate(plan: AggregatePlan, options: AggregateOptions = {}) { return this.aggregateRows(preparePlan(plan), options); }
}

const WEIRD = 'we"ird, col';
const REGIONS = ["north", "south", "east", "west", "ÉLan", "𝔘nicode", "\uE000pua", 'a,b "quoted"', "multi\nline"];
// column → [SQLite type, PostgreSQL type, DuckDB type]
const COLUMNS: Record<string, [string, string, string]> = {
  id: ["INTEGER", "int8", "BIGINT"], region: ["TEXT", "text", "VARCHAR"], age: ["INTEGER", "int2", "SMALLINT"], income: ["REAL", "numeric(14,2)", "DECIMAL(14,2)"],
  score: ["REAL", "float8", "DOUBLE"], temp: ["REAL", "float4", "FLOAT"], flag: ["TEXT", "text", "VARCHAR"], half: ["REAL", "numeric", "DOUBLE"], big: ["REAL", "float8", "DOUBLE"],
  [WEIRD]: ["TEXT", "varchar(20)", "VARCHAR"],
};
const NAMES = Object.keys(COLUMNS);

function generate(n: number, seed: number): Row[] {
  const r = prng(seed);
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    rows.push({
      id: i + 1,
      region: r() < 0.05 ? null : REGIONS[Math.floor(r() * REGIONS.length)]!,
      age: r() < 0.03 ? null : Math.floor(r() * 100),
      income: Math.round((r() * 200_500 - 500) * 100) / 100,
      score: r() * 100,
      temp: Math.round((35 + r() * 5) * 10) / 10,
      flag: r() < 0.6 ? "yes" : "no",
      half: Math.floor(r() * 201 - 100) / 4,
      big: Math.round(r() * 5e12) / 1000,
      [WEIRD]: r() < 0.5 ? "x" : "y",
    });
  }
  return rows;
}

const csvCell = (v: V) => (v === null ? "" : typeof v === "number" ? String(v) : /[",\n\r]/.test(v) || v === "" ? `"${v.replace(/"/g, '""')}"` : v);
const toCsv = (rows: Row[], names = NAMES) => [names.map(csvCell).join(","), ...rows.map((row) => names.map((c) => csvCell(row[c] ?? null)).join(","))].join("\r\n") + "\r\n";
const q = (s: string) => `"${s.replace(/"/g, '""')}"`;

async function writeSqlite(file: string, rows: Row[], table = "data") {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  try {
    db.run(`CREATE TABLE ${q(table)} (${NAMES.map((c) => `${q(c)} ${COLUMNS[c]![0]}`).join(", ")})`);
    const stmt = db.prepare(`INSERT INTO ${q(table)} VALUES (${NAMES.map(() => "?").join(", ")})`);
    db.run("BEGIN");
    for (const row of rows) stmt.run(NAMES.map((c) => row[c] ?? null));
    db.run("COMMIT");
    stmt.free();
    writeFileSync(file, db.export());
  } finally {
    db.close();
  }
}

/** A DuckDB database file with the rows (typed), and the same table as a Parquet file. */
async function writeDuckdb(file: string, parquet: string, rows: Row[], table = "data") {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const db = await DuckDBInstance.create(file);
  const con = await db.connect();
  try {
    await con.run(`CREATE TABLE ${q(table)} (${NAMES.map((c) => `${q(c)} ${COLUMNS[c]![2]}`).join(", ")})`);
    for (let at = 0; at < rows.length; at += 500) {
      const batch = rows.slice(at, at + 500);
      const values = batch.map((_, r) => `(${NAMES.map((c, i) => `CAST($${r * NAMES.length + i + 1} AS ${COLUMNS[c]![2]})`).join(", ")})`).join(", ");
      await con.run(`INSERT INTO ${q(table)} VALUES ${values}`, batch.flatMap((row) => NAMES.map((c) => (row[c] === null || row[c] === undefined ? null : String(row[c])))));
    }
    await con.run(`COPY ${q(table)} TO '${parquet.replace(/'/g, "''")}' (FORMAT parquet)`);
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

/** Create and fill the table through any client (values travel as the CSV's text). */
async function fillPostgres(db: { query: (t: string, p?: unknown[]) => Promise<unknown> }, rows: Row[], table = "data") {
  await db.query(`CREATE TABLE ${q(table)} (${NAMES.map((c) => `${q(c)} ${COLUMNS[c]![1]}`).join(", ")})`);
  for (let at = 0; at < rows.length; at += 1000) {
    const batch = rows.slice(at, at + 1000);
    const arrays = NAMES.map((c) => batch.map((row) => (row[c] === null ? null : String(row[c]))));
    await db.query(
      `INSERT INTO ${q(table)} SELECT ${NAMES.map((c, i) => `u.c${i}::${COLUMNS[c]![1]}`).join(", ")} FROM unnest(${NAMES.map((_, i) => `$${i + 1}::text[]`).join(", ")}) AS u(${NAMES.map((_, i) => `c${i}`).join(", ")})`,
      arrays,
    );
  }
}

// ---------------------------------------------------------------------------------------
// A naive reference with the documented semantics, written independently of the connectors

function reference(all: Row[], plan: AggregatePlan, options: AggregateOptions = {}): LocalAggregate {
  const G = groupCount(plan);
  // The privacy unit: each person's first maxRows rows in row order.
  const seen = new Map<V, number>();
  const rows = options.perPerson ? all.filter((r) => {
    const key = r[options.perPerson!.column] ?? null;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    return seen.get(key)! <= options.perPerson!.maxRows;
  }) : all;
  // Bounded columns read clamped, a missing value imputed as the bound nearest zero.
  const bounds = new Map<string, { min: number; max: number }>();
  for (const r of plan.ranges) {
    const b = bounds.get(r.column);
    bounds.set(r.column, { min: Math.max(r.min, b?.min ?? -Infinity), max: Math.min(r.max, b?.max ?? Infinity) });
  }
  const widths = blockWidths(plan);
  const counts = new Array<bigint>(G).fill(0n);
  const blocks = widths.slice(1).map((w) => new Array<bigint>(w).fill(0n));
  const raw = (v: V) => (typeof v === "number" ? v : null);
  let column = "";
  const num = (v: V) => {
    const x = raw(v);
    const b = bounds.get(column);
    if (!b) return x;
    return Math.min(Math.max(x ?? (b.min > 0 ? b.min : b.max < 0 ? b.max : 0), b.min), b.max);
  };
  const txt = (v: V) => (v === null ? null : String(v));
  const inBucket = (edges: number[], v: number | null) => {
    if (v === null) return -1;
    for (let i = 0; i + 1 < edges.length; i++) if (edges[i]! <= v && v < edges[i + 1]!) return i;
    return -1;
  };
  const cmp = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  const test = (value: V, op: string, x: string | number): boolean => {
    if (typeof x === "number") {
      const v = num(value);
      if (v === null) return false;
      return { eq: v === x, neq: v !== x, lt: v < x, lte: v <= x, gt: v > x, gte: v >= x }[op as "eq"];
    }
    const t = txt(value);
    if (t === null) return false;
    const c = cmp(t, x);
    return { eq: c === 0, neq: c !== 0, lt: c < 0, lte: c <= 0, gt: c > 0, gte: c >= 0 }[op as "eq"];
  };
  for (const row of rows) {
    const pass = plan.filters.every((f) => {
      const v = row[f.column] ?? null;
      column = f.column;
      if (f.op === "in") return (f.value as (string | number)[]).some((x) => test(v, "eq", x));
      if (f.op === "between") { const [lo, hi] = f.value as [number, number]; return test(v, "gte", lo) && test(v, "lte", hi); }
      return test(v, f.op, f.value as string | number);
    });
    if (!pass) continue;
    let g = 0, out = false;
    for (const d of plan.groupBy) {
      const v = row[d.name] ?? null;
      column = d.name;
      const idx = d.kind === "category" ? (txt(v) === null ? -1 : d.values.indexOf(txt(v)!)) : inBucket(d.edges, num(v));
      if (idx < 0) out = true;
      g = g * (d.kind === "category" ? d.values.length : d.edges.length - 1) + idx;
    }
    if (out) continue;
    counts[g]! += 1n;
    plan.stats.forEach((s, i) => {
      column = s.column;
      const v = num(row[s.column] ?? null);
      if (s.kind === "hist") {
        const b = inBucket(s.edges, v);
        if (b >= 0) blocks[i]![g * (s.edges.length - 1) + b]! += 1n;
        return;
      }
      if (v === null || Math.abs(v * 10 ** s.scale) >= 2 ** 53) return; // unbounded: skipped, as SQL's SUM skips NULL
      const x = v * 10 ** s.scale;
      const r = BigInt(Math.sign(x) * Math.floor(Math.abs(x) + (Math.abs(x) % 1 >= 0.5 ? 1 : 0)));
      blocks[i]![g]! += s.kind === "sum" ? r : r * r;
    });
  }
  return { counts, blocks };
}

const plan = (p: Partial<AggregatePlan>): AggregatePlan => ({ dataset: "data", groupBy: [], filters: [], stats: [], ranges: [], noise: null, ...p });

const PLANS: Record<string, AggregatePlan> = {
  "two dimensions, every stat kind": plan({
    groupBy: [{ name: "region", kind: "category", values: [...REGIONS, "absent"] }, { name: "age", kind: "bucket", edges: [0, 18, 40, 65, 100] }],
    filters: [{ column: "flag", op: "eq", value: "yes" }],
    stats: [
      { kind: "sum", column: "income", scale: 2 }, { kind: "sumsq", column: "income", scale: 2 },
      { kind: "sum", column: "half", scale: 0 }, { kind: "sum", column: "half", scale: 1 }, { kind: "sumsq", column: "half", scale: 0 },
      { kind: "sum", column: "big", scale: 6 }, { kind: "sumsq", column: "big", scale: 6 },
      { kind: "sum", column: "score", scale: 3 }, { kind: "hist", column: "score", edges: [0, 10, 50, 90, 100] },
      { kind: "hist", column: "temp", edges: [35, 36, 36.6, 37, 38, 39] }, { kind: "sumsq", column: "temp", scale: 1 },
    ],
    ranges: [{ column: "income", min: -1000, max: 250_000 }, { column: "score", min: 0, max: 100 }],
  }),
  "every filter op, no grouping": plan({
    filters: [
      { column: "age", op: "between", value: [30, 60] }, { column: "region", op: "in", value: ["north", "east", 5, "ÉLan"] },
      { column: "score", op: "gte", value: 10 }, { column: "income", op: "lt", value: 150_000 }, { column: "half", op: "neq", value: 0 },
      { column: "temp", op: "gt", value: 36.5 }, { column: "big", op: "lte", value: 4.5e9 },
    ],
    stats: [{ kind: "sum", column: "age", scale: 0 }, { kind: "hist", column: "age", edges: [0, 50, 100] }, { kind: "sumsq", column: "temp", scale: 1 }],
  }),
  "string order by code point, string filter on an integer column": plan({
    groupBy: [{ name: "flag", kind: "category", values: ["no", "yes"] }, { name: WEIRD, kind: "category", values: ["y", "x"] }],
    filters: [{ column: "region", op: "gte", value: "east" }, { column: "region", op: "lt", value: "\uE001" }, { column: "age", op: "neq", value: "42" }],
    stats: [{ kind: "sum", column: "income", scale: 0 }],
  }),
  "string between, text of a number": plan({
    groupBy: [{ name: "region", kind: "category", values: REGIONS }],
    filters: [{ column: "region", op: "between", value: ["a", "𝔘zzz"] }, { column: "age", op: "in", value: ["7", "42", 99] }],
    stats: [{ kind: "hist", column: "half", edges: [-25, -0.5, 0, 0.5, 25] }],
  }),
  "float4 buckets, lte/gt on strings, null-safe neq": plan({
    groupBy: [{ name: "temp", kind: "bucket", edges: [35, 35.5, 36.6, 36.7, 40] }],
    filters: [{ column: "region", op: "neq", value: "north" }, { column: "flag", op: "lte", value: "yes" }, { column: "region", op: "gt", value: "" }],
    stats: [{ kind: "sum", column: "temp", scale: 1 }, { kind: "sum", column: "score", scale: 6 }, { kind: "sumsq", column: "score", scale: 6 }],
  }),
  "matches nothing": plan({
    groupBy: [{ name: "flag", kind: "category", values: ["yes"] }],
    filters: [{ column: "region", op: "eq", value: 5 }],
    stats: [{ kind: "sum", column: "income", scale: 2 }],
  }),
  "empty in-list": plan({ filters: [{ column: "region", op: "in", value: [] }] }),
  "count only (no column referenced)": plan({}),
};

interface Backend { name: string; connector: () => Connector }

const dir = mkdtempSync(path.join(tmpdir(), "agg-conn-"));
const rows = generate(3000, 7);
const backends: Backend[] = [];
let pglite: PGlite;
let realPg: { admin: string; url: string; connectors: Connector[] } | null = null;

beforeAll(async () => {
  writeFileSync(path.join(dir, "data.csv"), toCsv(rows));
  await writeSqlite(path.join(dir, "data.sqlite"), rows);
  pglite = new PGlite();
  await fillPostgres(pglite, rows);
  await writeDuckdb(path.join(dir, "data.duckdb"), path.join(dir, "data.parquet"), rows);
  backends.push(
    { name: "csv", connector: () => new CsvConnector(path.join(dir, "data.csv")) },
    { name: "csv (rows in JavaScript)", connector: () => new CsvRowsConnector(path.join(dir, "data.csv")) },
    { name: "sqlite", connector: () => new SqliteConnector(path.join(dir, "data.sqlite"), "data") },
    { name: "pglite", connector: () => new PostgresConnector("data", pglite) },
    { name: "duckdb", connector: () => opened(createConnector({ kind: "duckdb", path: path.join(dir, "data.duckdb"), table: "data" })) },
    { name: "parquet", connector: () => opened(createConnector({ kind: "parquet", path: path.join(dir, "data.parquet") })) },
  );
  const admin = inject("postgresUrl");
  if (admin) {
    const name = `agg_${randomBytes(6).toString("hex")}`;
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try { await client.query(`CREATE DATABASE ${name}`); } finally { await client.end(); }
    const url = new URL(admin);
    url.pathname = `/${name}`;
    realPg = { admin, url: url.toString(), connectors: [] };
    const fill = new pg.Client({ connectionString: realPg.url });
    await fill.connect();
    try {
      await fill.query("CREATE SCHEMA holder");
      await fillPostgres(fill, rows);
      await fill.query("ALTER TABLE data SET SCHEMA holder");
    } finally { await fill.end(); }
    const pgUrl = realPg.url;
    backends.push({
      name: "postgres (pg.Pool)",
      connector: () => {
        const c = createConnector({ kind: "postgres", url: pgUrl, table: "holder.data" });
        realPg!.connectors.push(c);
        return c;
      },
    });
  }
});

/** DuckDB connectors hold a native instance each: closed when the suite ends. */
const duck: Connector[] = [];
const opened = (c: Connector) => { duck.push(c); return c; };

afterAll(async () => {
  await Promise.all(duck.map((c) => c.close()));
  if (realPg) {
    await Promise.all(realPg.connectors.map((c) => c.close()));
    const client = new pg.Client({ connectionString: realPg.admin });
    await client.connect();
    try { await client.query(`DROP DATABASE IF EXISTS ${new URL(realPg.url).pathname.slice(1)}`); } finally { await client.end(); }
  }
  await pglite?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function refusal(p: Promise<unknown>): Promise<AggregateError> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(AggregateError);
  return e as AggregateError;
}

describe("connectors on one generated dataset", () => {
  it("all backends are present (a real PostgreSQL server too, when installed)", () => {
    expect(backends.map((b) => b.name)).toEqual(["csv", "csv (rows in JavaScript)", "sqlite", "pglite", "duckdb", "parquet", ...(inject("postgresUrl") ? ["postgres (pg.Pool)"] : [])]);
  });

  it("scan every row once with the same values in every store, in the same order on every scan", async () => {
    const read = async (c: Connector) => {
      const out: string[] = [];
      for await (const batch of c.scan(["id", "region", "income"])) for (const [id, region, income] of batch) out.push(`${id!.num}|${region!.text}|${income!.num}`);
      return out;
    };
    // What every store must yield, made from the generated rows themselves (in some order).
    const expected = rows.map((r) => `${r.id}|${r.region}|${r.income}`).sort();
    expect(new Set(expected).size).toBe(rows.length);
    for (const b of backends) {
      const first = await read(b.connector());
      expect(await read(b.connector()), b.name).toEqual(first);
      expect([...first].sort(), b.name).toEqual(expected);
    }
    for (const b of backends) await expect(b.connector().scan(["nope"])[Symbol.asyncIterator]().next(), b.name).rejects.toMatchObject({ code: "UNKNOWN_COLUMN" });
  });

  it("report the same columns and types", async () => {
    const expected = NAMES.map((name) => ({ name, type: ["id", "age", "income", "score", "temp", "half", "big"].includes(name) ? "number" : "string" }));
    for (const b of backends) expect(await b.connector().columns(), b.name).toEqual(expected);
  });

  for (const [title, p] of Object.entries(PLANS)) {
    it(`agree with each other and the reference: ${title}`, async () => {
      const expected = reference(rows, p);
      const widths = blockWidths(p);
      expect(expected.counts.length).toBe(widths[0]);
      if (title !== "matches nothing" && title !== "empty in-list") expect(expected.counts.some((c) => c > 0n)).toBe(true);
      for (const b of backends) expect(await b.connector().aggregate(p), b.name).toEqual(expected);
    });
  }

  it("exercise the exact big-integer paths (sumsq beyond 2^64)", () => {
    const sumsqBig = reference(rows, PLANS["two dimensions, every stat kind"]!).blocks[6]!;
    expect(sumsqBig.some((v) => v > 1n << 64n)).toBe(true);
  });

  it("clamp a contributing value outside a declared range instead of refusing (no refusal depends on the data)", async () => {
    const p = plan({ stats: [{ kind: "sum", column: "income", scale: 2 }], ranges: [{ column: "income", min: 0, max: 1e5 }] });
    const expected = reference(rows, p);
    expect(expected).not.toEqual(reference(rows, { ...p, ranges: [{ column: "income", min: -1e9, max: 1e9 }] }));
    for (const b of backends) expect(await b.connector().aggregate(p), b.name).toEqual(expected);
  });

  it("ignore out-of-range values in rows that do not contribute", async () => {
    const p = plan({
      groupBy: [{ name: "flag", kind: "category", values: ["yes"] }],
      filters: [{ column: "income", op: "gte", value: 0 }],
      stats: [{ kind: "sum", column: "age", scale: 0 }],
      ranges: [{ column: "income", min: 0, max: 1e6 }, { column: "age", min: 0, max: 99 }],
    });
    p.filters.push({ column: "age", op: "gte", value: 0 }); // the null ages would be refused
    const expected = reference(rows, p);
    expect(expected.counts[0]).toBeGreaterThan(1000n);
    for (const b of backends) expect(await b.connector().aggregate(p), b.name).toEqual(expected);
  });

  it("impute a null or a string in a bounded column, skip it in an unbounded sum, never refuse", async () => {
    const cases: AggregatePlan[] = [
      plan({ stats: [{ kind: "sum", column: "age", scale: 0 }] }),
      plan({ stats: [{ kind: "sum", column: "age", scale: 0 }], ranges: [{ column: "age", min: 18, max: 99 }] }),
      plan({ filters: [{ column: "region", op: "eq", value: "north" }], stats: [{ kind: "sumsq", column: "region", scale: 0 }], ranges: [{ column: "region", min: -5, max: -2 }] }),
      plan({ filters: [{ column: "flag", op: "eq", value: "no" }], stats: [{ kind: "hist", column: "flag", edges: [0, 1] }] }),
      plan({ stats: [{ kind: "hist", column: "age", edges: [0, 100] }] }),
    ];
    for (const p of cases) {
      const expected = reference(rows, p);
      for (const b of backends) expect(await b.connector().aggregate(p), b.name).toEqual(expected);
    }
  });

  it("count each person's first rows only (the privacy unit), in every store", async () => {
    const p = plan({ groupBy: [{ name: "flag", kind: "category", values: ["yes", "no"] }], stats: [{ kind: "sum", column: "score", scale: 0 }], ranges: [{ column: "score", min: 0, max: 100 }] });
    const options = { perPerson: { column: "region", maxRows: 3 } };
    const expected = reference(rows, p, options);
    expect(expected.counts.reduce((a, c) => a + c, 0n)).toBeLessThan(reference(rows, p).counts.reduce((a, c) => a + c, 0n));
    // Which rows a person keeps follows each store's own order (file, rowid, row text in PostgreSQL): compare the file-ordered ones with the reference, and every store's totals.
    for (const b of backends) {
      const got = await b.connector().aggregate(p, options);
      if (b.name !== "pglite" && !b.name.startsWith("postgres")) expect(got, b.name).toEqual(expected);
      expect(got.counts.reduce((a, c) => a + c, 0n), b.name).toBe(expected.counts.reduce((a, c) => a + c, 0n));
    }
  });

  it("name an unknown column wherever it is referenced", async () => {
    const cases: AggregatePlan[] = [
      plan({ groupBy: [{ name: "nope", kind: "category", values: ["a"] }] }),
      plan({ filters: [{ column: "nope", op: "eq", value: 1 }] }),
      plan({ stats: [{ kind: "sum", column: "nope", scale: 0 }] }),
      plan({ ranges: [{ column: "nope", min: 0, max: 1 }] }),
      plan({ stats: [{ kind: "sum", column: "Income", scale: 0 }] }),
    ];
    for (const p of cases) {
      for (const b of backends) {
        const e = await refusal(b.connector().aggregate(p));
        expect([e.code, e.column], b.name).toEqual(["UNKNOWN_COLUMN", p === cases[4] ? "Income" : "nope"]);
      }
    }
  });

  it("treat hostile strings as values, never as SQL", async () => {
    const evil = "x' OR 1=1; DROP TABLE data; --";
    const p = plan({ groupBy: [{ name: "region", kind: "category", values: [evil, "north"] }], filters: [{ column: "flag", op: "neq", value: evil }] });
    const expected = reference(rows, p);
    expect(expected.counts[0]).toBe(0n);
    for (const b of backends) expect(await b.connector().aggregate(p), b.name).toEqual(expected);
    for (const b of backends) expect((await b.connector().columns()).length, b.name).toBe(NAMES.length);
  });
});

describe("connectors on a small hand-checked table", () => {
  const small: Row[] = [
    { id: 1, region: "north", age: 10, income: 1.25, score: 5, temp: 36, flag: "yes", half: 0.5, big: 0, [WEIRD]: "x" },
    { id: 2, region: "north", age: 30, income: -1.25, score: 50, temp: 37, flag: "yes", half: -0.5, big: 0, [WEIRD]: "x" },
    { id: 3, region: "south", age: 30, income: 2.5, score: 95, temp: 38, flag: "no", half: 1.5, big: 0, [WEIRD]: "x" },
    { id: 4, region: "south", age: 70, income: 1e10, score: 100, temp: 39, flag: "yes", half: 2.5, big: 0, [WEIRD]: "x" },
    { id: 5, region: "west", age: 30, income: 3, score: 20, temp: 36, flag: "yes", half: 0, big: 0, [WEIRD]: "x" },
  ];
  const smallBackends: Backend[] = [];
  beforeAll(async () => {
    writeFileSync(path.join(dir, "small.csv"), toCsv(small));
    await writeSqlite(path.join(dir, "small.sqlite"), small, "small");
    await fillPostgres(pglite, small, "small");
    smallBackends.push(
      { name: "csv", connector: () => createConnector({ kind: "csv", path: path.join(dir, "small.csv") }) },
      { name: "sqlite", connector: () => createConnector({ kind: "sqlite", path: path.join(dir, "small.sqlite"), table: "small" }) },
      { name: "pglite", connector: () => new PostgresConnector("small", pglite) },
    );
  });

  it("lays out groups in mixed radix (last dimension fastest) and histograms group-major", async () => {
    const p = plan({
      groupBy: [{ name: "region", kind: "category", values: ["south", "north"] }, { name: "age", kind: "bucket", edges: [0, 20, 60] }],
      filters: [{ column: "income", op: "lt", value: 1000 }],
      stats: [{ kind: "sum", column: "half", scale: 0 }, { kind: "hist", column: "score", edges: [0, 50, 100] }, { kind: "sumsq", column: "income", scale: 1 }],
    });
    // groups: (south,[0,20)) (south,[20,60)) (north,[0,20)) (north,[20,60)); row 4 (age 70) and row 5 (west) fall out
    const expected: LocalAggregate = {
      counts: [0n, 1n, 1n, 1n],
      blocks: [
        [0n, 2n, 1n, -1n], // 1.5 → 2, 0.5 → 1, -0.5 → -1 (ties away from zero)
        [0n, 0n, 0n, 1n, 1n, 0n, 0n, 1n], // score 95 → [50,100) of group 1; 5 → [0,50) of group 2; 50 → [50,100) of group 3
        [0n, 625n, 169n, 169n], // 2.5·10 = 25 → 625; ±1.25·10 = ±12.5 → ±13 → 169
      ],
    };
    for (const b of smallBackends) expect(await b.connector().aggregate(p), b.name).toEqual(expected);
  });

  it("reads one record by its key, identically in every store, for consented deliveries", async () => {
    for (const b of smallBackends) {
      const c = b.connector();
      expect(await c.record("id", "3", ["region", "income", "flag"]), b.name).toEqual({ region: "south", income: 2.5, flag: "no" });
      expect(await c.record("id", "99", ["region"]), b.name).toBeNull();
      expect((await refusal(c.record("region", "north", ["id"]))).message, b.name).toMatch(/More than one record/);
      expect((await refusal(c.record("id", "1", ["home_address"]))).code, b.name).toBe("UNKNOWN_COLUMN");
      await c.close();
    }
  });

  it("skips an unbounded value whose fixed point would not be exact (|v·10^scale| ≥ 2^53), and refuses bounds that allow one", async () => {
    const p = plan({ stats: [{ kind: "sum", column: "income", scale: 6 }] });
    for (const b of smallBackends) expect((await b.connector().aggregate(p)).blocks, b.name).toEqual([[5500000n]]);
    const wide = plan({ stats: [{ kind: "sum", column: "income", scale: 6 }], ranges: [{ column: "income", min: 0, max: 1e10 }] });
    for (const b of smallBackends) expect((await refusal(b.connector().aggregate(wide))).code, b.name).toBe("INVALID_PLAN");
    const ok = plan({ stats: [{ kind: "sum", column: "income", scale: 5 }] });
    for (const b of smallBackends) expect((await b.connector().aggregate(ok)).blocks, b.name).toEqual([[1000000000550000n]]);
  });

  it("rejects invalid plans before reading data", async () => {
    const bad: unknown[] = [
      plan({ groupBy: [{ name: "age", kind: "bucket", edges: [0, 10, 10] }] }),
      plan({ stats: [{ kind: "hist", column: "age", edges: [5, 1] }] }),
      plan({ filters: [{ column: "age", op: "between", value: [1, "9"] }] }),
      plan({ filters: [{ column: "age", op: "eq", value: [1] }] }),
      plan({ filters: [{ column: "age", op: "in", value: 1 }] }),
      plan({ ranges: [{ column: "age", min: 2, max: 1 }] }),
      { ...plan({}), stats: [{ kind: "sum", column: "age", scale: 9 }] },
      plan({ groupBy: [1, 2, 3].map((i) => ({ name: `d${i}`, kind: "category" as const, values: Array.from({ length: 100 }, (_, j) => String(j)) })) }),
    ];
    for (const p of bad) {
      for (const b of smallBackends) {
        const e = await refusal(b.connector().aggregate(p as AggregatePlan));
        expect(e.code, b.name).toBe("INVALID_PLAN");
      }
    }
  });

  it("reports unreadable sources without paths", async () => {
    const missing = [
      createConnector({ kind: "csv", path: path.join(dir, "missing.csv") }),
      createConnector({ kind: "sqlite", path: path.join(dir, "missing.sqlite"), table: "t" }),
      createConnector({ kind: "sqlite", path: path.join(dir, "small.sqlite"), table: "nope" }),
      new PostgresConnector("nope", pglite),
    ];
    for (const c of missing) {
      const e = await refusal(c.aggregate(plan({})));
      expect(e.code).toBe("SOURCE_ERROR");
      expect(e.message).not.toContain(dir);
    }
    writeFileSync(path.join(dir, "ragged.csv"), "a,b\n1,2\n3\n");
    const e = await refusal(new CsvConnector(path.join(dir, "ragged.csv")).aggregate(plan({})));
    expect([e.code, e.message]).toEqual(["SOURCE_ERROR", "CSV record 3 has 1 fields; the header has 2"]);
  });

  it("validates connector configs", () => {
    expect(() => createConnector({ kind: "sqlite", path: "x.sqlite" } as never)).toThrow();
    expect(() => createConnector({ kind: "mysql", url: "x" } as never)).toThrow();
  });
});

describe("compareCodePoints", () => {
  it("orders like UTF-8 bytes", () => {
    const words = ["", "a", "ab", "b", "z", "é", "\uE000", "\uFFFD", "𝔘", "😀", "历下区", "a\u0000"];
    const byBytes = [...words].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect([...words].sort(compareCodePoints)).toEqual(byBytes);
  });
});
