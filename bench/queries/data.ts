/**
 * The synthetic data set of the query benchmark, generated once into a temp folder.
 *
 * Row k (0-based) of the full data set is a pure function of k: g64 (64 category values),
 * g1024 (1024 category values), v (0.00 … 10000.00, two decimals). A data set of R rows
 * is rows 0 … R−1; split over n nodes, node i holds rows ⌊iR/n⌋ … ⌊(i+1)R/n⌋−1, so every
 * split of the same R is the same data. The exact per-group counts and sums (in cents)
 * are computed while writing: the ground truth every result is checked against.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import path from "node:path";

export const G64 = Array.from({ length: 64 }, (_, i) => `a${String(i).padStart(2, "0")}`);
export const G1024 = Array.from({ length: 1024 }, (_, i) => `b${String(i).padStart(4, "0")}`);
export type Grouping = "none" | "g64" | "g1024";
export const GROUPS: Record<Grouping, number> = { none: 1, g64: 64, g1024: 1024 };

/** murmur3's 32-bit finaliser: a good enough mix for test data. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function rowAt(k: number): { a: number; b: number; cents: number } {
  const h1 = fmix32(k ^ 0x5bd1e995);
  const h2 = fmix32((k + 0x27d4eb2f) ^ 0x165667b1);
  return { a: h1 >>> 26, b: h1 & 1023, cents: h2 % 1_000_001 };
}

const line = (k: number) => {
  const { a, b, cents } = rowAt(k);
  return `${G64[a]},${G1024[b]},${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}\n`;
};

/** Exact per-group results of a data set (sums in cents, as safe integers). */
export interface Truth {
  rows: number;
  counts: Record<Grouping, number[]>;
  sums: Record<Grouping, number[]>;
}

export interface DataSet {
  dir: string;
  rowCounts: number[];
  nodeCounts: number[];
  /** the CSV of node i when R rows are split over n nodes */
  file(rows: number, nodes: number, i: number): string;
  truth: Map<number, Truth>;
  bytesWritten: number;
}

function writeRows(file: string, from: number, to: number): number {
  const fd = openSync(file, "w");
  let written = 0;
  try {
    written += writeSync(fd, "g64,g1024,v\n");
    const BATCH = 20_000;
    for (let k = from; k < to; k += BATCH) {
      let s = "";
      for (let j = k; j < Math.min(to, k + BATCH); j++) s += line(j);
      written += writeSync(fd, s);
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

export function generateData(dir: string, rowCounts: number[], nodeCounts: number[]): DataSet {
  const file = (rows: number, nodes: number, i: number) => path.join(dir, `r${rows}-n${nodes}-${i}.csv`);
  let bytesWritten = 0;
  for (const rows of rowCounts) {
    for (const n of nodeCounts) {
      for (let i = 0; i < n; i++) bytesWritten += writeRows(file(rows, n, i), Math.floor((i * rows) / n), Math.floor(((i + 1) * rows) / n));
    }
  }
  const truth = new Map<number, Truth>();
  const sorted = [...rowCounts].sort((x, y) => x - y);
  const acc = { none: [0], g64: new Array<number>(64).fill(0), g1024: new Array<number>(1024).fill(0) };
  const sum = { none: [0], g64: new Array<number>(64).fill(0), g1024: new Array<number>(1024).fill(0) };
  let k = 0;
  for (const rows of sorted) {
    for (; k < rows; k++) {
      const { a, b, cents } = rowAt(k);
      acc.none[0]!++; acc.g64[a]!++; acc.g1024[b]!++;
      sum.none[0]! += cents; sum.g64[a]! += cents; sum.g1024[b]! += cents;
    }
    truth.set(rows, {
      rows,
      counts: { none: [...acc.none], g64: [...acc.g64], g1024: [...acc.g1024] },
      sums: { none: [...sum.none], g64: [...sum.g64], g1024: [...sum.g1024] },
    });
  }
  return { dir, rowCounts, nodeCounts, file, truth, bytesWritten };
}

/** Label of group g of a grouping (what the SQL baseline returns as the group key). */
export function groupLabel(grouping: Grouping, g: number): string {
  return grouping === "g64" ? G64[g]! : grouping === "g1024" ? G1024[g]! : "";
}
