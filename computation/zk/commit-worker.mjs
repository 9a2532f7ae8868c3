// The commit worker's entry: worker threads do not inherit tsx's loader, so register it here, then run the TypeScript worker.
import { register } from "tsx/esm/api";

register();
await import("./commit-worker.ts");
