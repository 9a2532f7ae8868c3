/**
 * The ledger CLI against an in-memory fake of /api/ledger built from real data: a real Ed25519
 * key, canonical JSON events, roots and proofs computed by core/ledger. Commands run in-process
 * with the fake as `fetch`; one test goes over a real local HTTP server and through the bin
 * wrapper.
 *
 * The fake stays because the real route cannot be made to lie: it computes every proof from the
 * stored tree and signs every checkpoint itself, so a wrong proof, a page that skips a leaf, a
 * list that hides the current checkpoint, a corrupted signature or two ledgers with one key
 * can only be served by a fake. The commands against the real route (app/api/ledger over a
 * real database, including a changed leaf row and a rewritten history) are in
 * sdk/ledger/route.test.ts.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ed25519 } from "@noble/curves/ed25519.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { consistencyProof, hex, inclusionProof, leafHash, rootFromLeafHashes, signCheckpoint, toBase64, type FetchSubtrees, type Hash, type SignedCheckpoint,  } from "@/core/ledger";
import { canonicalJson } from "@/core/canonical-json";
import { EXPORT_FORMAT, EXPORT_FORMAT_V1, exportLedger, main, proveEntry, verifyFile, verifyUrl, witness, type FetchLike, type Io } from "./ledger-cli";
import { MAX_V1_BYTES } from "./ledger/format";

const ORIGIN = "quancheng-market/ledger";
const utf8 = new TextEncoder();

function event(k: number): string {
  return canonicalJson({ v: 1, id: randomUUID(), type: k % 2 ? "order.placed" : "consent.granted", at: new Date(Date.UTC(2025, 0, 1, 0, 0, k)).toISOString(), actor: `org-${k % 5}` });
}

/** An honest ledger in memory, served as /api/ledger; tests then damage it in various ways. */
class FakeLedger {
  readonly publicKey: string;
  bodies: string[] = [];
  checkpoints: (SignedCheckpoint & { id: number })[] = [];
  requests: URL[] = [];
  /** Hooks to make the server lie. */
  tamper: {
    consistency?: (proof: string[], from: number, to: number) => string[];
    inclusion?: (proof: string[], index: number, size: number) => string[];
    leaves?: (rows: { index: number; body: string }[]) => { index: number; body: string }[];
    key?: string;
  } = {};
  private clock = Date.UTC(2025, 0, 1);

  constructor(readonly secretKey: Uint8Array = ed25519.utils.randomSecretKey(), readonly origin = ORIGIN) {
    this.publicKey = toBase64(ed25519.getPublicKey(secretKey));
  }

  append(n: number): this {
    for (let k = 0; k < n; k++) this.bodies.push(event(this.bodies.length));
    return this;
  }

  /** Sign a checkpoint over the current leaves. */
  sign(): SignedCheckpoint & { id: number } {
    const root = hex(rootFromLeafHashes(this.leafHashes()));
    const scp = { id: this.checkpoints.length + 1, ...signCheckpoint({ origin: this.origin, size: this.bodies.length, root, timestamp: (this.clock += 60_000) }, this.secretKey) };
    this.checkpoints.push(scp);
    return scp;
  }

  /** Grow by each of `steps` leaves, signing a checkpoint after each. */
  grow(...steps: number[]): this {
    for (const n of steps) { this.append(n); this.sign(); }
    return this;
  }

  leafHashes(): Hash[] {
    return this.bodies.map((b) => leafHash(utf8.encode(b)));
  }

  private subtrees(): FetchSubtrees {
    const leaves = this.leafHashes();
    return async (needed) => needed.map(({ level, index }) => rootFromLeafHashes(leaves.slice(index * 2 ** level, (index + 1) * 2 ** level)));
  }

  entryId(index: number): string {
    return (JSON.parse(this.bodies[index]!) as { id: string }).id;
  }

