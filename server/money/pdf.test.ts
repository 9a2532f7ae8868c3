import fontkit from "@pdf-lib/fontkit";
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, decodePDFRawStream } from "pdf-lib";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { describe, expect, it } from "vitest";
import { decimal, invoicePdf, money, statementPdf, tablePdf } from "./pdf";

/**
 * The text a reader would copy out of the PDF: a line per baseline, spaces collapsed.
 * The fonts are Identity-H subsets whose glyph ids mean nothing by themselves (the subset has no
 * cmap), so PDF.js can only get Unicode from each font's ToUnicode map.
 */
async function pdfText(bytes: Uint8Array): Promise<string> {
  const doc = await getDocument({ data: bytes.slice(), verbosity: 0, isEvalSupported: false }).promise;
  const pages: string[] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const lines = new Map<number, { x: number; w: number; s: string }[]>();
    for (const item of (await (await doc.getPage(n)).getTextContent()).items) {
      if (!("str" in item) || !item.str) continue;
      const y = Math.round(item.transform[5]), x = item.transform[4];
      lines.set(y, [...(lines.get(y) ?? []), { x, w: item.width, s: item.str }]);
    }
    pages.push([...lines].sort(([a], [b]) => b - a).map(([, cells]) => {
      let out = "", end = -Infinity;
      for (const c of cells.sort((a, b) => a.x - b.x)) { out += (out && c.x - end > 1 ? " " : "") + c.s; end = c.x + c.w; }
      return out.replace(/\s+/g, " ").trim();
    }).join("\n"));
  }
  await doc.destroy();
  return pages.join("\n\f\n");
}

/** Each embedded font: whether it has a ToUnicode map, and whether all its glyphs decode. */
function fonts(doc: PDFDocument) {
  const out: { name: string; toUnicode: boolean; glyphs: number; broken: number }[] = [];
  for (const [, obj] of doc.context.enumerateIndirectObjects()) {
    if (!(obj instanceof PDFDict) || obj.get(PDFName.of("Subtype"))?.toString() !== "/Type0") continue;
    const cid = doc.context.lookup(doc.context.lookup(obj.get(PDFName.of("DescendantFonts")), PDFArray).get(0), PDFDict);
    const descriptor = doc.context.lookup(cid.get(PDFName.of("FontDescriptor")), PDFDict);
    const program = fontkit.create(decodePDFRawStream(doc.context.lookup(descriptor.get(PDFName.of("FontFile2"))) as PDFRawStream).decode());
    let broken = 0;
    for (let g = 0; g < program.numGlyphs; g++) { try { void program.getGlyph(g).path; } catch { broken++; } }
    out.push({ name: String(obj.get(PDFName.of("BaseFont"))), toUnicode: obj.has(PDFName.of("ToUnicode")), glyphs: program.numGlyphs, broken });
  }
  return out;
}

