/**
 * The runtime import graph of our own code has no cycle (issue 17): a module never needs,
 * through any chain, a module that needs it. Type-only imports are left out (they vanish when
 * compiled); tests are left out (nothing imports them).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "..");
const folders = ["core", "app", "server", "computation", "sdk", "circuits"];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return name === "node_modules" || name === "generated" ? [] : sources(p);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [p] : [];
  });
}

function resolve(from: string, spec: string): string | null {
  const base = spec.startsWith("@/") ? path.join(root, spec.slice(2)) : spec.startsWith(".") ? path.resolve(path.dirname(from), spec) : null;
  if (!base) return null;
  for (const c of [`${base}.ts`, `${base}.tsx`, path.join(base, "index.ts")]) if (existsSync(c)) return c;
  return null;
}

/** Runtime imports and re-exports (`import type` / `export type` are skipped). */
function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of folders.flatMap((d) => sources(path.join(root, d)))) {
    const text = readFileSync(f, "utf8");
    const deps = [...text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^;]*?\sfrom\s+)?"([^"]+)"/gm)]
      .filter((m) => !m[1]).map((m) => resolve(f, m[2]!)).filter((x): x is string => x !== null);
    g.set(f, [...new Set(deps)]);
  }
  return g;
}

/** Strongly connected components with more than one module (Tarjan), or a module importing itself. */
function cycles(g: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>(), out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter); low.set(v, counter++); stack.push(v); on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      for (let w = stack.pop()!; ; w = stack.pop()!) { on.delete(w); comp.push(w); if (w === v) break; }
      if (comp.length > 1 || (g.get(v) ?? []).includes(v)) out.push(comp.map((x) => path.relative(root, x)).sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe("import graph", () => {
  it("finds the imports it checks", () => {
    const g = graph();
    expect(g.get(path.join(root, "server/queries/jobs.ts"))).toContain(path.join(root, "server/nodes/client.ts"));
  });
  it("has no cycle", () => {
    expect(cycles(graph())).toEqual([]);
  });
  it("would see one", () => {
    expect(cycles(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]))).toEqual([["a", "b", "c"]]);
  });
});
