/**
 * Statements and invoices as PDF, every label in Chinese and English, amounts as ¥20,000.00.
 *
 * Text is set in Noto Sans SC (@fontsource/noto-sans-sc, OFL), embedded with @pdf-lib/fontkit
 * as a subset of only the glyphs used, with a ToUnicode map, so Chinese names print and a
 * reader's copy-paste or search gets the real text. The fonts are read from node_modules, once
 * per process, never fetched: the package's "chinese-simplified" WOFF (about 8,000 characters:
 * the common hanzi, Latin, ¥ € £) at weights 400 and 700, and for a rarer character the
 * package's unicode-range slice that has it.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { inflateSync } from "node:zlib";
import fontkit from "@pdf-lib/fontkit";
import { PDFDocument, rgb, type PDFFont, type PDFPage } from "pdf-lib";

/** Minor units as a decimal string, exactly (no floats). */
export const decimal = (minor: bigint) => {
  const a = minor < 0n ? -minor : minor;
  return `${minor < 0n ? "-" : ""}${a / 100n}.${String(a % 100n).padStart(2, "0")}`;
};

const symbols: Record<string, string> = { cny: "¥", usd: "$", eur: "€", gbp: "£", hkd: "HK$" };

/** Minor units with the currency's sign and thousands separators: ¥20,000.00, -¥97.50, SGD 1,000.00. */
export const money = (minor: bigint, currency: string) => {
  const [whole, cents] = decimal(minor < 0n ? -minor : minor).split(".") as [string, string];
  return `${minor < 0n ? "-" : ""}${symbols[currency.toLowerCase()] ?? `${currency.toUpperCase()} `}${whole.replace(/\B(?=(\d{3})+$)/g, ",")}.${cents}`;
};

/** Journal entry kinds and accounts (server/money/journal.ts), in both languages. */
const kinds: Record<string, string> = { payment: "付款 Payment", delivery: "查询交付 Delivery", refund: "退款 Refund", "query-refund": "查询退款 Query refund", payout: "结算支付 Payout" };
const accounts: Record<string, string> = {
  provider_cash: "支付渠道资金 Provider cash", buyer_prepaid: "买方预付 Buyer prepaid", operator_revenue: "运营方服务费 Operator fees",
  developer_payable: "应付开发方 Developer payable", holder_payable: "应付持有方 Holder payable",
};
const providers: Record<string, string> = { offline: "线下 Offline", stripe: "Stripe" };
const day = (d: Date) => d.toISOString().slice(0, 10);

// ---- fonts -----------------------------------------------------------------------------------

type Weight = 400 | 700;
const fontPackage = "@fontsource/noto-sans-sc";
// Resolved at run time by Node through the package's exports, wherever node_modules is. The
// comments keep Next's bundler from resolving it at build time (into a module id, not a path).
const requireHere = createRequire(import.meta.url);
const packageFile = (file: string) => requireHere.resolve(/* webpackIgnore: true */ /* turbopackIgnore: true */ `${fontPackage}/${file}`);
const fontPath = (slice: string, weight: Weight) => packageFile(`files/noto-sans-sc-${slice}-${weight}-normal.woff`);
const main = "chinese-simplified";

