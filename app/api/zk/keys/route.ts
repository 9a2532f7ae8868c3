/** GET /api/zk/keys: the committed verification keys and their pinned hashes (public, for verifying audits anywhere). */
import { circuitKeys } from "@/server/proofs/keys";

export const dynamic = "force-static";

export function GET() {
  return Response.json(circuitKeys(), { headers: { "cache-control": "public, max-age=300" } });
}
