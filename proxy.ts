/**
 * Every page's Content-Security-Policy, with a fresh nonce per request (Next.js puts it on its
 * own scripts, reading it from the request's policy header; pages are rendered per request).
 * The other security headers, for every response, are in next.config.js. docs/operations.md
 * ("Security headers") explains each directive.
 */
import { NextResponse, type NextRequest } from "next/server";
import { contentSecurityPolicy, HSTS } from "./server/http/security-headers";

export function proxy(request: NextRequest) {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  const nonce = btoa(String.fromCharCode(...bytes));
  const https = request.nextUrl.protocol === "https:" || request.headers.get("x-forwarded-proto") === "https";
  const csp = contentSecurityPolicy({ nonce, path: request.nextUrl.pathname, https, dev: process.env.NODE_ENV === "development" });
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  headers.set("content-security-policy", csp);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", csp);
  if (https) response.headers.set("strict-transport-security", HSTS);
  return response;
}

export const config = {
  // Pages only: API answers are JSON (next.config.js gives them nosniff and the rest), static
  // files carry no markup, and prefetches reuse the page's policy.
  matcher: [{
    source: "/((?!api/|_next/static|_next/image|icon.svg|favicon.ico).*)",
    missing: [{ type: "header", key: "next-router-prefetch" }, { type: "header", key: "purpose", value: "prefetch" }],
  }],
};
