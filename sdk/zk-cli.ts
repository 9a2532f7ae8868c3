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
import { fileURLToPath } from "node:url";
import { committedKeys } from "@/core/zk/circuits";
import { verifyAudit, type AuditVerification } from "@/core/zk/verify";

export const USAGE = "Usage: npm run zk -- verify <audit.json>";

export async function verifyFile(file: string): Promise<AuditVerification> {
  const text = await readFile(file, "utf8");
  let bundle: unknown;
  try { bundle = JSON.parse(text); } catch { throw new Error(`${file} is not JSON`); }
  // A console download wraps the bundle: { bundle, … }; a bare bundle works too.
  if (bundle && typeof bundle === "object" && "bundle" in bundle) bundle = (bundle as { bundle: unknown }).bundle;
  const { keys, pins } = committedKeys();
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
