/**
 * Where a process spent its CPU: a V8 .cpuprofile (bench/lib/cpu-profile.mjs) reduced to the
 * share of busy time (idle excluded) per part of the stack, by the source file of the sampled
 * frame (self time), and the hottest functions. Used by `npm run bench -- load --cpu-prof DIR`.
 */
import { readFileSync } from "node:fs";

type Frame = { functionName: string; url: string; lineNumber: number };
type Profile = { nodes: { id: number; callFrame: Frame }[]; samples: number[]; timeDeltas: number[] };

/** The part of the stack a frame belongs to, from its source file. */
export function partOf(f: Frame): string {
  const u = f.url;
  if (f.functionName === "(idle)") return "idle";
  if (f.functionName === "(garbage collector)") return "garbage collection";
  if (f.functionName === "(program)") return "V8 and native (program)";
  if (/query_compiler|\.wasm/.test(u)) return "Prisma query compiler (WASM)";
  if (/@prisma\/adapter|@prisma\/driver-adapter/.test(u)) return "Prisma driver adapter";
  if (/@prisma\/client|generated\/client|\.prisma/.test(u)) return "Prisma client";
  if (/node_modules\/(pg|pg-protocol|pg-pool|pg-types|postgres-[a-z]+)\//.test(u)) return "pg driver";
  if (/next\/dist\/compiled\//.test(u)) return `Next (compiled ${u.split("compiled/")[1]!.split("/")[0]})`;
  if (/next\/dist\//.test(u)) return "Next server";
  if (/\.next\/server\//.test(u)) return "the app (compiled routes and server code)";
  if (u.startsWith("node:")) return `Node ${u.slice(5).split("/")[0]}`;
  if (/node_modules\//.test(u)) return `package ${u.split("node_modules/").pop()!.split("/").slice(0, u.includes("node_modules/@") ? 2 : 1).join("/")}`;
  return u ? "other scripts" : `native ${f.functionName || "(anonymous)"}`;
}

export function summariseProfile(file: string, top = 12): { parts: [string, number][]; functions: [string, number][]; busyMs: number } {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const frames = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const parts = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  p.samples.forEach((id, i) => {
    const f = frames.get(id)!;
    const part = partOf(f);
    const dt = p.timeDeltas[i] ?? 0;
    if (part === "idle") return;
    busy += dt;
    parts.set(part, (parts.get(part) ?? 0) + dt);
    const where = `${f.functionName || "(anonymous)"} (${f.url.split("/").slice(-2).join("/") || "native"}:${f.lineNumber + 1})`;
    functions.set(where, (functions.get(where) ?? 0) + dt);
  });
  const share = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => [k, v / busy] as [string, number]);
  return { parts: share(parts), functions: share(functions), busyMs: busy / 1000 };
}
