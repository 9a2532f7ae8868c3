/** Small helpers to time things and print plain-text tables. */
import { readFileSync, writeFileSync } from "node:fs";

export const now = () => performance.now();

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Run `fn` once as a warm-up, then `reps` times; returns every measured result. */
export async function repeat<T>(reps: number, fn: () => Promise<T>, warmup = true): Promise<T[]> {
  if (warmup) await fn();
  const out: T[] = [];
  for (let i = 0; i < reps; i++) out.push(await fn());
  return out;
}

/** Median wall time of `fn` in ms (one warm-up, then `reps` runs). */
export async function timeMedian(reps: number, fn: () => Promise<unknown>, warmup = true): Promise<number> {
  return median(await repeat(reps, async () => { const t = now(); await fn(); return now() - t; }, warmup));
}

export function ms(x: number): string {
  if (!Number.isFinite(x)) return "–";
  if (x >= 100_000) return `${(x / 1000).toFixed(0)} s`;
  if (x >= 10_000) return `${(x / 1000).toFixed(1)} s`;
  if (x >= 100) return `${x.toFixed(0)} ms`;
  if (x >= 10) return `${x.toFixed(1)} ms`;
  return `${x.toFixed(2)} ms`;
}

export function bytes(x: number): string {
  if (!Number.isFinite(x)) return "–";
  if (x >= 1024 * 1024) return `${(x / 1024 / 1024).toFixed(2)} MiB`;
  if (x >= 1024) return `${(x / 1024).toFixed(1)} KiB`;
  return `${x} B`;
}

export function ratio(x: number): string {
  if (!Number.isFinite(x)) return "–";
  return x >= 100 ? `${x.toFixed(0)}×` : x >= 10 ? `${x.toFixed(1)}×` : `${x.toFixed(2)}×`;
}

/** A table with a title, right-aligned numeric-looking cells, and notes underneath. */
export function table(title: string, headers: string[], rows: string[][], notes: string[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const numeric = (s: string) => /^[-+~≈<>≤≥]?\s?[\d.,]+/.test(s) || s === "–";
  const line = (cells: string[]) => "| " + cells.map((c, i) => (numeric(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ") + " |";
  const rule = "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|";
  return [`\n### ${title}\n`, line(headers), rule, ...rows.map(line), ...(notes.length ? ["", ...notes.map((n) => `${n}`)] : []), ""].join("\n");
}

/** Peak resident set size (VmHWM) of a process in MB, or NaN when it is gone. */
export function peakRssMb(pid: number | "self" = "self"): number {
  try {
    const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmHWM:\s+(\d+)\s+kB/);
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Reset this process's VmHWM to its current RSS (Linux ≥ 4.0); false when not possible. */
export function resetPeakRss(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}
