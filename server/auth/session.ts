/**
 * The signed-in person's id from the session cookie, read as next-auth reads it: its JWT,
 * encrypted with NEXTAUTH_SECRET (a key derived by HKDF), expiry checked by jose. Every API
 * request and page needs it, so this reads the cookie directly instead of running next-auth's
 * session handler (getServerSession), which also re-encrypts the token to roll its expiry: a
 * cookie a route handler or a server component cannot send anyway. The browser's session is
 * rolled where next-auth does it, at /api/auth/session.
 *
 * The decryption is next-auth's own decode (next-auth/jwt), with its key derived and imported
 * once per secret instead of once per request (HKDF was 2% of a search request's CPU under
 * load), and only the algorithms next-auth encrypts with accepted (dir, A256GCM).
 */
import { hkdfSync } from "node:crypto";
import { jwtDecrypt } from "jose";
import { authOptions } from "./options";

/** next-auth's session cookie name: __Secure- prefixed when its cookies are Secure (options.ts). */
export const sessionCookieName = (secure = authOptions.useSecureCookies ?? false) => `${secure ? "__Secure-" : ""}next-auth.session-token`;

export async function userIdFromSessionCookie(get: (name: string) => string | undefined, o: { secret?: string; secure?: boolean } = {}): Promise<string | null> {
  const secret = o.secret ?? authOptions.secret;
  const name = sessionCookieName(o.secure);
  let token = get(name);
  if (token === undefined) {
    // next-auth splits a cookie past 4 KB into name.0, name.1, …
    const parts: string[] = [];
    for (let i = 0; ; i++) { const part = get(`${name}.${i}`); if (part === undefined) break; parts.push(part); }
    if (parts.length) token = parts.join("");
  }
  if (!token || !secret) return null;
  const payload = await jwtDecrypt(token, await sessionKey(secret), { clockTolerance: 15, keyManagementAlgorithms: ["dir"], contentEncryptionAlgorithms: ["A256GCM"] })
    .then((r) => r.payload, () => null); // tampered, foreign, expired: no session
  return typeof payload?.sub === "string" ? payload.sub : null;
}

const keys = new Map<string, Promise<CryptoKey>>();
/**
 * next-auth's session encryption key (HKDF-SHA-256 of the secret, empty salt, its fixed info
 * string, 32 bytes) as a non-extractable AES-GCM key, made once per secret: jose would otherwise
 * import raw key bytes on every request.
 */
function sessionKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", hkdfSync("sha256", secret, "", "NextAuth.js Generated Encryption Key", 32), "AES-GCM", false, ["decrypt"]);
    keys.set(secret, key);
  }
  return key;
}