/** Memoises a promise per key, and forgets a failure so that the next call tries again. */
const once = <T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>) => {
  let p = cache.get(key);
  if (!p) {
    p = load();
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
};

/**
 * A WOFF 1.0 font as the plain TrueType font it wraps, with each glyph padded to 4 bytes.
 * - fontkit reads WOFF itself, but inflates the whole glyph table again for every glyph it
 *   reads (tens of seconds for a page of Chinese); a plain font is read in place.
 * - These fonts store glyphs unpadded (odd offsets, long "loca"); fontkit's subsetter copies
 *   them as they are but writes a short "loca" (offsets halved) for a small subset, which
 *   garbles every glyph after the first odd one. Padded glyphs keep every offset even.
 * Checksums are left as they were: the subset fontkit writes gets its own.
 */
export function woffToSfnt(woff: Uint8Array): Uint8Array {
  const src = Buffer.from(woff.buffer, woff.byteOffset, woff.byteLength);
  if (src.toString("latin1", 0, 4) !== "wOFF") throw new Error("Not a WOFF font.");
  const n = src.readUInt16BE(12);
  const tables = new Map<string, { checksum: number; data: Buffer }>();
  for (let i = 0; i < n; i++) {
    const at = 44 + i * 20;
    const [offset, compLength, length] = [src.readUInt32BE(at + 4), src.readUInt32BE(at + 8), src.readUInt32BE(at + 12)];
    const raw = src.subarray(offset, offset + compLength);
    const data = compLength < length ? inflateSync(raw) : raw;
    if (data.length !== length) throw new Error("A WOFF table has the wrong length.");
    tables.set(src.toString("latin1", at, at + 4), { checksum: src.readUInt32BE(at + 16), data });
  }
  const pad = (x: number) => (x + 3) & ~3;
  const [head, maxp, loca, glyf] = ["head", "maxp", "loca", "glyf"].map((tag) => tables.get(tag)?.data);
  if (head && maxp && loca && glyf) {
    const long = head.readInt16BE(50) === 1, glyphs = maxp.readUInt16BE(4);
    const at = (i: number) => (long ? loca.readUInt32BE(i * 4) : loca.readUInt16BE(i * 2) * 2);
    const newLoca = Buffer.alloc((glyphs + 1) * 4), parts: Buffer[] = [];
    let offset = 0;
    for (let i = 0; i < glyphs; i++) {
      newLoca.writeUInt32BE(offset, i * 4);
      const g = glyf.subarray(at(i), at(i + 1));
      parts.push(g, Buffer.alloc(pad(g.length) - g.length));
      offset += pad(g.length);
    }
    newLoca.writeUInt32BE(offset, glyphs * 4);
    const newHead = Buffer.from(head);
    newHead.writeInt16BE(1, 50);
    tables.get("head")!.data = newHead;
    tables.get("loca")!.data = newLoca;
    tables.get("glyf")!.data = Buffer.concat(parts);
  }
  const out = Buffer.alloc(12 + 16 * n + [...tables.values()].reduce((sum, t) => sum + pad(t.data.length), 0));
  const pow = 2 ** Math.floor(Math.log2(n));
  out.writeUInt32BE(src.readUInt32BE(4), 0); // flavor: 0x00010000 TrueType or 'OTTO'
  out.writeUInt16BE(n, 4); out.writeUInt16BE(pow * 16, 6); out.writeUInt16BE(Math.log2(pow), 8); out.writeUInt16BE(n * 16 - pow * 16, 10);
  let offset = 12 + 16 * n;
  [...tables].forEach(([tag, t], i) => {
    const rec = 12 + i * 16;
    out.write(tag, rec, "latin1"); out.writeUInt32BE(t.checksum, rec + 4); out.writeUInt32BE(offset, rec + 8); out.writeUInt32BE(t.data.length, rec + 12);
    t.data.copy(out, offset);
    offset += pad(t.data.length);
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

const bytesCache = new Map<string, Promise<Uint8Array>>();
/** A font of the package as plain TrueType bytes, read and unwrapped once per process. */
const fontBytes = (slice: string, weight: Weight) => once(bytesCache, `${slice}-${weight}`, async () => woffToSfnt(await readFile(fontPath(slice, weight))));

type Coverage = { main: Record<Weight, fontkit.Font>; slices: { slice: string; ranges: [number, number][] }[] };
const coverageCache = new Map<string, Promise<Coverage>>();
/** Which characters the main font has, and the package's slices with their unicode ranges. */
const coverage = () => once(coverageCache, "", async () => {
  const [regular, bold, ranges] = await Promise.all([fontBytes(main, 400), fontBytes(main, 700), readFile(packageFile("unicode.json"), "utf8")]);
  return {
    main: { 400: fontkit.create(regular), 700: fontkit.create(bold) },
    slices: Object.entries(JSON.parse(ranges) as Record<string, string>).map(([key, list]) => ({
      slice: key.replace(/^\[(\d+)\]$/, "$1"),
      ranges: list.split(",").map((r) => { const [a, b = a] = r.trim().replace(/^U\+/i, "").split("-").map((h) => parseInt(h, 16)); return [a!, b!] as [number, number]; }),
    })),
  };
});

/** Per document: fonts embedded on first use, and text split into runs of one font each. */
async function typesetter(doc: PDFDocument) {
  doc.registerFontkit(fontkit);
  const cov = await coverage();
  const embedded = new Map<string, Promise<PDFFont>>();
  const font = (slice: string, weight: Weight) => once(embedded, `${slice}-${weight}`, async () => doc.embedFont(await fontBytes(slice, weight), { subset: true }));
  const sliceOf = (cp: number, weight: Weight) =>
    cov.main[weight].hasGlyphForCodePoint(cp) ? main : (cov.slices.find((s) => s.ranges.some(([a, b]) => cp >= a && cp <= b))?.slice ?? null);
  /** Runs of text with the font that has their glyphs; a character no font has becomes "?". */
  const runs = async (s: string, weight: Weight) => {
    const out: { text: string; font: PDFFont }[] = [];
    let text = "", slice = main;
    const flush = async () => { if (text) out.push({ text, font: await font(slice, weight) }); };
    for (const ch of s.replace(/\p{Cc}/gu, " ")) {
      const want = sliceOf(ch.codePointAt(0)!, weight);
      const [c, sl] = want ? [ch, want] : ["?", main];
      if (sl !== slice) { await flush(); text = ""; slice = sl; }
      text += c;
    }
    await flush();
    return out;
  };
  // Measuring lays the text out with fontkit, the slow part: remembered per font and text, at size 1.
  const unit = new Map<PDFFont, Map<string, number>>();
  const runWidth = (r: { text: string; font: PDFFont }, size: number) => {
    let m = unit.get(r.font);
    if (!m) unit.set(r.font, (m = new Map()));
    let w = m.get(r.text);
    if (w === undefined) m.set(r.text, (w = r.font.widthOfTextAtSize(r.text, 1)));
    return w * size;
  };
  const width = async (s: string, size: number, weight: Weight) => (await runs(s, weight)).reduce((w, r) => w + runWidth(r, size), 0);
  return {
    width,
    async draw(page: PDFPage, s: string, x: number, y: number, size: number, weight: Weight = 400, color = rgb(0.1, 0.1, 0.1)) {
      for (const r of await runs(s, weight)) {
        page.drawText(r.text, { x, y, size, font: r.font, color });
        x += runWidth(r, size);
      }
    },
    /** Lines of at most `max` points: breaks between words, or anywhere in Chinese (or a too-long word). */
    async wrap(s: string, max: number, size: number, weight: Weight = 400) {
      if (await width(s, size, weight) <= max) return [s];
      const lines: string[] = [];
      let line = "";
      for (const token of s.match(/[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+\s*|\s+/g) ?? []) {
        if (await width(line + token, size, weight) <= max) { line += token; continue; }
        if (line.trim()) lines.push(line.trimEnd());
        line = "";
        for (const ch of token) {
          if (line && await width(line + ch, size, weight) > max) { lines.push(line.trimEnd()); line = ""; }
          if (line || ch.trim()) line += ch;
        }
      }
      if (line.trim()) lines.push(line.trimEnd());
      return lines;
    },
  };
}

// ---- layout ------------------------------------------------------------------------------------

/** A table column: its label, left edge, width (to the next column by default), alignment. */
export type Column = { label: string; x: number; width?: number; align?: "left" | "right" };

const A4: [number, number] = [595, 842];
const left = 40, right = 555, top = 800, bottom = 56;

/**
 * A one-table document: a title, lines of heading, a table (its header repeated on each page,
 * long cells wrapped), lines at the foot, and page numbers.
 */
export async function tablePdf(o: { title: string; head: string[]; columns: Column[]; rows: string[][]; foot: string[] }): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(o.title);
  doc.setLanguage("zh-CN");
  doc.setProducer("Quancheng Data Marketplace");
  const t = await typesetter(doc);
  const cols = o.columns.map((c, i) => ({ ...c, width: c.width ?? (o.columns[i + 1]?.x ?? right) - c.x - (o.columns[i + 1] ? 8 : 0) }));
  let page = doc.addPage(A4);
  let y = top;
  const grey = rgb(0.55, 0.55, 0.55);
  const header = async () => {
    for (const c of cols) await t.draw(page, c.label, c.align === "right" ? c.x + c.width - await t.width(c.label, 8, 700) : c.x, y, 8, 700);
    page.drawLine({ start: { x: left, y: y - 4 }, end: { x: right, y: y - 4 }, thickness: 0.5, color: grey });
    y -= 15;
  };
  const room = async (dy: number, table = false) => {
    if (y - dy >= bottom) return;
    page = doc.addPage(A4);
    y = top;
    if (table) await header();
  };
  const paragraph = async (s: string, size: number, weight: Weight, lead: number) => {
    for (const line of await t.wrap(s, right - left, size, weight)) { await room(lead); await t.draw(page, line, left, y, size, weight); y -= lead; }
  };

  await paragraph(o.title, 16, 700, 22);
  for (const h of o.head) await paragraph(h, 9, 400, 13);
  y -= 10;
  await room(30);
  await header();
  for (const r of o.rows) {
    const cells = await Promise.all(cols.map((c, i) => t.wrap(r[i] ?? "", c.width, 8)));
    const lines = Math.max(1, ...cells.map((l) => l.length));
    await room(lines * 11, true);
    for (const [i, c] of cols.entries()) {
      for (const [k, line] of cells[i]!.entries()) await t.draw(page, line, c.align === "right" ? c.x + c.width - await t.width(line, 8, 400) : c.x, y - k * 11, 8);
    }
    y -= lines * 11 + 2;
  }
  y -= 8;
  for (const f of o.foot) await paragraph(f, 9, 700, 13);

  const pages = doc.getPages();
  for (const [i, p] of pages.entries()) {
    const s = `第 ${i + 1} / ${pages.length} 页 Page ${i + 1} of ${pages.length}`;
    await t.draw(p, s, right - await t.width(s, 7, 400), 30, 7, 400, grey);
  }
  return doc.save();
}

/** A buyer's invoice for a paid order (the shape of the money.invoice procedure). */
export function invoicePdf(inv: {
  number: string; orderId: string; buyer: string; buyerOrgId: string; item: string; quantity: number; delivered: number;
  amountMinor: bigint; refundedMinor: bigint; currency: string; provider: string; paidAt: Date;
}): Promise<Uint8Array> {
  const m = (minor: bigint) => money(minor, inv.currency);
  return tablePdf({
    title: `账单 Invoice ${inv.number}`,
    head: [
      `买方 Buyer: ${inv.buyer} (${inv.buyerOrgId})`,
      `订单 Order: ${inv.orderId}`,
      `付款日期 Paid: ${day(inv.paidAt)}\u3000付款方式 Via: ${providers[inv.provider] ?? inv.provider}\u3000币种 Currency: ${inv.currency.toUpperCase()}`,
    ],
    columns: [{ label: "项目 Item", x: 40 }, { label: "查询次数 Queries", x: 340, width: 80, align: "right" }, { label: "金额 Amount", x: 435, width: 120, align: "right" }],
    rows: [[inv.item, inv.quantity.toLocaleString("en-US"), m(inv.amountMinor)], ...(inv.refundedMinor > 0n ? [["已退款 Refunded", "", m(-inv.refundedMinor)]] : [])],
    foot: [`合计 Total: ${m(inv.amountMinor - inv.refundedMinor)}`, `已交付 Delivered: ${inv.delivered.toLocaleString("en-US")} / ${inv.quantity.toLocaleString("en-US")} 次查询 queries`],
  });
}

/** An organisation's statement: its postings in a period (the shape of money.statement's rows). */
export function statementPdf(s: {
  period: string; organisation: { id: string; name: string };
  rows: { at: Date; kind: string; account: string; amountMinor: bigint; currency: string; orderId: string | null; queryId: string | null }[];
}): Promise<Uint8Array> {
  const totals = new Map<string, { account: string; currency: string; sum: bigint }>();
  for (const r of s.rows) {
    const k = `${r.account} ${r.currency}`;
    totals.set(k, { account: r.account, currency: r.currency, sum: (totals.get(k)?.sum ?? 0n) + r.amountMinor });
  }
  return tablePdf({
    title: `对账单 Statement ${s.period}`,
    head: [`机构 Organisation: ${s.organisation.name} (${s.organisation.id})`, `期间 Period: ${s.period}`, "借方为正，贷方为负。Debits +, credits -."],
    columns: [
      { label: "日期 Date (UTC)", x: 40 }, { label: "类型 Kind", x: 124 }, { label: "科目 Account", x: 218 },
      { label: "金额 Amount", x: 340, align: "right" }, { label: "订单 / 查询 Order / query", x: 422 },
    ],
    rows: s.rows.map((r) => [
      r.at.toISOString().slice(0, 19).replace("T", " "), kinds[r.kind] ?? r.kind, accounts[r.account] ?? r.account,
      money(r.amountMinor, r.currency), (r.queryId ?? r.orderId ?? "").slice(0, 13),
    ]),
    foot: [
      s.rows.length ? "合计 Totals" : "本期无记录 No postings in this period",
      ...[...totals.values()].map((x) => `${accounts[x.account] ?? x.account} (${x.currency.toUpperCase()}): ${money(x.sum, x.currency)}`),
    ],
  });
}
