/**
 * Text search for Chinese and English in plain PostgreSQL (no zhparser: PGlite and a stock
 * server both lack it). English words go through the 'english' configuration (stemmed);
 * every run of Chinese characters becomes its overlapping character bigrams (a single
 * character stays a unigram) indexed with 'simple'. Searching "医疗费用" matches a title
 * containing "医疗费用统计" because all its bigrams (医疗, 疗费, 费用) are there.
 */
const HAN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/g;

export function hanBigrams(text: string): string[] {
  const out: string[] = [];
  for (const run of text.match(HAN) ?? []) {
    const chars = [...run];
    if (chars.length === 1) out.push(chars[0]!);
    for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
  }
  return out;
}

/** Split text into the part for the English parser and the bigram string for 'simple'. */
export function splitForSearch(text: string): { latin: string; han: string } {
  return { latin: text.replace(HAN, " ").replace(/\s+/g, " ").trim(), han: hanBigrams(text).join(" ") };
}