  async handle(url: URL): Promise<{ status: number; json: unknown }> {
    this.requests.push(url);
    const q = url.searchParams;
    const num = (name: string) => Number(q.get(name));
    const bad = (message: string) => ({ status: 400, json: { error: { code: "BAD_INPUT", message } } });
    const size = this.bodies.length;
    switch (url.pathname.replace(/^.*\/api\/ledger\//, "")) {
      case "key": return { status: 200, json: { origin: this.origin, algorithm: "Ed25519", publicKey: this.tamper.key ?? this.publicKey } };
      case "checkpoint": return { status: 200, json: strip(this.checkpoints[this.checkpoints.length - 1]!) };
      case "checkpoints": {
        const limit = num("limit");
        if (!(limit >= 1 && limit <= 1000)) return bad("limit");
        return { status: 200, json: this.checkpoints.filter((c) => c.id > num("after")).slice(0, Math.min(limit, 7)) }; // small pages: paging is exercised
      }
      case "leaves": {
        const [start, end] = [num("start"), num("end")];
        if (end <= start || end - start > 1000) return bad("BAD_RANGE");
        if (end > size) return bad(`The ledger has ${size} leaves.`);
        const rows = this.bodies.slice(start, end).map((body, k) => ({ index: start + k, body }));
        return { status: 200, json: this.tamper.leaves ? this.tamper.leaves(rows) : rows };
      }
      case "proof/inclusion": {
        const [index, n] = [num("index"), num("size")];
        if (n > size || index >= n) return bad("BAD_TREE_SIZE");
        const proof = (await inclusionProof(index, n, this.subtrees())).map(hex);
        return { status: 200, json: { proof: this.tamper.inclusion ? this.tamper.inclusion(proof, index, n) : proof } };
      }
      case "proof/consistency": {
        const [from, to] = [num("from"), num("to")];
        if (to > size || from > to) return bad(`The ledger has ${size} leaves; no tree of size ${to} exists yet.`);
        const proof = from === 0 ? [] : (await consistencyProof(from, to, this.subtrees())).map(hex);
        return { status: 200, json: { proof: this.tamper.consistency ? this.tamper.consistency(proof, from, to) : proof } };
      }
      case "entry": {
        const index = this.bodies.findIndex((b) => (JSON.parse(b) as { id: string }).id === q.get("entryId"));
        if (index < 0) return { status: 404, json: { error: { code: "UNKNOWN_LEAF", message: "No ledger entry has this id." } } };
        const checkpoint = strip(this.checkpoints[this.checkpoints.length - 1]!);
        const proof = (await inclusionProof(index, checkpoint.size, this.subtrees())).map(hex);
        const body = this.bodies[index]!;
        return { status: 200, json: { index, body, leafHash: hex(leafHash(utf8.encode(body))), checkpoint, proof: this.tamper.inclusion ? this.tamper.inclusion(proof, index, checkpoint.size) : proof } };
      }
      default: return { status: 404, json: { error: { code: "NO_SUCH_ENDPOINT", message: "no such endpoint" } } };
    }
  }

  readonly fetch: FetchLike = async (url) => {
    const { status, json } = await this.handle(new URL(url));
    return new Response(JSON.stringify(json), { status, headers: { "content-type": "application/json" } });
  };
}

const strip = ({ origin, size, root, timestamp, signature }: SignedCheckpoint): SignedCheckpoint => ({ origin, size, root, timestamp, signature });

/** Flip the last hex digit of a hash. */
const flip = (h: string) => h.slice(0, -1) + (h.endsWith("0") ? "1" : "0");

/** Runs `f` with an Io that records what the command prints. */
async function run(f: (io: Io) => Promise<number>, fetch?: FetchLike) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await f({ fetch, out: (l) => out.push(l), err: (l) => err.push(l), retries: 0 });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const URL_ = "http://market.test";
let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "ledger-cli-")); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// -------------------------------------------------------------------------------------------

