/** The machine API (server/api/rest.ts): REST with organisation API tokens; /api/v1/openapi.json describes it. */
import { getDb } from "@/server/db/client";
import { handleRest } from "@/server/api/rest";
import { BODY_LIMITS, withBodyLimit } from "@/server/http/body-limit";
import { clientIp } from "@/server/http/rate-limits";

export const dynamic = "force-dynamic";

async function handler(req: Request, { params }: { params: Promise<{ path: string[] }> }) {
  const path = `/${(await params).path.map(encodeURIComponent).join("/")}`;
  return withBodyLimit(req, BODY_LIMITS.api, async (r) => handleRest(r, path, { db: await getDb(), ip: clientIp(r.headers) }));
}

export { handler as GET, handler as POST };
