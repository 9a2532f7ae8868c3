/**
 * The committed verification keys and their pinned hashes, read once per process, for
 * verifying audits here and for the browser (GET /api/zk/keys).
 */
import { committedKeys } from "@/core/zk/circuits";

let cached: ReturnType<typeof committedKeys> | null = null;

export const circuitKeys = () => (cached ??= committedKeys());