describe("verify --url", () => {
  it("passes on an honest log, paging leaves and checkpoints and checking consistency and inclusion proofs", async () => {
    const fake = new FakeLedger().grow(0, 1, 4, 995, 1000, 1, 99, 3, 7, 2);
    const r = await run((io) => verifyUrl({ url: URL_ }, io), fake.fetch);
    const latest = fake.checkpoints[fake.checkpoints.length - 1]!;
    expect(r.code).toBe(0);
    expect(r.out).toContain(`✔ Ledger verified: 2112 leaves, 10 checkpoints, root ${latest.root}`);
    expect(r.out).toContain("checked: 10 checkpoints against the leaves, 8 consistency proofs, 20 inclusion proofs");
    expect(r.err).toContain("Using the key the ledger serves");
    const paths = fake.requests.map((u) => u.pathname + u.search);
    // leaves in pages of at most 1000, covering [0, 2112) exactly once
    const pages = fake.requests.filter((u) => u.pathname.endsWith("/leaves")).map((u) => [Number(u.searchParams.get("start")), Number(u.searchParams.get("end"))]);
    expect(pages).toEqual([[0, 1000], [1000, 2000], [2000, 2112]]);
    // checkpoints paged (the fake gives 7 at a time) until an empty page
    expect(paths.filter((p) => p.includes("/checkpoints?"))).toEqual(["/api/ledger/checkpoints?after=0&limit=1000", "/api/ledger/checkpoints?after=7&limit=1000", "/api/ledger/checkpoints?after=10&limit=1000"]);
    expect(paths.filter((p) => p.includes("/proof/consistency")).length).toBe(8); // 1→5, 5→1000, …, 2110→2112 (0→1 needs none)
    expect(paths.filter((p) => p.includes("/proof/inclusion") && p.endsWith("size=2112")).length).toBe(20);
  });

  it("trusts only --key: passes with the right key, fails and warns with another", async () => {
    const fake = new FakeLedger().grow(3, 5);
    const ok = await run((io) => verifyUrl({ url: `${URL_}/api/ledger/`, key: fake.publicKey }, io), fake.fetch);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain("(given with --key)");
    expect(ok.err).toBe("");

    const other = toBase64(ed25519.getPublicKey(ed25519.utils.randomSecretKey()));
    const r = await run((io) => verifyUrl({ url: URL_, key: other }, io), fake.fetch);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`The ledger names a different key (${fake.publicKey}) from the one given with --key (${other})`);
    expect(r.out).toContain("✖ Ledger NOT verified:");
    expect(r.out).toContain("Checkpoint of size 8 (2025-01-01T00:02:00.000Z) is not signed by the ledger key.");
  });

  it("fails when one leaf body was changed", async () => {
    const fake = new FakeLedger().grow(10, 30);
    const body = JSON.parse(fake.bodies[17]!) as Record<string, unknown>;
    fake.bodies[17] = canonicalJson({ ...body, actor: "org-evil" });
    const r = await run((io) => verifyUrl({ url: URL_ }, io), fake.fetch);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/✖ Ledger NOT verified:\n {2}- The leaves do not produce the signed root at size 40/);
    expect(r.out).not.toContain("size 10:"); // the first checkpoint is untouched
    expect(r.out).toContain("The consistency proof from checkpoint #1 (size 10) to #2 (size 40) fails");
    expect(r.out).toMatch(/The inclusion proofs? of /); // proofs served from the changed tree do not reach the signed root
  });

  it("fails when the served leaves skip one (index gap) or the log lost one", async () => {
    const fake = new FakeLedger().grow(10, 30);
    fake.tamper.leaves = (rows) => rows.filter((l) => l.index !== 25);
    const gap = await run((io) => verifyUrl({ url: URL_ }, io), fake.fetch);
    expect(gap.code).toBe(1);
    expect(gap.out).toContain("Leaf 26 found where leaf 25 should be: a leaf is missing or out of order.");

    fake.tamper = {};
    fake.bodies.splice(25, 1);
    const lost = await run((io) => verifyUrl({ url: URL_ }, io), fake.fetch);
    expect(lost.code).toBe(1);
    expect(lost.out).toContain("The ledger would not serve leaves [0, 40) of the 40 its latest checkpoint covers");
    expect(lost.out).toContain("Checkpoint of size 40 is beyond the 0 leaves available: leaves were removed.");
  });

  it("fails when a checkpoint signature is corrupted", async () => {
    const fake = new FakeLedger().grow(2, 6, 9);
    const cp = fake.checkpoints[1]!;
    const sig = Buffer.from(cp.signature, "base64");
    sig[5]! ^= 1;
    cp.signature = sig.toString("base64");
    const r = await run((io) => verifyUrl({ url: URL_ }, io), fake.fetch);
    expect(r.code).toBe(1);
    expect(r.out).toContain("Checkpoint of size 8 (2025-01-01T00:02:00.000Z) is not signed by the ledger key.");
  });

  it("fails when a served consistency proof is wrong, and when a served inclusion proof is wrong", async () => {
    const fake = new FakeLedger().grow(5, 12, 20);
    fake.tamper.consistency = (proof, from, to) => (from === 17 && to === 37 ? [...proof.slice(0, -1), flip(proof[proof.length - 1]!)] : proof);
    const c = await run((io) => verifyUrl({ url: URL_ }, io), fake.fetch);
    expect(c.code).toBe(1);
    expect(c.out).toContain("The consistency proof from checkpoint #2 (size 17) to #3 (size 37) fails: consistency proof from size 17 to 37 does not match the roots");
    expect(c.out.match(/The consistency proof from checkpoint/g)?.length).toBe(1); // 5 → 17 is fine

    fake.tamper = { inclusion: (proof) => [flip(proof[0]!), ...proof.slice(1)] };
    const i = await run((io) => verifyUrl({ url: URL_, samples: 3 }, io), fake.fetch);
    expect(i.code).toBe(1);
    expect(i.out).toMatch(/The inclusion proofs of 3 of the 3 sampled leaves in the checkpoint of size 37 fail \(leaves \d+, \d+, \d+\); the first: inclusion proof for leaf \d+ does not lead to the root of size 37/);
  });

  it("reports a checkpoint list that hides the current checkpoint, and a shrinking log", async () => {
    const fake = new FakeLedger().grow(4, 8);
    const current = fake.checkpoints.pop()!;
    const all = fake.checkpoints;
    const handle = fake.handle.bind(fake);
    fake.handle = async (url) => (url.pathname.endsWith("/checkpoint") ? { status: 200, json: strip(current) } : handle(url));
    const hidden = await run((io) => verifyUrl({ url: URL_ }, io), fake.fetch);
    expect(hidden.code).toBe(1);
    expect(hidden.out).toContain("The current checkpoint (size 12, root");
    expect(hidden.out).toContain("is missing from the list of all checkpoints");

    fake.handle = handle;
    all.push(current, { ...all[0]!, id: 3 }); // a later checkpoint of size 4 after the one of size 12
    const back = await run((io) => verifyUrl({ url: URL_ }, io), fake.fetch);
    expect(back.code).toBe(1);
    expect(back.out).toContain("Checkpoint #3 (size 4) is smaller than the one issued before it, #2 (size 12): the ledger went backwards.");
  });
});

