/**
 * Request bodies are bounded before anything reads them: a declared Content-Length over the
 * limit is refused at once (413, and the connection closed, so the rest of an upload is not
 * read), and a body without one (chunked) is cut off at the limit as it streams in.
 * Limits per surface are in BODY_LIMITS; docs/operations.md ("Rate limits and request bounds").
 */
export const BODY_LIMITS = {
  /** tRPC and REST: a signed query carries the buyer's BFV public key (a node accepts up to 4 MB). */
  api: 6_000_000,
  /** next-auth's forms. */
  auth: 16_384,
  /** Payment provider webhooks (Stripe's events are a few kB). */
  webhook: 512 * 1024,
} as const;

export function tooLarge(max: number): Response {
  return new Response(JSON.stringify({ error: { code: "PAYLOAD_TOO_LARGE", reason: "BODY_TOO_LARGE", message: `Request bodies here are limited to ${max} bytes.` } }), {
    status: 413, headers: { "content-type": "application/json; charset=utf-8", connection: "close" },
  });
}

/**
 * Serve `handler` on `req` with its body bounded to `max` bytes: 413 for a body that declares
 * more, or that streams in more without declaring a length (read here, up to `max`, then given
 * to the handler whole). A declared length is held to by Node's HTTP server.
 */
export async function withBodyLimit(req: Request, max: number, handler: (req: Request) => Promise<Response>): Promise<Response> {
  const declared = req.headers.get("content-length");
  if (declared !== null && (!/^\d+$/.test(declared) || Number(declared) > max)) return tooLarge(max);
  if (!req.body || declared !== null) return handler(req);
  const chunks: Uint8Array[] = [];
  let seen = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    seen += value.byteLength;
    if (seen > max) { await reader.cancel().catch(() => {}); return tooLarge(max); }
    chunks.push(value);
  }
  // Same class as given (Next passes a NextRequest, which next-auth relies on).
  const Ctor = req.constructor as typeof Request;
  return handler(new Ctor(req.url, { method: req.method, headers: req.headers, body: Buffer.concat(chunks) }));
}
