/**
 * The rate limits in front of next-auth's credentials sign-in: every attempt counts against
 * the client's address, and an account that has had too many wrong passwords is refused before
 * next-auth (and Argon2) runs. Refusals are 429 with Retry-After, in the JSON next-auth's
 * client reads (`url` carries error=TOO_MANY_ATTEMPTS, which the sign-in form words).
 * authenticate() counts the wrong passwords themselves (server/accounts/users.ts).
 */
import { getDb, type Database } from "../db/client";
import { isAppError, type AppError } from "../errors";
import { check, clientIp, consume } from "../http/rate-limits";

export async function signInGate(req: Request, database?: Database): Promise<Response | null> {
  if (!new URL(req.url).pathname.endsWith("/callback/credentials")) return null;
  const db = database ?? await getDb();
  try {
    const ip = clientIp(req.headers);
    if (ip) await consume(db.prisma, "signInIp", ip);
    const form = await req.clone().formData().catch(() => null);
    const email = form?.get("email");
    if (typeof email === "string" && email.length <= 254) await check(db.prisma, "signInAccount", email.trim().toLowerCase());
    return null;
  } catch (e) {
    if (!isAppError(e) || e.code !== "RATE_LIMITED") throw e;
    const wait = (e as AppError).retryAfterSeconds ?? 60;
    const url = new URL("/signin", req.url);
    url.searchParams.set("error", "TOO_MANY_ATTEMPTS");
    return new Response(JSON.stringify({ url: url.toString(), message: e.message }), {
      status: 429,
      headers: { "content-type": "application/json", "retry-after": String(wait), "cache-control": "no-store" },
    });
  }
}
