/**
 * The compiled circuits: which exist, where their artifacts are. Built by
 * `npm run circuits` (circuits/build.ts); hashes pinned in circuits/artifacts.json;
 * verification keys committed in circuits/keys/.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** This repository's circuits/, or MARKET_CIRCUITS_DIR (the packaged node ships its own copy: packages/node). */
export const CIRCUITS_DIR = process.env.MARKET_CIRCUITS_DIR
  ? path.resolve(process.env.MARKET_CIRCUITS_DIR)
  : path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "circuits");

export interface CircuitSpec {
  name: string;
  /** the circom main component */
  main: string;
  /** rows per chunk, for chunk circuits */
  chunkRows?: number;
  /** the filter a chunk circuit proves: a numeric range (ChunkStep) or text matches (ChunkStepMatch) */
  filter?: "range" | "match";
  /** built and committed by default (small); the others are built with --large */
  small: boolean;
}

export const circuitSpecs: CircuitSpec[] = [
  { name: "chunk16", main: "ChunkStep(16, 12)", chunkRows: 16, filter: "range", small: true },
  { name: "chunk16m", main: "ChunkStepMatch(16, 12, 4)", chunkRows: 16, filter: "match", small: true },
  { name: "release", main: "Release(12)", small: true },
  { name: "chunk256", main: "ChunkStep(256, 12)", chunkRows: 256, filter: "range", small: false },
  { name: "chunk256m", main: "ChunkStepMatch(256, 12, 4)", chunkRows: 256, filter: "match", small: false },
];

export const artifactPaths = (name: string) => ({
  source: path.join(CIRCUITS_DIR, `${name}.circom`),
  dir: path.join(CIRCUITS_DIR, "artifacts", name),
  r1cs: path.join(CIRCUITS_DIR, "artifacts", name, `${name}.r1cs`),
  wasm: path.join(CIRCUITS_DIR, "artifacts", name, `${name}.wasm`),
  zkey: path.join(CIRCUITS_DIR, "artifacts", name, `${name}.zkey`),
  vkey: path.join(CIRCUITS_DIR, "keys", `${name}.vkey.json`),
});

/** The verification keys committed here (circuits/keys) and their pinned hashes (circuits/artifacts.json), by circuit name. */
export function committedKeys(): { keys: Record<string, object>; pins: Record<string, string> } {
  const pinned = JSON.parse(readFileSync(path.join(CIRCUITS_DIR, "artifacts.json"), "utf8")) as { circuits: Record<string, { vkey: string }> };
  const keys: Record<string, object> = {};
  const pins: Record<string, string> = {};
  for (const [name, pin] of Object.entries(pinned.circuits)) {
    const file = artifactPaths(name).vkey;
    if (!existsSync(file)) continue;
    keys[name] = JSON.parse(readFileSync(file, "utf8")) as object;
    pins[name] = pin.vkey;
  }
  return { keys, pins };
}

/** A chunk circuit whose proving artifacts are present here, by rows per chunk and filter. */
export function chunkCircuit(chunkRows: number, filter: "range" | "match" = "range"): CircuitSpec | null {
  const spec = circuitSpecs.find((c) => c.chunkRows === chunkRows && c.filter === filter);
  if (!spec) return null;
  const p = artifactPaths(spec.name);
  return existsSync(p.wasm) && existsSync(p.zkey) ? spec : null;
}

/**
 * Rows per chunk a node commits with unless its config says otherwise: 16, whose artifacts
 * are committed, so every checkout can prove. 256 needs `npm run circuits -- build --large`.
 */
export const DEFAULT_CHUNK_ROWS = 16;
