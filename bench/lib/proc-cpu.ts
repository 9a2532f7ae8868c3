/**
 * CPU time by process group on this machine (Linux /proc), so a load phase can say where each
 * request's CPU went: the web server, PostgreSQL, the load generator, the rest (nodes, worker).
 * On two cores these share the same CPUs: a web process at 100% can be waiting for a core its
 * database holds. Elsewhere than Linux, `cpuSnapshot` returns null and nothing is printed.
 */
import { readdirSync, readFileSync } from "node:fs";

export type CpuSnapshot = Map<number, { group: string; ms: number }>;
const TICK_MS = 10; // USER_HZ is 100 on Linux

/** The group a process belongs to, by its command name and arguments. */
function groupOf(pid: number, comm: string): string {
  if (pid === process.pid) return "load generator";
  if (comm === "postgres") return "PostgreSQL";
  if (comm.startsWith("next-server") || comm.startsWith("next-router")) return "web (Next)";
  return "other (nodes, worker, launchers)";
}

export function cpuSnapshot(): CpuSnapshot | null {
  let pids: string[];
  try { pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d)); } catch { return null; }
  const out: CpuSnapshot = new Map();
  for (const p of pids) {
    let stat: string;
    try { stat = readFileSync(`/proc/${p}/stat`, "utf8"); } catch { continue; } // gone meanwhile
    const open = stat.indexOf("("), close = stat.lastIndexOf(")");
    const comm = stat.slice(open + 1, close);
    const f = stat.slice(close + 2).split(" "); // f[0] is the state (field 3): utime is field 14, stime 15
    const ms = (Number(f[11]) + Number(f[12])) * TICK_MS;
    out.set(Number(p), { group: groupOf(Number(p), comm), ms });
  }
  return out;
}

/**
 * CPU milliseconds per group between two snapshots: each process's growth, all of it for one
 * started between them. A process that exited between them is not counted (a load phase's
 * processes run throughout it).
 */
export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): [string, number][] {
  const groups = new Map<string, number>();
  for (const [pid, { group, ms }] of b) groups.set(group, (groups.get(group) ?? 0) + Math.max(0, ms - (a.get(pid)?.ms ?? 0)));
  return [...groups].filter(([, ms]) => ms > 0).sort((x, y) => y[1] - x[1]);
}
