import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { vectorLength, type AggregatePlan } from "@/core/protocol";
import { AggregateError, CsvConnector, type Connector } from "./connectors";
import { computeVector } from "./index";

const dir = mkdtempSync(path.join(tmpdir(), "agg-index-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const plan: AggregatePlan = {
  dataset: "claims",
  groupBy: [{ name: "sex", kind: "category", values: ["F", "M"] }],
  filters: [],
  stats: [{ kind: "sum", column: "amount", scale: 2 }, { kind: "hist", column: "age", edges: [0, 40, 100] }],
  ranges: [{ column: "amount", min: 0, max: 1000 }],
  noise: null,
};

function csv() {
  const file = path.join(dir, "claims.csv");
  writeFileSync(file, "sex,age,amount\nF,30,10.5\nM,50,20\nF,70,1.25\nX,1,1\n");
  return new CsvConnector(file);
}

describe("computeVector", () => {
  it("concatenates the count block and the stat blocks, as protocol.ts lays them out", async () => {
    const { counts, vector } = await computeVector(csv(), plan);
    expect(counts).toEqual([2n, 1n]);
    expect(vector).toEqual([2n, 1n, 1175n, 2000n, 1n, 1n, 0n, 1n]);
    expect(vector).toHaveLength(vectorLength(plan));
  });

  it("adds noise to the vector and to the selection counts, independently; exact counts stay in the node", async () => {
    const noisy = { ...plan, noise: { scales: [50, 5000, 50], selection: 1e6 } };
    const { counts, selection, vector } = await computeVector(csv(), noisy);
    expect(counts).toEqual([2n, 1n]);
    expect(selection).not.toEqual([2n, 1n]);
    expect(vector).toHaveLength(8);
    expect(vector).not.toEqual([2n, 1n, 1175n, 2000n, 1n, 1n, 0n, 1n]);
    const quiet = await computeVector(csv(), { ...plan, noise: { scales: [0, 0, 0], selection: 1e6 } });
    expect(quiet.vector).toEqual([2n, 1n, 1175n, 2000n, 1n, 1n, 0n, 1n]);
    expect((await computeVector(csv(), plan)).selection).toEqual([2n, 1n]); // no DP: exact (open data only)
  });

  it("refuses a plan whose noise scales do not match its blocks, or that does not parse", async () => {
    const e = await computeVector(csv(), { ...plan, noise: { scales: [1], selection: 1 } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AggregateError);
    expect((e as AggregateError).code).toBe("INVALID_PLAN");
    const f = await computeVector(csv(), { ...plan, groupBy: "sex" } as unknown as AggregatePlan).catch((x: unknown) => x);
    expect((f as AggregateError).code).toBe("INVALID_PLAN");
  });

  it("checks the connector's answer against the layout", async () => {
    const liar: Connector = { columns: async () => [], aggregate: async () => ({ counts: [1n], blocks: [] }), record: async () => null, scan: async function* () {}, close: async () => {} };
    await expect(computeVector(liar, plan)).rejects.toThrow(/layout/);
  });

  it("clamps a value outside the bounds instead of refusing (no refusal depends on the data)", async () => {
    const { vector } = await computeVector(csv(), { ...plan, ranges: [{ column: "amount", min: 0, max: 15 }] });
    expect(vector.slice(2, 4)).toEqual([1175n, 1500n]); // M's 20 counts as 15
  });

  it("counts each person's first rows only, when the dataset has a person column", async () => {
    const file = path.join(dir, "people.csv");
    writeFileSync(file, "person,sex,amount\np1,F,1\np1,F,2\np1,F,4\np2,M,8\n,M,16\n,M,32\n");
    const { counts, vector } = await computeVector(new CsvConnector(file), { ...plan, stats: [{ kind: "sum", column: "amount", scale: 0 }] }, { perPerson: { column: "person", maxRows: 2 } });
    expect(counts).toEqual([2n, 3n]); // p1's third row dropped; the two rows without a person count as one person's
    expect(vector).toEqual([2n, 3n, 3n, 56n]);
  });
});
