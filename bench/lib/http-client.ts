/**
 * The load benchmark's HTTP client: node:http with a keep-alive agent. Node's fetch (undici)
 * cost the load generator about 1 ms of CPU per request, on the same two cores as the server it
 * measures; this costs a fraction of that. It asks for compression as browsers and fetch do
 * (Accept-Encoding), so the server does the same work, and decompresses only when a caller
 * reads the body.
 */
import http from "node:http";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

export type Reply = { status: number; ok: boolean; text: () => string };

export function request(url: string, o: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { "accept-encoding": "gzip, deflate, br", ...o.headers };
    if (o.body !== undefined) headers["content-length"] = Buffer.byteLength(o.body);
    const req = http.request(url, { method: o.method ?? "GET", headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        const raw = Buffer.concat(chunks);
        const encoding = res.headers["content-encoding"];
        resolve({
          status, ok: status >= 200 && status < 300,
          text: () => (encoding === "gzip" ? gunzipSync(raw) : encoding === "deflate" ? inflateSync(raw) : encoding === "br" ? brotliDecompressSync(raw) : raw).toString("utf8"),
        });
      });
    });
    req.on("error", reject);
    req.end(o.body);
  });
}
