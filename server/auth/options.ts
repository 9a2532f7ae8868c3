/**
 * next-auth: email + password (Credentials) with JWT sessions. The token carries only
 * the user id; everything else (memberships, roles) is read fresh on each request, so a
 * role withdrawn by an admin takes effect at once.
 */
import type { NextAuthOptions } from "next-auth";
import CredentialsImport from "next-auth/providers/credentials";
import { z } from "zod";
import { authenticate } from "../accounts/users";
import { getDb } from "../db/client";
import { isAppError } from "../errors";

// Under plain Node ESM the provider arrives wrapped in { default }.
const Credentials = ((CredentialsImport as unknown as { default?: typeof CredentialsImport }).default ?? CredentialsImport);

const credentials = z.object({ email: z.string().max(254), password: z.string().max(200) });

/**
 * Session cookies are Secure (and __Secure- prefixed) whenever the app is not on the local
 * machine: a marketplace reached over plain http from another host must not hand out a
 * session a watcher of the wire can take. Browsers treat http://localhost as secure anyway.
 */
export function secureCookies(url = process.env.NEXTAUTH_URL ?? "http://localhost"): boolean {
  let u: URL;
  try { u = new URL(url); } catch { return true; }
  return u.protocol === "https:" || !["localhost", "127.0.0.1", "[::1]"].includes(u.hostname);
}

export const authOptions: NextAuthOptions = {
  secret: process.env.NEXTAUTH_SECRET ?? process.env.AUTH_SECRET,
  useSecureCookies: secureCookies(),
  session: { strategy: "jwt", maxAge: 8 * 60 * 60 },
  pages: { signIn: "/signin" },
  providers: [
    Credentials({
      name: "Email and password",
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(raw) {
        const parsed = credentials.safeParse(raw);
        if (!parsed.success) return null;
        try {
          const db = await getDb();
          // The address was counted at the door (sign-in-gate.ts, app/api/auth route).
          const user = await authenticate(db.prisma, parsed.data.email, parsed.data.password);
          return { id: user.id, email: user.email, name: user.name };
        } catch (e) {
          if (isAppError(e) && e.reason === "WRONG_CREDENTIALS") return null;
          // next-auth passes the message on as the sign-in error: the form words it.
          if (isAppError(e) && e.code === "RATE_LIMITED") throw new Error("TOO_MANY_ATTEMPTS");
          throw e;
        }
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user) token.sub = user.id;
      return token;
    },
    session({ session, token }) {
      return { ...session, userId: token.sub ?? null };
    },
  },
};
