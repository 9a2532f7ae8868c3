/**
 * The committed verification keys and their pinned hashes (circuits/keys, circuits/artifacts.json),
 * for verifying audits here and for the browser (GET /api/zk/keys).
 */
import { existsSync, readFileSync } from "node:fs";
import { artifactPaths, CIRCUITS_DIR } from "@/computation/zk/circuits";
import path from "node:path";

export interface CircuitKeys {
  /** verification key per circuit name (chunk16, chunk256, release) */
  keys: Record<string, object>;
  /** pinned SHA-256 of each verification key's canonical JSON */
  pins: Record<string, string>;
}

let cached: CircuitKeys | null = null;

export function circuitKeys(): CircuitKeys {
  if (cached) return cached;
  const pinned = JSON.parse(readFileSync(path.join(CIRCUITS_DIR, "artifacts.json"), "utf8")) as { circuits: Record<string, { vkey: string }> };
  const keys: Record<string, object> = {};
  const pins: Record<string, string> = {};
  for (const [name, pin] of Object.entries(pinned.circuits)) {
    const file = artifactPaths(name).vkey;
    if (!existsSync(file)) continue;
    keys[name] = JSON.parse(readFileSync(file, "utf8")) as object;
    pins[name] = pin.vkey;
  }
  return (cached = { keys, pins });
}
