/** GET /api/zk/keys: the committed verification keys and their pinned hashes (public, for verifying audits anywhere). */
import { circuitKeys } from "@/server/proofs/keys";

// Read at request time (once per process), so a rebuilt circuit's keys are served without a web build.
export const dynamic = "force-dynamic";

export function GET() {
  return Response.json(circuitKeys(), { headers: { "cache-control": "public, max-age=300" } });
}
