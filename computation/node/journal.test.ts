import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NodeJournal } from "./journal";

describe("a node's journal", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "journal-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, "journal.jsonl");

  it("spends a query's ε once, before computing, and remembers after a restart", () => {
    const j = new NodeJournal(file);
    const answered = { t: "answered" as const, q: "q1", planHash: "h", dataset: "d", buyer: "b", eps: 1, at: Date.now(), groups: 3 };
    expect(j.spend(answered)).toBe(true);
    expect(j.spend(answered)).toBe(false); // a duplicate
    expect(j.spent("d", "b", 0)).toEqual({ buyer: 1, total: 1 }); // being computed counts against the budget
    j.append({ t: "consent-used", nonce: "n1", at: Date.now() });
    expect(j.serveOnce("contributed", "q1")).toBe(true);
    expect(j.serveOnce("contributed", "q1")).toBe(false);
    // A crash mid-write leaves a torn last line: it is ignored, everything before it holds.
    appendFileSync(file, '{"t":"answered","q":"q2"');
    const again = new NodeJournal(file);
    expect(again.spend(answered)).toBe(false);
    expect(again.spent("d", "b", 0)).toEqual({ buyer: 1, total: 1 });
    expect(again.spent("d", "other", 0)).toEqual({ buyer: 0, total: 1 });
    expect(again.spent("d", "b", Date.now() + 1000)).toEqual({ buyer: 0, total: 0 }); // outside the period
    expect(again.consentUsesOf("n1")).toBe(1);
    expect(again.wasServed("contributed", "q1")).toBe(true);
    // and what is written after the torn line is read back
    again.append({ t: "consent-used", nonce: "n2", at: Date.now() });
    expect(new NodeJournal(file).consentUsesOf("n2")).toBe(1);
  });
});
