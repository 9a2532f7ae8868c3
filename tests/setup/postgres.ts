/**
 * Vitest global setup: starts a throwaway PostgreSQL server on 127.0.0.1 (Debian's
 * postgresql package) for the integration tests that run against a real server, and
 * stops it afterwards. Without the package the server suites are skipped, except under
 * CI=true, where that is an error.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext { postgresUrl: string | null }
}

function findBin(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(path.join(root, v, "bin", "initdb"))) return path.join(root, v, "bin");
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
}

export default async function setup(project: TestProject) {
  const bin = findBin();
  if (!bin) {
    if (process.env.CI === "true") throw new Error("PostgreSQL server binaries not found: apt-get install -y postgresql");
    console.warn("\n⚠ PostgreSQL not installed: the real-server test suites are SKIPPED (apt-get install -y postgresql to run them).\n");
    project.provide("postgresUrl", null);
    return;
  }
  // initdb refuses to run as root; run the server as the postgres user then.
  const asRoot = process.getuid?.() === 0;
  const runAs = (cmd: string, args: string[]) => asRoot
    ? execFileSync("runuser", ["-u", "postgres", "--", cmd, ...args], { stdio: "pipe" })
    : execFileSync(cmd, args, { stdio: "pipe" });
  const dir = mkdtempSync(path.join(tmpdir(), "market-pg-"));
  chmodSync(dir, 0o777);
  const data = path.join(dir, "data");
  const port = await freePort();
  if (asRoot) execFileSync("chown", ["postgres", dir]);
  runAs(path.join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"]);
  runAs(path.join(bin, "pg_ctl"), ["-D", data, "-w", "-l", path.join(dir, "log"), "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`, "start"]);
  project.provide("postgresUrl", `postgres://postgres@127.0.0.1:${port}/postgres`);
  return () => {
    const stop = asRoot
      ? spawnSync("runuser", ["-u", "postgres", "--", path.join(bin, "pg_ctl"), "-D", data, "-m", "immediate", "stop"])
      : spawnSync(path.join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "stop"]);
    if (stop.status !== 0) console.warn(String(stop.stderr));
    rmSync(dir, { recursive: true, force: true });
  };
}
