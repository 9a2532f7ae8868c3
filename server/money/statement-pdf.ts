/** A party's statement for a period as a PDF (pdf-lib, standard Helvetica: ASCII content only, names are ids). */
import { PDFDocument, StandardFonts, rgb } from "pdf-lib";

export type StatementRow = { at: Date; kind: string; account: string; amountMinor: bigint; currency: string; orderId: string | null; queryId: string | null };

const money = (minor: bigint) => `${minor < 0n ? "-" : ""}${(minor < 0n ? -minor : minor) / 100n}.${String((minor < 0n ? -minor : minor) % 100n).padStart(2, "0")}`;

export async function statementPdf(o: { organisation: string; orgId: string; period: string; rows: StatementRow[] }): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(`Statement ${o.period}`);
  doc.setProducer("Quancheng Data Marketplace");
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const ascii = (s: string) => s.replace(/[^\x20-\x7e]/g, "?");
  let page = doc.addPage([595, 842]); // A4
  let y = 800;
  const line = (cells: string[], f = font) => {
    if (y < 50) { page = doc.addPage([595, 842]); y = 800; }
    const xs = [40, 150, 215, 330, 420, 470];
    cells.forEach((c, i) => page.drawText(ascii(c), { x: xs[i]!, y, size: 8, font: f, color: rgb(0.1, 0.1, 0.1) }));
    y -= 13;
  };
  page.drawText(ascii(`Statement ${o.period}`), { x: 40, y, size: 16, font: bold });
  y -= 22;
  page.drawText(ascii(`${o.organisation} (${o.orgId})`), { x: 40, y, size: 9, font });
  y -= 24;
  line(["date", "kind", "account", "amount", "currency", "order / query"], bold);
  const totals = new Map<string, bigint>();
  for (const r of o.rows) {
    line([r.at.toISOString().slice(0, 19).replace("T", " "), r.kind, r.account, money(r.amountMinor), r.currency.toUpperCase(), (r.queryId ?? r.orderId ?? "").slice(0, 13)]);
    const k = `${r.account} ${r.currency.toUpperCase()}`;
    totals.set(k, (totals.get(k) ?? 0n) + r.amountMinor);
  }
  y -= 8;
  line(["totals (debit +, credit -)"], bold);
  for (const [k, v] of totals) line(["", "", k, money(v)]);
  return doc.save();
}
