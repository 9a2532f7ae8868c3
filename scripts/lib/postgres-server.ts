/**
 * A throwaway PostgreSQL server on 127.0.0.1 from Debian's postgresql package (initdb into
 * a temp folder, trust auth, fsync off), for the tests and the benchmark. initdb refuses to
 * run as root, so as root the server runs as the postgres user.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export function findPostgresBin(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  for (const v of readdirSync(root).sort((a, b) => Number(b) - Number(a))) {
    if (existsSync(path.join(root, v, "bin", "initdb"))) return path.join(root, v, "bin");
  }
  return null;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
}

export interface ThrowawayPostgres {
  /** superuser URL of the `postgres` database, over TCP on 127.0.0.1 */
  url: string;
  /** the same over the server's Unix socket in `dir`: how a process on the same machine reaches it most cheaply */
  socketUrl: string;
  /** the temp folder (data, socket, log); world-readable so the server can COPY files from it */
  dir: string;
  /** stop the server and remove its folder; safe to call twice */
  stop(): void;
}

export async function startThrowawayPostgres(bin: string, opts: { prefix: string; settings?: string } = { prefix: "pg-" }): Promise<ThrowawayPostgres> {
  const asRoot = process.getuid?.() === 0;
  const pgCtl = path.join(bin, "pg_ctl");
  const runAs = (cmd: string, args: string[]) => (asRoot
    ? execFileSync("runuser", ["-u", "postgres", "--", cmd, ...args], { stdio: "pipe" })
    : execFileSync(cmd, args, { stdio: "pipe" }));
  const dir = mkdtempSync(path.join(tmpdir(), opts.prefix));
  chmodSync(dir, 0o777);
  if (asRoot) execFileSync("chown", ["postgres", dir]);
  const data = path.join(dir, "data");
  const port = await freePort();
  runAs(path.join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"]);
  runAs(pgCtl, ["-D", data, "-w", "-l", path.join(dir, "log"), "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off ${opts.settings ?? ""}`.trim(), "start"]);
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    socketUrl: `postgres://postgres@localhost:${port}/postgres?host=${encodeURIComponent(dir)}`,
    dir,
    stop() {
      if (stopped) return;
      stopped = true;
      const args = ["-D", data, "-m", "immediate", "stop"];
      const r = asRoot ? spawnSync("runuser", ["-u", "postgres", "--", pgCtl, ...args]) : spawnSync(pgCtl, args);
      if (r.status !== 0) console.warn(`pg_ctl stop: ${String(r.stderr)}`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
