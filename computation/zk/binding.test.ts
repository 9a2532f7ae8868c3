/**
 * Binding an answer cheaply (docs/proofs.md): the final totals one GROUP BY in the source's own
 * engine gives must equal, to the last cell, the totals the circuit's cell-by-cell walk reaches,
 * for every file source kind and for numeric and text filters. And committing is incremental:
 * appended rows hash only the new chunks, yet give the same root a full recommit would.
 */
import { randomBytes } from "node:crypto";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnector, type ConnectorConfig } from "../aggregate/connectors";
import { CLAIM_COLUMNS, CLAIM_PARQUET, CLAIM_SQL, claims, DISTRICTS, writeCsv, writeParquet, writeSqlite } from "../demo/generate";
import type { AggregatePlan } from "@/core/protocol";
import { fastHasher, type Hasher } from "@/core/zk/hash";
import { buildChain, commitDataset, statementTotals } from "./node";
import { NodeProofs } from "./service";

const base = { dataset: "claims", stats: [{ kind: "sum" as const, column: "claim_amount", scale: 2 }], ranges: [{ column: "claim_amount", min: 0, max: 20_000 }], noise: null };
const plans: [string, AggregatePlan][] = [
  ["by district, no filter", { ...base, groupBy: [{ name: "district", kind: "category", values: DISTRICTS }], filters: [] }],
  ["by district, age between 30 and 60", { ...base, groupBy: [{ name: "district", kind: "category", values: DISTRICTS }], filters: [{ column: "age", op: "between", value: [30, 60] }] }],
  ["by sex, district in two values", { ...base, groupBy: [{ name: "sex", kind: "category", values: ["F", "M"] }], filters: [{ column: "district", op: "in", value: [DISTRICTS[0]!, DISTRICTS[4]!] }] }],
  ["by diagnosis, age ≥ 45", { ...base, groupBy: [{ name: "diagnosis", kind: "category", values: ["circulatory", "respiratory", "neoplasm", "other"] }], filters: [{ column: "age", op: "gte", value: 45 }] }],
];

