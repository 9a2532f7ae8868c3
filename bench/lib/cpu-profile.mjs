// Preloaded into a child process (NODE_OPTIONS=--import <this file>) when a benchmark runs
// with --cpu-prof: Node 20 refuses --cpu-prof in NODE_OPTIONS, so this starts the V8
// profiler through the inspector and writes <pid>.cpuprofile into BENCH_CPU_PROF_DIR
// when the process exits normally (e.g. a node's SIGTERM handler calling process.exit).
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import path from "node:path";
import process from "node:process";

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 500 });
  session.post("Profiler.start");
  process.on("exit", () => {
    // On the main thread the inspector answers synchronously, so this works inside "exit".
    session.post("Profiler.stop", (err, result) => {
      if (!err) writeFileSync(path.join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
