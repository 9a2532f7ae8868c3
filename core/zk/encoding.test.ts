import { describe, expect, it } from "vitest";
import type { AggregatePlan } from "../protocol";
import { GROUPS, MAX_CELL, numberCell, OFFSET, scaleOf, statementFor, textCell, UNUSED_CODE, type CommittedColumn } from "./encoding";
import { fastHasher, liteHasher, rootFromPath, sponge, treeLevels, treePath } from "./hash";

const schema: CommittedColumn[] = [
  { name: "district", kind: "text", scale: 0 },
  { name: "age", kind: "number", scale: 0 },
  { name: "claim_amount", kind: "number", scale: 2 },
];
const plan = (over: Partial<AggregatePlan> = {}): Pick<AggregatePlan, "groupBy" | "filters" | "stats"> => ({
  groupBy: [{ name: "district", kind: "category", values: ["Lixia", "Shizhong"] }],
  filters: [], stats: [{ kind: "sum", column: "claim_amount", scale: 2 }], ...over,
});
const bounds = (f: AggregatePlan["filters"][number]) => {
  const p = statementFor(plan({ filters: [f] }), schema);
  if (!p.ok) throw new Error(p.reason);
  return [p.statement.lo - OFFSET, p.statement.hi - OFFSET];
};

describe("cells", () => {
  it("encodes numbers as offset fixed point within 32 bits, and refuses what does not fit", () => {
    expect(numberCell(0, 0)).toBe(OFFSET);
    expect(numberCell(-3, 0)).toBe(OFFSET - 3n);
    expect(numberCell(12.34, 2)).toBe(OFFSET + 1234n);
    expect(numberCell(12.345, 2)).toBeNull(); // needs a third decimal
    expect(numberCell(2 ** 31, 0)).toBeNull();
    expect(numberCell(2 ** 31 - 1, 0)).toBe(MAX_CELL);
    expect(numberCell(-(2 ** 31) + 1, 0)).toBe(1n); // 0 stays null
    expect(numberCell(-(2 ** 31), 0)).toBeNull();
    expect(scaleOf(1.5)).toBe(1);
    expect(scaleOf(0.1 + 0.2)).toBe(1); // 0.30000000000000004 is 0.3 at one decimal
    expect(scaleOf(1e12)).toBeNull();
  });
  it("hashes text into 31 bytes, never 0", () => {
    expect(textCell("Lixia")).toBe(textCell("Lixia"));
    expect(textCell("Lixia")).not.toBe(textCell("lixia"));
    expect(textCell("") < 2n ** 248n && textCell("") > 0n).toBe(true);
  });
});

