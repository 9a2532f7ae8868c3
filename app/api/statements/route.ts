/**
 * GET /api/statements?period=2026-11[&format=pdf]: the active organisation's statement (its
 * postings in the period) as CSV or PDF (bilingual, server/money/pdf.ts).
 * GET /api/statements?invoice=<orderId>: a buyer's invoice for a paid order (PDF).
 * The API procedures check who may see what.
 */
import { TRPCError } from "@trpc/server";
import { contextFromRequest } from "@/server/api/http";
import { createCaller } from "@/server/api/root";
import { decimal, invoicePdf, statementPdf } from "@/server/money/pdf";

export const dynamic = "force-dynamic";

const csv = (v: unknown) => { const s = String(v ?? ""); return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s; };
const pdfResponse = (bytes: Uint8Array, name: string) =>
  new Response(Buffer.from(bytes), { headers: { "content-type": "application/pdf", "content-disposition": `attachment; filename="${name}"`, "cache-control": "no-store" } });

export async function GET(req: Request) {
  const params = new URL(req.url).searchParams;
  try {
    const ctx = await contextFromRequest();
    const caller = createCaller(ctx);
    const invoiceOf = params.get("invoice");
    if (invoiceOf) {
      const inv = await caller.money.invoice({ orderId: invoiceOf });
      return pdfResponse(await invoicePdf(inv), `invoice-${inv.number}.pdf`);
    }
    const period = params.get("period") ?? undefined;
    const { period: p, rows } = await caller.money.statement(period ? { period } : undefined);
    if (params.get("format") === "pdf") {
      const org = ctx.active!.organisation;
      return pdfResponse(await statementPdf({ period: p, organisation: { id: org.id, name: org.nameZh ? `${org.nameZh} ${org.name}` : org.name }, rows }), `statement-${p}.pdf`);
    }
    const lines = [["date", "kind", "account", "amount", "currency", "order", "query"].join(",")];
    for (const r of rows) lines.push([r.at.toISOString(), r.kind, r.account, decimal(r.amountMinor), r.currency.toUpperCase(), r.orderId, r.queryId].map(csv).join(","));
    return new Response(`${lines.join("\n")}\n`, { headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="statement-${p}.csv"`, "cache-control": "no-store" } });
  } catch (e) {
    if (e instanceof TRPCError) return Response.json({ error: { code: e.code, message: e.message } }, { status: e.code === "UNAUTHORIZED" ? 401 : e.code === "FORBIDDEN" ? 403 : e.code === "NOT_FOUND" ? 404 : 400 });
    throw e;
  }
}
