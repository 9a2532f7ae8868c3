/**
 * A small streaming CSV parser (RFC 4180) for the CSV connector.
 *
 * Why not a library or node:readline: readline splits on line breaks, which RFC 4180 allows
 * inside quoted fields, and the node must not pull a dependency into the holder's domain
 * for something this small. Why streaming: a holder's file may have millions of rows; the
 * parser keeps only the record being read (state carries across chunk boundaries, so a
 * chunk may end anywhere, even between the two characters of CRLF or of an escaped quote).
 *
 * Conventions: fields are separated by ",", records by CRLF, LF or a lone CR; a field
 * that starts with a double quote is quoted and `""` inside it is one quote; an unquoted
 * empty field is null (missing), a quoted empty field ("") is the empty string; a quote
 * inside an unquoted field is kept literally; text after a closing quote other than a
 * separator is an error; a completely empty line is skipped; a leading UTF-8 BOM is dropped.
 */

export type CsvField = string | null;

export class CsvSyntaxError extends Error {
  constructor(message: string, readonly record: number) { super(message); }
}

const COMMA = 44, QUOTE = 34, LF = 10, CR = 13;

export class CsvParser {
  private fields: CsvField[] = [];
  private field = "";
  /** inside a quoted field (after its opening quote, not yet closed) */
  private inQuotes = false;
  /** just read a quote inside a quoted field: either the closing quote or the first half of "" */
  private afterQuote = false;
  private fieldQuoted = false;
  /** unquoted text has been read into the current field */
  private unquotedText = false;
  /** the record has consumed at least one character */
  private started = false;
  /** a CR ended the last record: a following LF belongs to it */
  private skipLf = false;
  private first = true;
  /** 1-based number of the record being read (the header is record 1), for error messages */
  record = 1;

  /** Feed the next piece of text; returns the records completed in it. */
  push(chunk: string): CsvField[][] {
    const out: CsvField[][] = [];
    let i = 0;
    const n = chunk.length;
    if (this.first && n > 0) {
      this.first = false;
      if (chunk.charCodeAt(0) === 0xfeff) i = 1;
    }
    while (i < n) {
      if (this.skipLf) {
        this.skipLf = false;
        if (chunk.charCodeAt(i) === LF) { i++; continue; }
      }
      if (this.inQuotes) {
        const j = chunk.indexOf('"', i);
        if (j < 0) { this.field += chunk.slice(i); i = n; break; }
        this.field += chunk.slice(i, j);
        i = j + 1;
        this.inQuotes = false;
        this.afterQuote = true;
        continue;
      }
      const c = chunk.charCodeAt(i);
      if (this.afterQuote) {
        this.afterQuote = false;
        if (c === QUOTE) { this.field += '"'; this.inQuotes = true; i++; continue; }
        if (c !== COMMA && c !== LF && c !== CR) throw new CsvSyntaxError(`CSV record ${this.record}: unexpected text after a closing quote`, this.record);
        // fall through: the separator is handled below
      } else if (c === QUOTE && !this.fieldQuoted && !this.unquotedText) {
        this.started = true;
        this.fieldQuoted = true;
        this.inQuotes = true;
        i++;
        continue;
      }
      if (c === COMMA) {
        this.started = true;
        this.endField();
        i++;
        continue;
      }
      if (c === LF || c === CR) {
        if (this.started) out.push(this.endRecord());
        if (c === CR) this.skipLf = true;
        i++;
        continue;
      }
      // Unquoted text (or text after a literal quote): take the run up to the next separator.
      let j = i + 1;
      while (j < n) {
        const d = chunk.charCodeAt(j);
        if (d === COMMA || d === LF || d === CR) break;
        j++;
      }
      this.started = true;
      this.field += chunk.slice(i, j);
      this.unquotedText = true;
      i = j;
    }
    return out;
  }

  /** End of input: returns the last record if the text did not end with a line break. */
  end(): CsvField[][] {
    if (this.inQuotes) throw new CsvSyntaxError(`CSV record ${this.record}: unterminated quoted field`, this.record);
    this.afterQuote = false;
    return this.started ? [this.endRecord()] : [];
  }

  private endField() {
    this.fields.push(this.field === "" && !this.fieldQuoted ? null : this.field);
    this.field = "";
    this.fieldQuoted = false;
    this.unquotedText = false;
  }

  private endRecord(): CsvField[] {
    this.endField();
    const r = this.fields;
    this.fields = [];
    this.started = false;
    this.record++;
    return r;
  }
}

/** Parse a whole string (tests, small inputs). */
export function parseCsv(text: string): CsvField[][] {
  const p = new CsvParser();
  return [...p.push(text), ...p.end()];
}

/** Stream the records of a text source (e.g. fs.createReadStream(path, { encoding: "utf8" })). */
export async function* csvRecords(source: AsyncIterable<string | Buffer>): AsyncGenerator<CsvField[][]> {
  const p = new CsvParser();
  const decoder = new TextDecoder("utf-8");
  for await (const chunk of source) {
    const text = typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    const recs = p.push(text);
    if (recs.length) yield recs;
  }
  const tail = [...p.push(decoder.decode()), ...p.end()];
  if (tail.length) yield tail;
}