// -------------------------------------------------------------------------------------------

describe("export and verify --file", () => {
  /** An export's lines, each parsed. */
  const ndjson = (text: string) => text.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);

  it("exports one JSON value per line, verifies offline (warning without --key), and detects a changed byte in the file", async () => {
    const fake = new FakeLedger().grow(1, 1200, 37);
    const out = join(dir, "export.ndjson");
    const e = await run((io) => exportLedger({ url: URL_, out }, io), fake.fetch);
    expect(e.code).toBe(0);
    expect(e.out).toContain(`✔ Exported 1238 leaves and 3 checkpoints to ${out}`);
    const text = readFileSync(out, "utf8");
    const [head, ...rest] = ndjson(text);
    expect(head).toMatchObject({ format: EXPORT_FORMAT, origin: ORIGIN, publicKey: fake.publicKey, checkpointCount: 3, exportedFrom: `${URL_}/` });
    expect(rest.slice(0, 3)).toEqual(fake.checkpoints.map(strip));
    expect(rest.slice(3, -1)).toEqual(fake.bodies.map((body, index) => ({ index, body })));
    expect(rest.at(-1)).toEqual({ end: true, leafCount: 1238 });
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);

    const selfOnly = await run((io) => verifyFile({ file: out }, io));
    expect(selfOnly.code).toBe(0);
    expect(selfOnly.out).toContain(`✔ Ledger verified: 1238 leaves, 3 checkpoints, root ${fake.checkpoints[2]!.root}`);
    expect(selfOnly.err).toContain("only proves the file is consistent with itself");

    const pinned = await run((io) => verifyFile({ file: out, key: fake.publicKey }, io));
    expect(pinned.code).toBe(0);
    expect(pinned.err).toBe("");

    // One changed character in one body (still canonical JSON, still valid JSON).
    const tampered = join(dir, "tampered.ndjson");
    const victim = fake.bodies[600]!;
    writeFileSync(tampered, text.replace(JSON.stringify(victim), JSON.stringify(victim.replace(/"actor":"org-(\d)"/, '"actor":"org-9"'))));
    const r = await run((io) => verifyFile({ file: tampered, key: fake.publicKey }, io));
    expect(r.code).toBe(1);
    expect(r.out).toContain("The leaves do not produce the signed root at size 1201");
  });

  it("still reads a v1 export (one JSON document) as the earlier version wrote it", async () => {
    const fake = new FakeLedger().grow(4, 1001);
    // The layout the v1 exporter wrote: the object's members, one checkpoint and one leaf per line.
    const file = join(dir, "v1.json");
    const head = { format: EXPORT_FORMAT_V1, origin: ORIGIN, publicKey: fake.publicKey, exportedFrom: `${URL_}/`, exportedAt: new Date().toISOString() };
    writeFileSync(file, `${JSON.stringify(head).slice(0, -1)},\n"checkpoints":[${fake.checkpoints.map((cp) => `\n${JSON.stringify(strip(cp))}`).join(",")}\n],\n"leaves":[${
      fake.bodies.map((body, index) => `${index === 0 ? "" : ","}\n${JSON.stringify({ index, body })}`).join("")}\n]}\n`);
    const r = await run((io) => main(["verify", "--file", file, "--key", fake.publicKey], io));
    expect(r.code).toBe(0);
    expect(r.out).toContain(`✔ Ledger verified: 1005 leaves, 2 checkpoints, root ${fake.checkpoints[1]!.root}`);

    // On one line too.
    writeFileSync(file, JSON.stringify({ ...head, checkpoints: fake.checkpoints.map(strip), leaves: fake.bodies.map((body, index) => ({ index, body })) }));
    expect((await run((io) => verifyFile({ file, key: fake.publicKey }, io))).code).toBe(0);
  });

  it("a file re-signed with another key passes only without --key", async () => {
    const fake = new FakeLedger().grow(3, 4);
    const forger = new FakeLedger();
    forger.bodies = [...fake.bodies];
    forger.bodies[2] = event(99);
    forger.grow(0);
    const file = join(dir, "forged.json");
    // a v1 document, pretty-printed, leaves first: any JSON layout and key order of v1 is read
    writeFileSync(file, JSON.stringify({ leaves: forger.bodies.map((body, index) => ({ index, body })), checkpoints: forger.checkpoints.map(strip), publicKey: forger.publicKey, origin: ORIGIN, format: EXPORT_FORMAT_V1 }, null, 2));
    const selfOnly = await run((io) => verifyFile({ file }, io));
    expect(selfOnly.code).toBe(0);
    expect(selfOnly.err).toContain("⚠ No --key given");
    const pinned = await run((io) => verifyFile({ file, key: fake.publicKey }, io));
    expect(pinned.code).toBe(1);
    expect(pinned.err).toContain(`The export names a different key (${forger.publicKey})`);
    expect(pinned.out).toContain("Checkpoint of size 7 (2025-01-01T00:01:00.000Z) is not signed by the ledger key.");
  });

  it("rejects missing, malformed, truncated and foreign files with exit 2", async () => {
    const fake = new FakeLedger().grow(5);
    const good = join(dir, "small.ndjson");
    expect((await run((io) => exportLedger({ url: URL_, out: good }, io), fake.fetch)).code).toBe(0);
    const text = readFileSync(good, "utf8");
    const lines = text.split("\n"); // header, 1 checkpoint, 5 leaves, the end line, ""
    const v1 = (o: object) => JSON.stringify({ format: EXPORT_FORMAT_V1, origin: ORIGIN, publicKey: fake.publicKey, checkpoints: [], ...o }, null, 2);
    const cases: [string, string, RegExp][] = [
      ["cut in a line", text.slice(0, text.length - 40), /line 7 is not valid JSON: the file is damaged or was cut short/],
      ["cut at a line", lines.slice(0, -2).join("\n"), /ends after 5 leaves without its end line: it was cut short/],
      ["cut in the checkpoints", lines[0]!, /ends after 0 of the 1 checkpoints its header announces/],
      ["garbage", "hello", /is not a ledger export: an export starts with a header line \{"format":"quancheng-ledger-export\/2",…\}/],
      ["empty", "", /is empty/],
      ["array", "[]", /is not a ledger export: an export starts with a header line/],
      ["bad-line", text.replace('{"index":3,', '{"index":3,,'), /line 6 is not valid JSON/],
      ["wrong-format", text.replace(EXPORT_FORMAT, "something-else/2"), /is not a ledger export \(quancheng-ledger-export\/2\): format: format must be "quancheng-ledger-export\/2"/],
      ["bad-checkpoint", text.replace('"signature":', '"sig":'), /line 2: checkpoint 1 of 1 is malformed: signature:/],
      ["leaf-shape", text.replace('{"index":2,', '{"index":"2",'), /leaf #2 is malformed: index:/],
      ["miscounted", text.replace('"leafCount":5', '"leafCount":4'), /the end line counts 4 leaves, but 5 come before it/],
      ["after-end", `${text}{}\n`, /line 9: there is text after the end line/],
      ["v1 not JSON", "{\n  \"format\": ", /its first line is not a quancheng-ledger-export\/2 header, and it is not valid JSON as a whole/],
      ["v1 wrong format", v1({ format: "something-else/1", leaves: [] }), /is not a ledger export \(quancheng-ledger-export\/2, or quancheng-ledger-export\/1 read whole\): format: format must be "quancheng-ledger-export\/1"/],
      ["v1 no leaves", v1({}), /leaves: leaves must be an array/],
      ["v1 leaf-shape", v1({ leaves: [{ index: 0, body: "{}" }, { index: "1", body: "{}" }] }), /leaf #1 is malformed: index:/],
    ];
    for (const [name, content, message] of cases) {
      const file = join(dir, `${name}.ndjson`);
      writeFileSync(file, content);
      const r = await run((io) => main(["verify", "--file", file], io));
      expect(r.code, name).toBe(2);
      expect(r.err, name).toMatch(message);
      expect(r.err, name).not.toMatch(/\n\s+at /); // no stack trace
    }
    const missing = await run((io) => main(["verify", "--file", join(dir, "nope.ndjson")], io));
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("nope.ndjson: no such file.");
  });

  it("refuses a line without end and a v1 export too large to read whole, naming the new format", async () => {
    const fake = new FakeLedger().grow(2);
    // Sparse files: their size costs no disk, and the reader stops long before their end.
    const long = join(dir, "long-line.ndjson");
    writeFileSync(long, `${JSON.stringify({ format: EXPORT_FORMAT, origin: ORIGIN, publicKey: fake.publicKey, checkpointCount: 1 })}\n{"origin":"`);
    truncateSync(long, 65 * 2 ** 20);
    const l = await run((io) => main(["verify", "--file", long], io));
    expect(l.code).toBe(2);
    expect(l.err).toContain(`${long} has a line longer than 64 MiB: it is not a ledger export (quancheng-ledger-export/2), or it is damaged.`);

    const big = join(dir, "big-v1.json");
    writeFileSync(big, `{"format":"${EXPORT_FORMAT_V1}",\n"leaves":[`);
    truncateSync(big, MAX_V1_BYTES + 1);
    const b = await run((io) => main(["verify", "--file", big], io));
    expect(b.code).toBe(2);
    expect(b.err).toContain("it is too large to be read whole as an old quancheng-ledger-export/1 export (at most 256 MiB)");
    expect(b.err).toContain("Export the ledger again: market-ledger export writes quancheng-ledger-export/2, which is read line by line at any size.");
  });
});

