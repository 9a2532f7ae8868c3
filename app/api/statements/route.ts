/** GET /api/statements?period=2026-11[&format=pdf]: the active organisation's statement as CSV or PDF (the API checks who may see it). */
import { TRPCError } from "@trpc/server";
import { contextFromRequest } from "@/server/api/http";
import { createCaller } from "@/server/api/root";
import { statementPdf } from "@/server/money/statement-pdf";

export const dynamic = "force-dynamic";

const csv = (v: unknown) => { const s = String(v ?? ""); return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s; };

export async function GET(req: Request) {
  const params = new URL(req.url).searchParams;
  const period = params.get("period") ?? undefined;
  try {
    const ctx = await contextFromRequest();
    const { period: p, rows } = await createCaller(ctx).money.statement(period ? { period } : undefined);
    if (params.get("format") === "pdf") {
      const org = ctx.active!.organisation;
      const pdf = await statementPdf({ organisation: org.name, orgId: org.id, period: p, rows });
      return new Response(Buffer.from(pdf), { headers: { "content-type": "application/pdf", "content-disposition": `attachment; filename="statement-${p}.pdf"`, "cache-control": "no-store" } });
    }
    const lines = [["date", "kind", "account", "amount", "currency", "order", "query"].join(",")];
    for (const r of rows) lines.push([r.at.toISOString(), r.kind, r.account, (Number(r.amountMinor) / 100).toFixed(2), r.currency.toUpperCase(), r.orderId, r.queryId].map(csv).join(","));
    return new Response(`${lines.join("\n")}\n`, { headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="statement-${p}.csv"`, "cache-control": "no-store" } });
  } catch (e) {
    if (e instanceof TRPCError) return Response.json({ error: { code: e.code, message: e.message } }, { status: e.code === "UNAUTHORIZED" ? 401 : e.code === "FORBIDDEN" ? 403 : 400 });
    throw e;
  }
}
