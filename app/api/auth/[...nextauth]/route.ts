import NextAuth from "next-auth";
import { authOptions } from "@/server/auth/options";
import { signInGate } from "@/server/auth/sign-in-gate";
import { BODY_LIMITS, withBodyLimit } from "@/server/http/body-limit";

const handler = NextAuth(authOptions);

/** Sign-in attempts pass the rate limits first (429 with Retry-After), then next-auth. */
function post(request: Request, ctx: unknown) {
  return withBodyLimit(request, BODY_LIMITS.auth, async (req) => {
    const refused = await signInGate(req);
    return refused ?? (handler as (r: Request, c: unknown) => Promise<Response>)(req, ctx);
  });
}

export { handler as GET, post as POST };
