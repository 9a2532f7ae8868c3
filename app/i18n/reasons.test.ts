import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { reasons, reasonText } from "./reasons";

const root = path.resolve(import.meta.dirname, "../..");

/** The source files that throw reasons: *.ts under core/, server/, computation/, sdk/, tests excluded. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : sources(p);
    return p.endsWith(".ts") && !p.endsWith(".test.ts") ? [p] : [];
  });
}

const CODE = `"([A-Z][A-Z0-9_]*)"`;
/**
 * Where a reason is thrown. The server: `new AppError(code, "REASON", …)`, also with the reason
 * chosen by a ternary or defaulted with `??` (server/nodes/call.ts passes a node's code on), and
 * `refuse("REASON", …)` helpers. The holders' nodes: NodeRefusal / WitnessRefusal (status first),
 * EvidenceRefusal / PolicyRefusal / ProofError (code first), which the node sends as its error code,
 * and the node's own `send(status, { error: { code: "…" } })`.
 */
const patterns = [
  new RegExp(`\\bAppError\\(\\s*"[A-Z_]+",\\s*${CODE}`, "g"),
  new RegExp(`\\bAppError\\(\\s*"[A-Z_]+",\\s*[^,]*?\\?\\s*${CODE}\\s*:\\s*${CODE}`, "g"),
  new RegExp(`\\bAppError\\([^,]+,\\s*[\\w?.]+\\s*\\?\\?\\s*${CODE}`, "g"),
  new RegExp(`\\brefuse\\(\\s*${CODE}`, "g"),
  new RegExp(`\\brefuse\\(\\s*[^,]*?\\?\\s*${CODE}\\s*:\\s*${CODE}`, "g"),
  new RegExp(`\\bnew (?:NodeRefusal|WitnessRefusal)\\(\\s*\\d+,\\s*${CODE}`, "g"),
  new RegExp(`\\bnew (?:EvidenceRefusal|PolicyRefusal|ProofError)\\(\\s*${CODE}`, "g"),
  new RegExp(`\\bsend\\(\\s*\\d+,\\s*\\{\\s*error:\\s*\\{\\s*code:\\s*${CODE}`, "g"),
];

/** Every reason code thrown, with the files that throw it. */
function thrownReasons(): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  for (const file of ["core", "server", "computation", "sdk"].flatMap((d) => sources(path.join(root, d)))) {
    const text = readFileSync(file, "utf8");
    for (const re of patterns) {
      for (const m of text.matchAll(re)) {
        for (const code of m.slice(1).filter(Boolean)) {
          if (!found.has(code)) found.set(code, new Set());
          found.get(code)!.add(path.relative(root, file));
        }
      }
    }
  }
  return found;
}

const han = /\p{Script=Han}/u;

describe("reasons", () => {
  const thrown = thrownReasons();

  it("finds the reasons of every kind of throw site", () => {
    expect(thrown.size).toBeGreaterThan(100);
    // One of each pattern, so a regex that stops matching fails here rather than passing silently.
    for (const code of ["BUYER_SUSPENDED", "ORDER_IN_USE", "ILLEGAL_TRANSITION", "NODE_REFUSED", "DUPLICATE_GROUP_BY", "NOT_GROUPABLE",
      "WRONG_NODE", "WITNESS_FROM", "NOT_ON_LEDGER", "NOISE_TOO_SMALL", "NO_CIRCUIT", "INTERNAL"]) {
      expect(thrown.has(code), code).toBe(true);
    }
  });

  it("translates every reason thrown, in English and Chinese", () => {
    const missing = [...thrown.keys()].filter((code) => !Object.hasOwn(reasons, code)).map((code) => `${code} (${[...thrown.get(code)!].join(", ")})`);
    expect(missing).toEqual([]);
    for (const code of thrown.keys()) {
      const { en, zh } = reasons[code]!;
      expect(en.trim(), code).not.toBe("");
      expect(zh.trim(), code).not.toBe("");
      expect(han.test(zh), `${code}: zh has no Chinese`).toBe(true);
      expect(han.test(en), `${code}: en has Chinese`).toBe(false);
      // Generic sentences: the details stay in the server's message.
      expect(`${en}${zh}`, code).not.toMatch(/\$\{|\{\w+\}/);
    }
  });

  it("has no entry that nothing throws", () => {
    expect(Object.keys(reasons).filter((code) => !thrown.has(code))).toEqual([]);
  });

  it("keeps the codes sorted", () => {
    const keys = Object.keys(reasons);
    expect(keys).toEqual([...keys].sort());
  });

  it("reasonText gives the text in the locale, null for an unknown code", () => {
    expect(reasonText("WRONG_CREDENTIALS", "en")).toBe(reasons.WRONG_CREDENTIALS!.en);
    expect(reasonText("WRONG_CREDENTIALS", "zh")).toBe(reasons.WRONG_CREDENTIALS!.zh);
    expect(reasonText("NO_SUCH_REASON", "zh")).toBeNull();
    expect(reasonText("toString", "en")).toBeNull();
    expect(reasonText("", "en")).toBeNull();
    expect(reasonText(null, "zh")).toBeNull();
    expect(reasonText(undefined, "en")).toBeNull();
  });
});
