import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writePrivateFile } from "./private-file";

describe("writePrivateFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "qc-private-"));

  it("creates a key file owner-only (0600)", () => {
    const f = join(dir, "new.json");
    writePrivateFile(f, "{\"secret\":1}");
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(readFileSync(f, "utf8")).toBe("{\"secret\":1}");
  });

  it("tightens an existing file with a looser mode", () => {
    const f = join(dir, "old.json");
    writeFileSync(f, "old", { mode: 0o644 });
    expect(statSync(f).mode & 0o777).toBe(0o644);
    writePrivateFile(f, "new");
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(readFileSync(f, "utf8")).toBe("new");
  });
});
