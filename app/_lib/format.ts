/**
 * Numbers, money and dates as each language writes them: thousands separators, a fixed
 * precision per kind of figure, never exponent notation. Used by server and client components.
 */
import type { Locale } from "../i18n/dictionaries";

const tag = (locale: Locale) => (locale === "zh" ? "zh-CN" : "en-GB");
const cache = new Map<string, Intl.NumberFormat>();
function nf(locale: Locale, min: number, max: number) {
  const key = `${locale}:${min}:${max}`;
  let f = cache.get(key);
  if (!f) cache.set(key, (f = new Intl.NumberFormat(tag(locale), { minimumFractionDigits: min, maximumFractionDigits: max })));
  return f;
}

/** Yuan from minor units (fen): ¥20,000.00. Exact for any bigint, not only safe integers. */
export function money(minor: bigint | number, locale: Locale): string {
  const m = BigInt(minor);
  const neg = m < 0n;
  const abs = neg ? -m : m;
  const yuan = nf(locale, 0, 0).format(abs / 100n);
  return `${neg ? "−" : ""}¥${yuan}.${(abs % 100n).toString().padStart(2, "0")}`;
}

/** A count or other whole number: 12,345. */
export function integer(n: number | bigint, locale: Locale): string {
  return nf(locale, 0, 0).format(n);
}

/** A measured value with a fixed number of decimals (2 unless said): 1,234.50. */
export function decimal(n: number, locale: Locale, digits = 2): string {
  return Number.isFinite(n) ? nf(locale, digits, digits).format(n) : "—";
}

/** A privacy budget ε: plain decimals, never "1e-9" (up to 6 significant digits). */
export function epsilon(e: number, locale: Locale): string {
  if (e === 0) return "0";
  const digits = Math.min(12, Math.max(0, 5 - Math.floor(Math.log10(Math.abs(e)))));
  return nf(locale, 0, digits).format(Number(e.toPrecision(6)));
}

export function dateTime(d: Date, locale: Locale): string {
  return d.toLocaleString(tag(locale), { dateStyle: "medium", timeStyle: "short", timeZone: "Asia/Shanghai" });
}

export function date(d: Date, locale: Locale): string {
  return d.toLocaleDateString(tag(locale), { dateStyle: "medium", timeZone: "Asia/Shanghai" });
}

/** A list typed by a person: commas in either script, 、, semicolons or new lines separate items. */
export function splitList(text: string): string[] {
  return text.split(/[,，、;；\n]+/).map((s) => s.trim()).filter(Boolean);
}
