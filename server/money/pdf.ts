/**
 * Statements and invoices as PDF (pdf-lib with the standard Helvetica font: ASCII only, so
 * parties appear by id and amounts in minor-unit-exact decimals).
 */
import { PDFDocument, StandardFonts, rgb } from "pdf-lib";

/** Minor units as a decimal string, exactly (no floats). */
export const decimal = (minor: bigint) => {
  const a = minor < 0n ? -minor : minor;
  return `${minor < 0n ? "-" : ""}${a / 100n}.${String(a % 100n).padStart(2, "0")}`;
};

/** A one-table document: a title, lines of heading, a table, and lines at the foot. */
export async function tablePdf(o: { title: string; head: string[]; columns: { label: string; x: number }[]; rows: string[][]; foot: string[] }): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(o.title);
  doc.setProducer("Quancheng Data Marketplace");
  const [font, bold] = await Promise.all([doc.embedFont(StandardFonts.Helvetica), doc.embedFont(StandardFonts.HelveticaBold)]);
  const ascii = (s: string) => s.replace(/[^\x20-\x7e]/g, "?");
  let page = doc.addPage([595, 842]); // A4
  let y = 800;
  const text = (s: string, x: number, size: number, f = font) => page.drawText(ascii(s), { x, y, size, font: f, color: rgb(0.1, 0.1, 0.1) });
  const newline = (dy: number) => { y -= dy; if (y < 50) { page = doc.addPage([595, 842]); y = 800; } };
  text(o.title, 40, 16, bold);
  newline(22);
  for (const h of o.head) { text(h, 40, 9); newline(13); }
  newline(10);
  o.columns.forEach((c) => text(c.label, c.x, 8, bold));
  newline(13);
  for (const r of o.rows) { r.forEach((cell, i) => text(cell, o.columns[i]!.x, 8)); newline(13); }
  newline(8);
  for (const f of o.foot) { text(f, 40, 9, bold); newline(13); }
  return doc.save();
}
