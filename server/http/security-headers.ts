/**
 * The marketplace's security headers, in one place: the Content-Security-Policy the proxy
 * (proxy.ts) sets on every page with a fresh nonce, and HSTS. The headers that never vary are
 * in next.config.js. Unit-tested here; checked on the running app in e2e/security.spec.ts;
 * docs/operations.md ("Security headers").
 */

/**
 * Pages that run node-seal in the browser. Its Emscripten bindings (embind) build their
 * invokers with `new Function`, so these pages, and only these, also allow 'unsafe-eval'.
 * Injected scripts still cannot run there: script-src admits only scripts carrying this
 * response's nonce and what they load ('strict-dynamic').
 */
export const HE_PAGES = ["/buyer/query"];

export function contentSecurityPolicy(o: { nonce: string; path: string; https: boolean; dev?: boolean }): string {
  const he = HE_PAGES.some((p) => o.path === p || o.path.startsWith(`${p}/`));
  const script = ["'self'", `'nonce-${o.nonce}'`, "'strict-dynamic'", "'wasm-unsafe-eval'"];
  if (he || o.dev) script.push("'unsafe-eval'"); // dev: React's refresh runtime evaluates code
  const directives: [string, ...string[]][] = [
    ["default-src", "'self'"],
    ["script-src", ...script],
    // React writes style attributes (charts, progress bars); a nonce would disable 'unsafe-inline'.
    ["style-src", "'self'", "'unsafe-inline'"],
    ["img-src", "'self'", "data:", "blob:"],
    ["font-src", "'self'"],
    ["connect-src", "'self'"],
    ["worker-src", "'self'", "blob:"],
    ["object-src", "'none'"],
    ["base-uri", "'none'"],
    ["form-action", "'self'"],
    ["frame-ancestors", "'none'"],
  ];
  if (o.https) directives.push(["upgrade-insecure-requests"]);
  return directives.map((d) => d.join(" ")).join("; ");
}

/** HSTS, sent on pages served over https (browsers then apply it to the whole host). */
export const HSTS = "max-age=63072000; includeSubDomains";
