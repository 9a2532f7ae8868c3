/**
 * Waiting for the processes tests and benchmarks start: a web process (scripts/start.ts or
 * `next start`) until /api/health answers, a worker (scripts/worker.ts) until it says it is
 * ready. Each fails at once, with what the process said, if it exits first.
 */
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

/** Polls `${base}/api/health` until it answers 200; a fresh clone builds the app first, hence the long default. */
export async function untilHealthy(base: string, child: ChildProcess, o: { ms?: number; output?: () => string } = {}): Promise<void> {
  const end = Date.now() + (o.ms ?? 20 * 60_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${base}: the process exited (${child.exitCode ?? child.signalCode}) before it was healthy${o.output ? `:\n${o.output()}` : "."}`);
    }
    if (await fetch(`${base}/api/health`).then((r) => r.ok, () => false)) return;
    if (Date.now() > end) throw new Error(`${base} did not become healthy in ${Math.round((o.ms ?? 20 * 60_000) / 1000)} s.`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Resolves when a worker prints its "worker-ready" event on stdout (which must be piped); other lines go to `echo`. */
export function untilWorkerReady(child: ChildProcess, echo: (line: string) => void = () => {}): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const exited = (code: number | null) => reject(new Error(`The worker exited (${code}) before it was ready.`));
    child.once("exit", exited);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.includes('"worker-ready"')) { child.off("exit", exited); resolve(child); } else echo(line);
    });
  });
}