describe("binding an answer with the source's own engine", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "binding-"));
  const secret = randomBytes(32);
  const rows = [...claims(7, 700, 2)];
  const sources: [string, ConnectorConfig][] = [
    ["CSV", { kind: "csv", path: path.join(dir, "c.csv") }],
    ["SQLite", { kind: "sqlite", path: path.join(dir, "c.sqlite"), table: "claims" }],
    ["Parquet", { kind: "parquet", path: path.join(dir, "c.parquet") }],
    ["DuckDB", { kind: "duckdb", path: path.join(dir, "c.duckdb"), table: "claims" }],
  ];
  let h: Hasher;

  beforeAll(async () => {
    h = await fastHasher();
    await writeCsv(path.join(dir, "c.csv"), CLAIM_COLUMNS, rows);
    await writeSqlite(path.join(dir, "c.sqlite"), "claims", CLAIM_SQL, rows);
    await writeParquet(path.join(dir, "c.parquet"), CLAIM_PARQUET, rows);
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const db = await DuckDBInstance.create(path.join(dir, "c.duckdb"));
    const con = await db.connect();
    await con.run(`CREATE TABLE claims AS SELECT * FROM read_parquet('${path.join(dir, "c.parquet")}')`);
    con.closeSync();
    db.closeSync();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const [kind, source] of sources) {
    it(`${kind}: one GROUP BY gives the totals the cell-by-cell walk reaches`, async () => {
      const connector = createConnector(source);
      try {
        const c = await commitDataset(connector, "claims", 16, secret, h);
        expect(c.local!.stamp).toMatch(/^\d+:\d+:\d+/);
        expect(c.local!.nulls.every((n) => !n)).toBe(true);
        for (const [name, plan] of plans) {
          const fast = await statementTotals(connector, c, plan);
          const walked = (await buildChain(connector, c, plan, "q", secret, h, [], true)).totals.at(-1)!;
          expect(fast, name).toEqual(walked);
          expect(walked.counts.some((n) => n > 0n), name).toBe(true);
        }
      } finally {
        await connector.close();
      }
    });
  }

  it("answers a plan no circuit covers as not provable, without committing anything", async () => {
    const proofs = new NodeProofs(path.join(dir, "keys"));
    const source: ConnectorConfig = { kind: "csv", path: path.join(dir, "c.csv") };
    const connector = createConnector(source);
    try {
      const twoDims: AggregatePlan = { ...plans[0]![1], groupBy: [...plans[0]![1].groupBy, { name: "sex", kind: "category", values: ["F", "M"] }] };
      expect(await proofs.answer("claims", connector, twoDims, "q1", source)).toEqual({ notProvable: "proofs cover queries grouped by exactly one dimension" });
      expect(proofs.stored("claims")).toBeNull(); // no commitment made or started
      // a provable plan before any commitment: answered at once, not yet provable, and committing starts
      expect(await proofs.answer("claims", connector, plans[0]![1], "q2", source)).toMatchObject({ notProvable: expect.stringMatching(/^not yet provable/) });
      const c = await proofs.commitment("claims", source);
      const bound = await proofs.answer("claims", connector, plans[1]![1], "q3", source);
      expect(bound).toMatchObject({ root: c.root, chunks: c.chunkRoots.length });
    } finally {
      await connector.close();
    }
  });

  it("falls back to the walk where a filter or value column has a missing value", async () => {
    const file = path.join(dir, "nulls.csv");
    await writeCsv(file, CLAIM_COLUMNS, rows.slice(0, 40).map((r, i) => (i === 3 ? { ...r, age: "" as unknown as number } : r)));
    const connector = createConnector({ kind: "csv", path: file });
    try {
      const c = await commitDataset(connector, "claims", 16, secret, h);
      expect(await statementTotals(connector, c, plans[1]![1])).toBeNull(); // filters on age
      expect(await statementTotals(connector, c, plans[0]![1])).not.toBeNull(); // age unused
    } finally {
      await connector.close();
    }
  });

  it("recommits an appended file incrementally: only new chunks are hashed, the root is a full recommit's", async () => {
    const file = path.join(dir, "append.csv");
    await writeCsv(file, CLAIM_COLUMNS, rows.slice(0, 100)); // 6 full chunks of 16 and one of 4
    const counting = (): Hasher & { calls: number } => {
      const c = { calls: 0, p16: (x: bigint[]) => { c.calls++; return h.p16(x); }, p2: h.p2, p4: h.p4 };
      return c;
    };
    const connector = createConnector({ kind: "csv", path: file });
    try {
      const first = await commitDataset(connector, "claims", 16, secret, h);
      const extra = rows.slice(100, 140).map((r) => CLAIM_COLUMNS.map((k) => String(r[k as keyof typeof r])).join(",")).join("\n") + "\n";
      appendFileSync(file, extra);
      expect(await connector.fingerprint!()).not.toBe(first.local!.stamp);

      const hIncremental = counting();
      const incremental = await commitDataset(connector, "claims", 16, secret, hIncremental, first);
      // the same epoch with every chunk hashed again: what a full recommit gives
      const hFull = counting();
      const full = await commitDataset(connector, "claims", 16, secret, hFull, { ...first, local: { ...first.local!, chunkDigests: [] } });
      expect(incremental.rows).toBe(140);
      expect(incremental.root).toBe(full.root);
      expect(incremental.chunkRoots.slice(0, 6)).toEqual(first.chunkRoots.slice(0, 6));
      expect(incremental.chunkRoots[6]).not.toBe(first.chunkRoots[6]); // the partial chunk grew
      // 9 chunks in all; the incremental one hashed 3 of them (chunks 6, 7, 8)
      expect(hIncremental.calls * 3).toBe(hFull.calls);
      // a new commitment from scratch takes a fresh epoch: another root for the same data
      const fresh = await commitDataset(connector, "claims", 16, secret, h);
      expect(fresh.root).not.toBe(full.root);
    } finally {
      await connector.close();
    }
  });
});
