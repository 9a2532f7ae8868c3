import { PDFDocument } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { statementPdf } from "./statement-pdf";

describe("statement PDF", () => {
  it("is a real PDF with a page per 55-odd rows and the statement's title", async () => {
    const rows = Array.from({ length: 120 }, (_, i) => ({
      at: new Date(Date.UTC(2026, 10, 1 + (i % 28))), kind: "delivery", account: "holder_payable", amountMinor: BigInt(-(i * 137)), currency: "cny",
      orderId: "11111111-1111-4111-8111-111111111111", queryId: null,
    }));
    const bytes = await statementPdf({ organisation: "济南市中心医院 Jinan Central Hospital", orgId: "org-1", period: "2026-11", rows });
    expect(new TextDecoder().decode(bytes.slice(0, 5))).toBe("%PDF-");
    const doc = await PDFDocument.load(bytes);
    expect(doc.getTitle()).toBe("Statement 2026-11");
    expect(doc.getPageCount()).toBeGreaterThanOrEqual(2);
  });
});