describe("PDF statements and invoices", () => {
  it("writes minor units exactly", () => {
    expect([decimal(0n), decimal(5n), decimal(-9750n), decimal(123456789012345678n)]).toEqual(["0.00", "0.05", "-97.50", "1234567890123456.78"]);
  });
  it("writes money with the currency's sign and thousands separators", () => {
    expect([money(2_000_000n, "cny"), money(-9750n, "CNY"), money(99_999n, "cny"), money(0n, "cny"), money(5n, "usd"), money(123456789012345678n, "cny"), money(123_456_789n, "sgd")])
      .toEqual(["¥20,000.00", "-¥97.50", "¥999.99", "¥0.00", "$0.05", "¥1,234,567,890,123,456.78", "SGD 1,234,567.89"]);
  });
  it("is a real PDF that breaks long tables across pages", async () => {
    const rows = Array.from({ length: 120 }, (_, i) => ["2026-11-01", "delivery", decimal(BigInt(-i * 137))]);
    const bytes = await tablePdf({ title: "Statement 2026-11", head: ["济南 Jinan (org-1)"], columns: [{ label: "date", x: 40 }, { label: "kind", x: 150 }, { label: "amount", x: 300 }], rows, foot: ["total"] });
    expect(new TextDecoder().decode(bytes.slice(0, 5))).toBe("%PDF-");
    const doc = await PDFDocument.load(bytes);
    expect(doc.getTitle()).toBe("Statement 2026-11");
    expect(doc.getPageCount()).toBeGreaterThanOrEqual(2);
  });

  it("prints Chinese names on an invoice, and a reader's copy gets them back", async () => {
    const bytes = await invoicePdf({
      number: "QCI-202611-AB12CD34", orderId: "0b6f3c2e-1d2a-4f7e-9a51-3c0e2b7d9f10", buyer: "济南市城市数据集团", buyerOrgId: "org-1",
      item: "城市医保理赔统计 ① 季度版", quantity: 1000, delivered: 12, amountMinor: 2_000_000n, refundedMinor: 50_000n, currency: "cny", provider: "offline",
      paidAt: new Date("2026-11-03T08:00:00Z"),
    });
    const text = await pdfText(bytes);
    for (const s of ["账单 Invoice QCI-202611-AB12CD34", "买方 Buyer: 济南市城市数据集团 (org-1)", "付款方式 Via: 线下 Offline", "项目 Item", "查询次数 Queries", "金额 Amount",
      "城市医保理赔统计 ① 季度版", "1,000", "¥20,000.00", "已退款 Refunded", "-¥500.00", "合计 Total: ¥19,500.00", "已交付 Delivered: 12 / 1,000 次查询 queries", "第 1 / 1 页 Page 1 of 1"]) {
      expect(text).toContain(s);
    }
    expect(text).not.toContain("?");
    const doc = await PDFDocument.load(bytes);
    expect(doc.getTitle()).toBe("账单 Invoice QCI-202611-AB12CD34");
    // Regular and bold from the "chinese-simplified" file, and "①" from the slice that has it:
    // each one a subset of the glyphs used, each with a ToUnicode map, every glyph intact.
    const embedded = fonts(doc);
    expect(embedded).toHaveLength(3);
    for (const f of embedded) expect(f).toMatchObject({ toUnicode: true, broken: 0 });
    expect(Math.max(...embedded.map((f) => f.glyphs))).toBeLessThan(100);
  });

  it("prints a bilingual statement with the organisation's Chinese name, small", async () => {
    const kinds = ["payment", "delivery", "refund", "payout", "query-refund"];
    const rows = Array.from({ length: 40 }, (_, i) => ({
      at: new Date(Date.UTC(2026, 10, 1 + (i % 28), 9, i)), kind: kinds[i % 5]!, account: i % 2 ? "buyer_prepaid" : "developer_payable",
      amountMinor: BigInt((i % 3 ? 1 : -1) * (2_000_000 + i)), currency: "cny", orderId: "0b6f3c2e-1d2a-4f7e-9a51-3c0e2b7d9f10", queryId: null,
    }));
    const bytes = await statementPdf({ period: "2026-11", organisation: { id: "org-1", name: "城市医保理赔统计中心" }, rows });
    const text = await pdfText(bytes);
    for (const s of ["对账单 Statement 2026-11", "机构 Organisation: 城市医保理赔统计中心 (org-1)", "借方为正，贷方为负。Debits +, credits -.",
      "日期 Date (UTC) 类型 Kind 科目 Account 金额 Amount 订单 / 查询 Order / query",
      "2026-11-01 09:00:00 付款 Payment 应付开发方 Developer payable -¥20,000.00 0b6f3c2e-1d2a",
      "2026-11-02 09:01:00 查询交付 Delivery 买方预付 Buyer prepaid ¥20,000.01", "查询退款 Query refund", "结算支付 Payout",
      "合计 Totals", "应付开发方 Developer payable (CNY): ¥120,001.28"]) {
      expect(text).toContain(s);
    }
    expect(bytes.length).toBeLessThan(60_000); // the whole font is 2.5 MB
  });
});
