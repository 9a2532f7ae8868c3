import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { CsvParser, CsvSyntaxError, csvRecords, parseCsv } from "./csv";

/** Feed text in pieces of the given size (1 = char by char) and collect the records. */
function parseInPieces(text: string, size: number) {
  const p = new CsvParser();
  const out = [];
  for (let i = 0; i < text.length; i += size) out.push(...p.push(text.slice(i, i + size)));
  out.push(...p.end());
  return out;
}

describe("CsvParser (RFC 4180)", () => {
  const text = '\uFEFFa,b,c\r\n1,"x, ""y""",\r\n"multi\nline",,""\n\n  7 ,q"r,"\r"\rlast,"",z';
  const expected = [
    ["a", "b", "c"],
    ["1", 'x, "y"', null],
    ["multi\nline", null, ""],
    ["  7 ", 'q"r', "\r"],
    ["last", "", "z"],
  ];

  it("handles quotes, escaped quotes, separators and line breaks in fields, CRLF/LF/CR, BOM, nulls", () => {
    expect(parseCsv(text)).toEqual(expected);
  });

  it("gives the same records whatever the chunk boundaries", () => {
    for (const size of [1, 2, 3, 5, 7, 64]) expect(parseInPieces(text, size)).toEqual(expected);
  });

  it("skips empty lines and does not invent a record for a final line break", () => {
    expect(parseCsv("a\n\n\nb\n")).toEqual([["a"], ["b"]]);
    expect(parseCsv("")).toEqual([]);
    expect(parseCsv("a,b\r\n")).toEqual([["a", "b"]]);
  });

  it("rejects an unterminated quote and text after a closing quote", () => {
    expect(() => parseCsv('a\n"open')).toThrow(CsvSyntaxError);
    expect(() => parseCsv('a\n"x"y,1')).toThrow(/after a closing quote/);
  });

  it("streams bytes, including UTF-8 sequences split across chunks", async () => {
    const bytes = Buffer.from("名,v\n历下区,1\n\"𝔘,x\",2\n", "utf8");
    const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    const got = [];
    for await (const batch of csvRecords(Readable.from(chunks))) got.push(...batch);
    expect(got).toEqual([["名", "v"], ["历下区", "1"], ["𝔘,x", "2"]]);
  });
});
