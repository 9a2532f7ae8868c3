import { PDFDocument } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { decimal, tablePdf } from "./pdf";

describe("PDF statements and invoices", () => {
  it("writes minor units exactly", () => {
    expect([decimal(0n), decimal(5n), decimal(-9750n), decimal(123456789012345678n)]).toEqual(["0.00", "0.05", "-97.50", "1234567890123456.78"]);
  });
  it("is a real PDF that breaks long tables across pages", async () => {
    const rows = Array.from({ length: 120 }, (_, i) => ["2026-11-01", "delivery", decimal(BigInt(-i * 137))]);
    const bytes = await tablePdf({ title: "Statement 2026-11", head: ["济南 Jinan (org-1)"], columns: [{ label: "date", x: 40 }, { label: "kind", x: 150 }, { label: "amount", x: 300 }], rows, foot: ["total"] });
    expect(new TextDecoder().decode(bytes.slice(0, 5))).toBe("%PDF-");
    const doc = await PDFDocument.load(bytes);
    expect(doc.getTitle()).toBe("Statement 2026-11");
    expect(doc.getPageCount()).toBeGreaterThanOrEqual(2);
  });
});
