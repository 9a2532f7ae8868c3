/**
 * `npm run zk -- verify <audit.json>`: verify an audit's proofs (downloaded from the
 * supervisor console or a buyer's query page) with the verification keys committed in this
 * repository (circuits/keys, pinned in circuits/artifacts.json). Needs no account and no
 * network: a key served by anyone else is never trusted.
 *
 * Exit status: 0 verified, 1 verification failed, 2 usage or input error.
 */
import { readFile } from "node:fs/promises";
import { realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CIRCUITS_DIR, artifactPaths } from "../computation/zk/circuits";
import { verifyAudit, type AuditVerification } from "../computation/zk/verify";

export const USAGE = "Usage: npm run zk -- verify <audit.json>";

/** The committed keys and pins for an audit's chunk size. */
export async function committedKeys(chunkRows: number) {
  const pins = JSON.parse(await readFile(path.join(CIRCUITS_DIR, "artifacts.json"), "utf8")) as { circuits: Record<string, { vkey: string }> };
  const chunk = `chunk${chunkRows}`;
  if (!pins.circuits[chunk] || !pins.circuits.release) throw new Error(`No circuit for chunks of ${chunkRows} rows is committed here`);
  const load = async (name: string) => JSON.parse(await readFile(artifactPaths(name).vkey, "utf8")) as object;
  return { keys: { chunk: await load(chunk), release: await load("release") }, pins: { chunk: pins.circuits[chunk].vkey, release: pins.circuits.release.vkey } };
}

export async function verifyFile(file: string): Promise<AuditVerification> {
  const text = await readFile(file, "utf8");
  let bundle: unknown;
  try { bundle = JSON.parse(text); } catch { throw new Error(`${file} is not JSON`); }
  // A console download wraps the bundle: { bundle, … }; a bare bundle works too.
  if (bundle && typeof bundle === "object" && "bundle" in bundle) bundle = (bundle as { bundle: unknown }).bundle;
  const chunkRows = (bundle as { commitment?: { chunkRows?: unknown } } | null)?.commitment?.chunkRows;
  if (typeof chunkRows !== "number") throw new Error(`${file} is not an audit bundle (no commitment.chunkRows)`);
  const { keys, pins } = await committedKeys(chunkRows);
  return verifyAudit(bundle, keys, pins);
}

export async function main(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  const [command, file] = argv;
  if (command !== "verify" || !file) { out(USAGE); return 2; }
  let result: AuditVerification;
  try {
    result = await verifyFile(file);
  } catch (e) {
    out(`✖ ${(e as Error).message}`);
    return 2;
  }
  for (const c of result.checks) out(`${c.ok ? "✔" : "✖"} ${c.what}${c.detail ? `: ${c.detail}` : ""}`);
  out(result.ok ? "Verified: every sampled chunk and the release are proven against the registered commitment." : "NOT verified.");
  return result.ok ? 0 : 1;
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const code = await main(process.argv.slice(2));
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
  process.exit(code);
}
