/** Builds the API context from an HTTP request: the session cookie and the active-organisation cookie. */
import { getServerSession } from "next-auth";
import { cookies, headers } from "next/headers";
import { authOptions } from "../auth/options";
import { getDb } from "../db/client";
import { clientIp } from "../http/rate-limits";
import { createContext } from "./trpc";

export const ORG_COOKIE = "mk_org";

export async function sessionUserId(): Promise<string | null> {
  const session = (await getServerSession(authOptions)) as { userId?: string | null } | null;
  return session?.userId ?? null;
}

export async function contextFromRequest(rememberOrg?: (id: string) => void) {
  const [db, userId, jar, h] = await Promise.all([getDb(), sessionUserId(), cookies(), headers()]);
  return createContext({ db, userId, requestedOrgId: jar.get(ORG_COOKIE)?.value ?? null, rememberOrg, ip: clientIp(h) });
}

export const orgCookie = (id: string) =>
  `${ORG_COOKIE}=${encodeURIComponent(id)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000`;
