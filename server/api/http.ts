/** Builds the API context from an HTTP request: the session cookie and the active-organisation cookie. */
import { cookies, headers } from "next/headers";
import { userIdFromSessionCookie } from "../auth/session";
import { getDb } from "../db/client";
import { clientIp } from "../http/rate-limits";
import { createContext } from "./trpc";

export const ORG_COOKIE = "mk_org";

export async function sessionUserId(): Promise<string | null> {
  const jar = await cookies();
  return userIdFromSessionCookie((name) => jar.get(name)?.value);
}

export async function contextFromRequest(rememberOrg?: (id: string) => void) {
  const [db, userId, jar, h] = await Promise.all([getDb(), sessionUserId(), cookies(), headers()]);
  return createContext({ db, userId, requestedOrgId: jar.get(ORG_COOKIE)?.value ?? null, rememberOrg, ip: clientIp(h) });
}

export const orgCookie = (id: string) =>
  `${ORG_COOKIE}=${encodeURIComponent(id)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000`;
