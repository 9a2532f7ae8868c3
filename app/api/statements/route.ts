/**
 * GET /api/statements?period=2026-11[&format=pdf]: the active organisation's statement (its
 * postings in the period) as CSV or PDF.
 * GET /api/statements?invoice=<orderId>: a buyer's invoice for a paid order (PDF).
 * The API procedures check who may see what.
 */
import { TRPCError } from "@trpc/server";
import { contextFromRequest } from "@/server/api/http";
import { createCaller } from "@/server/api/root";
import { decimal, tablePdf } from "@/server/money/pdf";

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
      return pdfResponse(await tablePdf({
        title: `Invoice ${inv.number}`,
        head: [`Buyer: ${inv.buyer} (${inv.buyerOrgId})`, `Order ${inv.orderId}, paid ${inv.paidAt.toISOString().slice(0, 10)} via ${inv.provider}`],
        columns: [{ label: "item", x: 40 }, { label: "queries", x: 330 }, { label: `amount (${inv.currency.toUpperCase()})`, x: 420 }],
        rows: [[inv.item, String(inv.quantity), decimal(inv.amountMinor)], ...(inv.refundedMinor > 0n ? [["refunded", "", decimal(-inv.refundedMinor)]] : [])],
        foot: [`Total ${decimal(inv.amountMinor - inv.refundedMinor)} ${inv.currency.toUpperCase()}`, `Delivered so far: ${inv.delivered} of ${inv.quantity} queries`],
      }), `invoice-${inv.number}.pdf`);
    }
    const period = params.get("period") ?? undefined;
    const { period: p, rows } = await caller.money.statement(period ? { period } : undefined);
    if (params.get("format") === "pdf") {
      const org = ctx.active!.organisation;
      const totals = new Map<string, bigint>();
      for (const r of rows) totals.set(`${r.account} ${r.currency.toUpperCase()}`, (totals.get(`${r.account} ${r.currency.toUpperCase()}`) ?? 0n) + r.amountMinor);
      return pdfResponse(await tablePdf({
        title: `Statement ${p}`, head: [`${org.name} (${org.id})`, "Debits +, credits -."],
        columns: [{ label: "date", x: 40 }, { label: "kind", x: 150 }, { label: "account", x: 215 }, { label: "amount", x: 330 }, { label: "currency", x: 400 }, { label: "order / query", x: 450 }],
        rows: rows.map((r) => [r.at.toISOString().slice(0, 19).replace("T", " "), r.kind, r.account, decimal(r.amountMinor), r.currency.toUpperCase(), (r.queryId ?? r.orderId ?? "").slice(0, 13)]),
        foot: [...totals].map(([k, v]) => `${k}: ${decimal(v)}`),
      }), `statement-${p}.pdf`);
    }
    const lines = [["date", "kind", "account", "amount", "currency", "order", "query"].join(",")];
    for (const r of rows) lines.push([r.at.toISOString(), r.kind, r.account, decimal(r.amountMinor), r.currency.toUpperCase(), r.orderId, r.queryId].map(csv).join(","));
    return new Response(`${lines.join("\n")}\n`, { headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="statement-${p}.csv"`, "cache-control": "no-store" } });
  } catch (e) {
    if (e instanceof TRPCError) return Response.json({ error: { code: e.code, message: e.message } }, { status: e.code === "UNAUTHORIZED" ? 401 : e.code === "FORBIDDEN" ? 403 : e.code === "NOT_FOUND" ? 404 : 400 });
    throw e;
  }
}
