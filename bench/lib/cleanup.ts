/**
 * Everything a benchmark starts (processes, servers, temp folders) registers its own undo
 * here; bench/index.ts runs the undos in reverse order when the run ends, fails, or is
 * interrupted (SIGINT / SIGTERM), so nothing is left behind.
 */
type Task = { label: string; run: () => unknown };

const tasks: Task[] = [];

/** Register an undo; returns a function that runs it now (once) and unregisters it. */
export function onCleanup(label: string, run: () => unknown): () => Promise<void> {
  const task: Task = { label, run };
  tasks.push(task);
  return async () => {
    const i = tasks.indexOf(task);
    if (i < 0) return;
    tasks.splice(i, 1);
    await task.run();
  };
}

let running: Promise<void> | null = null;

/** Run every registered undo, newest first; errors are reported, never thrown. */
export function runCleanup(): Promise<void> {
  running ??= (async () => {
    while (tasks.length) {
      const task = tasks.pop()!;
      try {
        await task.run();
      } catch (e) {
        console.error(`cleanup "${task.label}" failed: ${(e as Error).message}`);
      }
    }
  })().finally(() => { running = null; });
  return running;
}