describe("what a proof states about a plan", () => {
  it("translates each comparison to inclusive bounds on cells, at the column's scale", () => {
    expect(bounds({ column: "age", op: "gte", value: 30 })).toEqual([30n, MAX_CELL - OFFSET]);
    expect(bounds({ column: "age", op: "gt", value: 30 })).toEqual([31n, MAX_CELL - OFFSET]);
    expect(bounds({ column: "age", op: "lt", value: 30 })[1]).toBe(29n);
    expect(bounds({ column: "age", op: "lte", value: 30.5 })[1]).toBe(30n);
    expect(bounds({ column: "age", op: "between", value: [30, 60] })).toEqual([30n, 60n]);
    expect(bounds({ column: "claim_amount", op: "gte", value: 100.005 })[0]).toBe(10001n);
    // eq on a value the column cannot hold: an empty range, so no row counts.
    const [lo, hi] = bounds({ column: "age", op: "eq", value: 30.5 });
    expect(lo! > hi!).toBe(true);
    // A filter never admits null (cell 0).
    expect(bounds({ column: "age", op: "lte", value: -(2 ** 40) })[0]).toBe(1n - OFFSET);
  });
  it("proves eq and \"in\" on a text column as matches against the values' cells, duplicates once", () => {
    const p = statementFor(plan({ filters: [{ column: "district", op: "in", value: ["Lixia", "Tianqiao", "Lixia"] }] }), schema);
    if (!p.ok) throw new Error(p.reason);
    expect(p.statement.kind).toBe("match");
    expect(p.statement.matches).toEqual([textCell("Lixia"), textCell("Tianqiao"), UNUSED_CODE, UNUSED_CODE]);
    const eq = statementFor(plan({ filters: [{ column: "district", op: "eq", value: "Lixia" }] }), schema);
    expect(eq.ok && eq.statement.matches[0]).toBe(textCell("Lixia"));
  });

  it("without a filter admits every row, null included, and pads the group codes", () => {
    const p = statementFor(plan(), schema);
    expect(p.ok && p.statement.lo === 0n && p.statement.hi === MAX_CELL).toBe(true);
    expect(p.ok && p.statement.codes.length).toBe(GROUPS);
    expect(p.ok && p.statement.codes.slice(2).every((c) => c === UNUSED_CODE)).toBe(true);
    expect(p.ok && p.statement.sumColumn).toBe("claim_amount");
  });
  it("says why a plan is outside what the circuits prove", () => {
    const reason = (o: Partial<AggregatePlan>) => { const p = statementFor(plan(o), schema); return p.ok ? null : p.reason; };
    expect(reason({ groupBy: [] })).toMatch(/exactly one dimension/);
    expect(reason({ groupBy: [{ name: "age", kind: "bucket", edges: [0, 18, 99] }] })).toMatch(/category/);
    expect(reason({ groupBy: [{ name: "district", kind: "category", values: Array.from({ length: 13 }, (_, i) => `d${i}`) }] })).toMatch(/at most 12 groups/);
    expect(reason({ groupBy: [{ name: "age", kind: "category", values: ["1"] }] })).toMatch(/not a committed text column/);
    expect(reason({ groupBy: [{ name: "district", kind: "category", values: ["a", "b", "a"] }] })).toMatch(/a value twice/);
    expect(reason({ filters: [{ column: "district", op: "lt", value: "M" }] })).toMatch(/"eq" and "in" filters on text columns/);
    expect(reason({ filters: [{ column: "district", op: "in", value: ["a", "b", "c", "d", "e"] }] })).toMatch(/at most 4 values/);
    expect(reason({ filters: [{ column: "district", op: "eq", value: 5 }] })).toMatch(/compares numbers with a text column/);
    expect(reason({ filters: [{ column: "age", op: "eq", value: "30" }] })).toMatch(/does not compare numbers/);
    expect(reason({ filters: [{ column: "nope", op: "eq", value: 1 }] })).toMatch(/not a committed column/);
    expect(reason({ filters: [{ column: "age", op: "in", value: [1, 2] }] })).toMatch(/"in"/);
    expect(reason({ filters: [{ column: "age", op: "gt", value: 1 }, { column: "age", op: "lt", value: 9 }] })).toMatch(/at most one filter/);
  });
});

describe("Poseidon constructions", () => {
  it("agree between poseidon-lite and circomlibjs", async () => {
    const fast = await fastHasher();
    const xs = Array.from({ length: 40 }, (_, i) => BigInt(i) * 987654321987654321n + 5n);
    expect(sponge(fast, xs)).toBe(sponge(liteHasher, xs));
    expect(fast.p2(1n, 2n)).toBe(liteHasher.p2(1n, 2n));
    expect(fast.p4([1n, 2n, 3n, 4n])).toBe(liteHasher.p4([1n, 2n, 3n, 4n]));
  });
  it("absorbs the length first, so zero padding cannot collide", () => {
    expect(sponge(liteHasher, [1n])).not.toBe(sponge(liteHasher, [1n, 0n]));
  });
  it("opens every leaf of the top tree to its root, and no leaf at another index", () => {
    for (let n = 1; n <= 9; n++) {
      const leaves = Array.from({ length: n }, (_, i) => BigInt(i + 1) * 7919n);
      const levels = treeLevels(liteHasher, leaves);
      const root = levels.at(-1)![0]!;
      for (let i = 0; i < n; i++) {
        expect(rootFromPath(liteHasher, leaves[i]!, i, treePath(levels, i))).toBe(root);
        if (n > 1) expect(rootFromPath(liteHasher, leaves[i]!, (i + 1) % n, treePath(levels, i))).not.toBe(root);
      }
    }
  });
});
