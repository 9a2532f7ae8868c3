/**
 * The interactive API reference: Swagger UI (swagger-ui-dist, served from this app, nothing
 * from a CDN) over /api/v1/openapi.json. "Try it out" sends real requests with the token you
 * enter under "Authorize"; the token stays in this page's memory.
 */
export const dynamic = "force-dynamic";

/** The nonce of this response's Content-Security-Policy, if the proxy set one (proxy.ts). */
function nonceOf(req: Request): string | null {
  const csp = req.headers.get("content-security-policy") ?? "";
  return req.headers.get("x-nonce") ?? /'nonce-([A-Za-z0-9+/=_-]+)'/.exec(csp)?.[1] ?? null;
}

export function GET(req: Request) {
  const nonce = nonceOf(req);
  const n = nonce ? ` nonce="${nonce}"` : "";
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API reference · Privacy data marketplace</title>
<link rel="stylesheet" href="/api-reference/swagger-ui.css"${n}>
</head>
<body>
<div id="reference"></div>
<script src="/api-reference/swagger-ui-bundle.js"${n}></script>
<script src="/api-reference/init.js"${n}></script>
</body>
</html>`;
  return new Response(html, { headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } });
}