// -------------------------------------------------------------------------------------------

describe("witness", () => {
  it("trusts on first use, accepts growth, then raises the alarm on a rewritten history without touching the state", async () => {
    const state = join(dir, "witness.json");
    const fake = new FakeLedger().grow(10);
    const first = await run((io) => witness({ url: URL_, state }, io), fake.fetch);
    expect(first.code).toBe(0);
    expect(first.out).toContain("First run: trusting on first use");
    expect(first.out).toContain("✔ witnessed: 10 leaves");
    expect(JSON.parse(readFileSync(state, "utf8"))).toMatchObject({ format: "quancheng-ledger-witness/1", publicKey: fake.publicKey, origin: ORIGIN, checkpoint: strip(fake.checkpoints[0]!) });

    fake.grow(23);
    const grown = await run((io) => witness({ url: URL_, state }, io), fake.fetch);
    expect(grown.code).toBe(0);
    expect(grown.out).toContain("✔ consistent: 10 → 33");
    expect(fake.requests.some((u) => u.pathname.endsWith("/proof/consistency") && u.search === "?from=10&to=33")).toBe(true);

    const same = await run((io) => witness({ url: URL_, state }, io), fake.fetch);
    expect(same.code).toBe(0);
    expect(same.out).toContain("✔ consistent: 33 → 33 (no new leaves)");

    // The same key now serves a different history: leaf 4 replaced, then grown.
    const rewritten = new FakeLedger(fake.secretKey);
    rewritten.bodies = [...fake.bodies];
    rewritten.bodies[4] = event(4);
    rewritten.grow(5);
    const before = readFileSync(state);
    const alarm = await run((io) => witness({ url: URL_, state }, io), rewritten.fetch);
    expect(alarm.code).toBe(1);
    expect(alarm.out).toContain("WITNESS ALARM");
    expect(alarm.out).toContain("The ledger at 38 leaves is not an extension of the 33 leaves seen before");
    expect(alarm.out).toContain(`The state file ${state} was NOT changed`);
    expect(readFileSync(state)).toEqual(before);
    const evidence = readdirSync(dir).filter((f) => f.startsWith("witness.json.alarm-"));
    expect(evidence.length).toBe(1);
    expect(JSON.parse(readFileSync(join(dir, evidence[0]!), "utf8"))).toMatchObject({ held: { size: 33 }, served: { size: 38 } });

    // A fork at the same size is an alarm too; the honest ledger still passes afterwards.
    const fork = new FakeLedger(fake.secretKey);
    fork.bodies = rewritten.bodies.slice(0, 33);
    fork.grow(0);
    const forked = await run((io) => witness({ url: URL_, state }, io), fork.fetch);
    expect(forked.code).toBe(1);
    expect(forked.out).toContain("Two different roots for 33 leaves");
    expect(readFileSync(state)).toEqual(before);
    expect((await run((io) => witness({ url: URL_, state }, io), fake.fetch)).code).toBe(0);
  });

  it("an older checkpoint that is a prefix is accepted without moving back; a shrunk log is flagged", async () => {
    const state = join(dir, "witness-behind.json");
    const fake = new FakeLedger().grow(6, 9);
    expect((await run((io) => witness({ url: URL_, state }, io), fake.fetch)).code).toBe(0);
    const handle = fake.handle.bind(fake);
    fake.handle = async (url) => (url.pathname.endsWith("/checkpoint") ? { status: 200, json: strip(fake.checkpoints[0]!) } : handle(url));
    const behind = await run((io) => witness({ url: URL_, state }, io), fake.fetch);
    expect(behind.code).toBe(0);
    expect(behind.err).toContain("older checkpoint (6 leaves)");
    expect(JSON.parse(readFileSync(state, "utf8")).checkpoint.size).toBe(15);

    fake.bodies = fake.bodies.slice(0, 6);
    const shrunk = await run((io) => witness({ url: URL_, state }, io), fake.fetch);
    expect(shrunk.code).toBe(1);
    expect(shrunk.out).toContain("went back from 15 to 6 leaves");
  });

  it("refuses a damaged state file and a checkpoint signed by another key", async () => {
    const state = join(dir, "witness-bad.json");
    writeFileSync(state, "{not json");
    const fake = new FakeLedger().grow(3);
    const r = await run((io) => main(["witness", "--url", URL_, "--state", state], io), fake.fetch);
    expect(r.code).toBe(2);
    expect(r.err).toContain("is not valid JSON. It was left as it is");
    expect(readFileSync(state, "utf8")).toBe("{not json");

    const fresh = join(dir, "witness-key.json");
    const other = toBase64(ed25519.getPublicKey(ed25519.utils.randomSecretKey()));
    const wrongKey = await run((io) => witness({ url: URL_, state: fresh, key: other }, io), fake.fetch);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.out).toContain("is not signed by the ledger key");
    expect(existsSync(fresh)).toBe(false);
  });
});

