/** Swagger UI's files, from the installed swagger-ui-dist package, and the page's start-up script. */
import { readFile } from "node:fs/promises";
import path from "node:path";

export const dynamic = "force-dynamic";

const files: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
};

const init = `window.ui = SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#reference",
  deepLinking: true,
  persistAuthorization: false,
  tryItOutEnabled: false,
});
`;

export async function GET(_req: Request, { params }: { params: Promise<{ file: string }> }) {
  const { file } = await params;
  if (file === "init.js") return new Response(init, { headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-store" } });
  const type = files[file];
  if (!type) return new Response("Not found", { status: 404 });
  const body = await readFile(path.join(/*turbopackIgnore: true*/ process.cwd(), "node_modules", "swagger-ui-dist", file));
  return new Response(body, { headers: { "content-type": type, "cache-control": "public, max-age=3600" } });
}
