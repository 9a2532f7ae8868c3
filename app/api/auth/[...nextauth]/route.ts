import NextAuth from "next-auth";
import { authOptions } from "@/server/auth/options";
import { signInGate } from "@/server/auth/sign-in-gate";

const handler = NextAuth(authOptions);

/** Sign-in attempts pass the rate limits first (429 with Retry-After), then next-auth. */
async function post(req: Request, ctx: unknown) {
  const refused = await signInGate(req);
  return refused ?? (handler as (r: Request, c: unknown) => Promise<Response>)(req, ctx);
}

export { handler as GET, post as POST };