// -------------------------------------------------------------------------------------------

describe("proof", () => {
  it("verifies an entry against its checkpoint and prints the event", async () => {
    const fake = new FakeLedger().grow(7, 6);
    const id = fake.entryId(9);
    const r = await run((io) => proveEntry({ url: URL_, entry: id, key: fake.publicKey }, io), fake.fetch);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Entry ${id}, leaf 9:`);
    expect(r.out).toContain(`  "id": "${id}",`);
    expect(r.out).toContain(`✔ Entry verified: leaf 9 is in the ledger of 13 leaves, root ${fake.checkpoints[1]!.root}`);
  });

  it("fails for a tampered proof, a wrong key and an unknown entry", async () => {
    const fake = new FakeLedger().grow(7, 6);
    const id = fake.entryId(3);
    fake.tamper.inclusion = (proof) => [...proof.slice(0, 1), flip(proof[1]!), ...proof.slice(2)];
    const r = await run((io) => proveEntry({ url: URL_, entry: id }, io), fake.fetch);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`✖ Entry ${id} NOT verified:`);
    expect(r.out).toContain("The inclusion proof of leaf 3 does not lead to the checkpoint's root");

    fake.tamper = {};
    const other = toBase64(ed25519.getPublicKey(ed25519.utils.randomSecretKey()));
    const k = await run((io) => proveEntry({ url: URL_, entry: id, key: other }, io), fake.fetch);
    expect(k.code).toBe(1);
    expect(k.out).toContain("is not signed by the ledger key");

    const unknown = await run((io) => proveEntry({ url: URL_, entry: randomUUID() }, io), fake.fetch);
    expect(unknown.code).toBe(1);
    expect(unknown.out).toContain("the ledger has no such entry");
  });
});

// -------------------------------------------------------------------------------------------

describe("command line and inputs", () => {
  const fake = new FakeLedger().grow(2);
  const cases: [string, string[], RegExp][] = [
    ["no command", [], /Usage:/],
    ["unknown command", ["frobnicate"], /Unknown command "frobnicate"/],
    ["unknown option", ["verify", "--url", URL_, "--frob"], /verify does not take the option --frob/],
    ["positional", ["proof", "--url", URL_, "x"], /Unexpected argument 'x'/],
    ["missing url", ["verify"], /verify needs --url <market url> or --file/],
    ["both url and file", ["verify", "--url", URL_, "--file", "x.json"], /not both/],
    ["bad url", ["verify", "--url", "not a url"], /--url "not a url" is not a URL/],
    ["ftp url", ["witness", "--url", "ftp://market.test", "--state", "s.json"], /must be an http:\/\/ or https:\/\/ address/],
    ["bad uuid", ["proof", "--url", URL_, "--entry", "1234"], /--entry "1234" is not a UUID/],
    ["missing entry", ["proof", "--url", URL_], /Give the entry id with --entry/],
    ["bad key", ["verify", "--url", URL_, "--key", "abc"], /--key must be the ledger's Ed25519 public key/],
    ["bad samples", ["verify", "--url", URL_, "--samples", "-3"], /--samples|argument/],
    ["missing out", ["export", "--url", URL_], /Give --out <file>/],
    ["out dir missing", ["export", "--url", URL_, "--out", "/nonexistent-dir/x.json"], /the directory \/nonexistent-dir does not exist/],
    ["missing state", ["witness", "--url", URL_], /Give --state <file>/],
  ];
  for (const [name, argv, message] of cases) {
    it(`exit 2: ${name}`, async () => {
      const r = await run((io) => main(argv, io), fake.fetch);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/\n\s+at /);
    });
  }

  it("exit 2 with a clear message when the ledger is unreachable or answers nonsense", async () => {
    const down: FetchLike = async () => { throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:9") }); };
    const r = await run((io) => main(["verify", "--url", URL_], io), down);
    expect(r.code).toBe(2);
    expect(r.err).toBe("✖ Cannot reach the ledger at http://market.test (GET /api/ledger/key): fetch failed (connect ECONNREFUSED 127.0.0.1:9)");

    const html: FetchLike = async () => new Response("<html>not found</html>", { status: 404 });
    const h = await run((io) => main(["witness", "--url", URL_, "--state", join(dir, "w-html.json")], io), html);
    expect(h.code).toBe(2);
    expect(h.err).toContain("GET /api/ledger/key answered HTTP 404 with something that is not JSON: is this the market's base URL?");

    const shape: FetchLike = async () => Response.json({ origin: ORIGIN, algorithm: "RSA", publicKey: "x" });
    const s = await run((io) => main(["proof", "--url", URL_, "--entry", randomUUID()], io), shape);
    expect(s.code).toBe(2);
    expect(s.err).toContain("GET /api/ledger/key answered with an unexpected shape: algorithm:");
  });

  it("retries a request that failed in transit", async () => {
    let calls = 0;
    const flaky: FetchLike = async (url) => { if (calls++ === 0) throw new TypeError("fetch failed"); return fake.fetch(url); };
    const out: string[] = [];
    const code = await verifyUrl({ url: URL_ }, { fetch: flaky, out: (l) => out.push(l), err: () => {}, retries: 1, retryDelayMs: 1 });
    expect(code).toBe(0);
    expect(calls).toBeGreaterThan(1);
  });

  it("--help prints the usage and exits 0", async () => {
    const r = await run((io) => main(["verify", "--help"], io));
    expect(r.code).toBe(0);
    expect(r.out).toContain("market-ledger witness --url <market url> --state <file.json>");
  });
});

// -------------------------------------------------------------------------------------------

describe("over HTTP and through the bin wrapper", () => {
  let server: Server;
  let base: string;
  const fake = new FakeLedger().grow(40, 60);
  beforeAll(async () => {
    server = createServer((req, res) => {
      void fake.handle(new URL(req.url!, "http://localhost")).then(({ status, json }) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(json));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  afterEach(() => { fake.tamper = {}; });

  it("verifies over a real socket with the global fetch", async () => {
    const r = await run((io) => main(["verify", "--url", base, "--key", fake.publicKey], { ...io, fetch: undefined }));
    expect(r.code).toBe(0);
    expect(r.out).toContain("✔ Ledger verified: 100 leaves, 2 checkpoints");
  });

  const cli = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [fileURLToPath(new URL("../bin/market-ledger.mjs", import.meta.url)), ...args], { timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 99) : 0, stdout, stderr });
    });
  });

  it("npx market-ledger: exit codes 0, 1 and 2 from a real process", async () => {
    const [ok, usage] = await Promise.all([cli(["verify", "--url", base]), cli(["proof", "--url", base, "--entry", "nope"])]);
    expect(ok.stdout).toContain("✔ Ledger verified: 100 leaves, 2 checkpoints");
    expect(ok.code).toBe(0);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--entry "nope" is not a UUID');
    fake.tamper.consistency = (proof) => proof.map(flip);
    const failed = await cli(["verify", "--url", base]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain("✖ Ledger NOT verified:");
  });
});
