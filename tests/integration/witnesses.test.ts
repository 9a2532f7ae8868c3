/**
 * The ledger's checkpoints in the C2SP formats, cosigned by the holders' nodes (real node
 * processes speaking the tlog-witness protocol), checked by an independent verifier: Go's
 * reference signed-note implementation (golang.org/x/mod/sumdb/note) with a tlog-cosignature
 * verifier written from the C2SP text (tests/tools/note-verify). The attacks are the
 * operator's: it holds the ledger key, so it can sign a rewritten history; the node must
 * refuse to cosign it and raise its alarm.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID, generateKeyPairSync, sign } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNode, type RunningNode } from "@/computation/demo/nodes";
import { fromBase64, hex } from "@/core/ledger";
import { addCheckpointRequest, checkpointBody, cosignerKey, nodeCosignerName, signNote } from "@/core/note";
import { publicKeyToBase64 } from "@/core/signing";
import type { Database } from "@/server/db/client";
import { ledgerSigningKey } from "@/server/keys";
import { recordEvents } from "@/server/ledger/events";
import { consistencyBetween, currentCheckpoint, LEDGER_ORIGIN } from "@/server/ledger/log";
import { collectCosignatures, cosignedCheckpoint, ledgerNote, ledgerVerifierKey, listWitnesses } from "@/server/ledger/witnesses";
import { registerNode } from "@/server/nodes/nodes";
import { backends } from "../setup/databases";
import { writeNodeConfig } from "../setup/parties";

const dir = mkdtempSync(path.join(tmpdir(), "witnesses-"));
process.env.DATA_DIR = dir; // the marketplace's keys for this suite
const verifierBin = path.join(dir, "note-verify");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Build the Go verifier (Debian's golang-go and golang-golang-x-mod-dev; CI installs them). */
function buildVerifier(): boolean {
  if (spawnSync("go", ["version"]).status !== 0) {
    if (process.env.CI) throw new Error("CI needs Go and golang.org/x/mod (apt-get install golang-go golang-golang-x-mod-dev) for the independent checkpoint verifier.");
    return false;
  }
  execFileSync("go", ["build", "-o", verifierBin, "./tests/tools/note-verify/"], {
    env: { ...process.env, GO111MODULE: "off", GOPATH: "/usr/share/gocode", GOCACHE: path.join(tmpdir(), "market-gocache"), GOFLAGS: "" },
  });
  return true;
}
const hasGo = buildVerifier();

/** Run the independent verifier: its printed lines, or its error. */
function goVerify(note: string, ...vkeys: string[]): { ok: boolean; lines: string[] } {
  const r = spawnSync(verifierBin, vkeys, { input: note, encoding: "utf8" });
  return { ok: r.status === 0, lines: r.stdout.trim().split("\n") };
}

const post = async (url: string, body: string) => {
  const res = await fetch(`${url}/v1/witness/add-checkpoint`, { method: "POST", body, headers: { "content-type": "text/plain" } });
  return { status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() };
};

for (const backend of backends) {
  describe.skipIf(!backend.available)(`C2SP checkpoints and node witnesses on ${backend.name}`, () => {
    let db: Database;
    let node: RunningNode;
    let nodeVkey: string;
    const append = (n: number) => db.prisma.$transaction((tx) =>
      recordEvents(tx, Array.from({ length: n }, (_, i) => ({ type: "demand.posted" as const, objectId: randomUUID(), data: { i } }))));

    beforeAll(async () => {
      db = await backend.open();
      const nodeDir = path.join(dir, backend.name);
      mkdirSync(nodeDir, { recursive: true });
      writeFileSync(path.join(nodeDir, "claims.csv"), "district,claim_amount\nA,1\n");
      const { config } = await writeNodeConfig(nodeDir, { name: `witness-${backend.name}`, datasets: { claims: { kind: "csv", path: "claims.csv" } } });
      node = await startNode(config, { name: `witness-${backend.name}` } as never);
      const org = await db.prisma.organisation.create({ data: { slug: `holder-${backend.name}`, name: "Holder" } });
      await registerNode(db.prisma, { organisationId: org.id, name: "n1", url: node.url, signingKey: node.nodeId, agreementKey: node.agreementKey });
      nodeVkey = cosignerKey(nodeCosignerName(node.nodeId), fromBase64(node.nodeId));
    }, 60_000);
    afterAll(async () => { node?.process.kill(); await db?.close(); });

    it("serves each checkpoint as a signed note the node cosigns, checked by Go's signed-note verifier", async () => {
      await append(4);
      expect(await collectCosignatures(db.prisma)).toEqual([{ witness: nodeCosignerName(node.nodeId), size: 4, outcome: "cosigned" }]);
      const cp = await currentCheckpoint(db.prisma);
      const note = await cosignedCheckpoint(db.prisma);
      expect(note.split("\n").slice(0, 3)).toEqual([LEDGER_ORIGIN, "4", Buffer.from(cp.root, "hex").toString("base64")]);

      // The grown ledger: the node cosigns again, from the size it last cosigned, with a consistency proof.
      await append(3);
      expect((await collectCosignatures(db.prisma))[0]).toMatchObject({ size: 7, outcome: "cosigned" });
      expect((await collectCosignatures(db.prisma))[0]).toMatchObject({ size: 7, outcome: "already" });
      const listed = await listWitnesses(db.prisma);
      expect(listed.ledger.vkey).toBe(ledgerVerifierKey());
      expect(listed.witnesses).toEqual([expect.objectContaining({ vkey: nodeVkey, kind: "node", cosigned: expect.objectContaining({ size: 7 }) })]);

      if (!hasGo) return;
      const first = goVerify(note, ledgerVerifierKey(), nodeVkey);
      expect(first.ok).toBe(true);
      expect(first.lines).toEqual([`ok ${LEDGER_ORIGIN}`, expect.stringMatching(new RegExp(`^ok ${nodeCosignerName(node.nodeId)} \\d+$`)), `origin ${LEDGER_ORIGIN}`, "size 4", `root ${cp.root}`]);
      const latest = goVerify(await cosignedCheckpoint(db.prisma), ledgerVerifierKey(), nodeVkey);
      expect(latest.lines).toContain("size 7");
      expect(latest.lines.filter((l) => l.startsWith("ok "))).toHaveLength(2);
      // The same verifier refuses a changed body, and a note checked against another ledger key.
      expect(goVerify(note.replace("\n4\n", "\n5\n"), ledgerVerifierKey()).ok).toBe(false);
      const other = generateKeyPairSync("ed25519").publicKey;
      const { verifierKey } = await import("@/core/note");
      expect(goVerify(note, verifierKey(LEDGER_ORIGIN, fromBase64(publicKeyToBase64(other)))).ok).toBe(false);
    });

    it("the node refuses what it must: another key, a stale size, and the operator's rewritten history", async () => {
      const cp = await currentCheckpoint(db.prisma);
      // A checkpoint signed by an attacker's own key under the ledger's name: 403.
      const attacker = generateKeyPairSync("ed25519");
      const forged = signNote(checkpointBody({ ...cp, size: cp.size + 1 }), LEDGER_ORIGIN, fromBase64(publicKeyToBase64(attacker.publicKey)), (m) => new Uint8Array(sign(null, m, attacker.privateKey)));
      expect((await post(node.url, addCheckpointRequest(cp.size, [], forged))).status).toBe(403);
      // An old size the node does not hold: 409 with the size it holds.
      const stale = await post(node.url, addCheckpointRequest(0, [], ledgerNote(cp)));
      expect(stale).toMatchObject({ status: 409, type: "text/x.tlog.size", text: `${cp.size}\n` });
      // Malformed requests: 400, and the node lives on.
      expect((await post(node.url, "old 01\n\nnot a note")).status).toBe(400);
      expect((await post(node.url, "garbage")).status).toBe(400);

      // The operator signs, with the real ledger key, a tree of the same size with another root.
      const key = ledgerSigningKey();
      const rewritten = signNote(checkpointBody({ origin: LEDGER_ORIGIN, size: cp.size, root: hex(new Uint8Array(32).fill(7)) }), LEDGER_ORIGIN, fromBase64(key.publicKey), (m) => new Uint8Array(sign(null, m, key.privateKey)));
      const split = await post(node.url, addCheckpointRequest(cp.size, [], rewritten));
      expect(split.status).toBe(409);
      // …and the node now raises its alarm: it cosigns nothing more and serves no query.
      const state = await (await fetch(`${node.url}/v1/witness`)).json() as { alarm: { message: string } | null };
      expect(state.alarm?.message).toMatch(/different roots/);
      await append(2);
      const next = await currentCheckpoint(db.prisma);
      const proof = await consistencyBetween(db.prisma, cp.size, next.size);
      expect((await post(node.url, addCheckpointRequest(cp.size, proof, ledgerNote(next)))).status).toBe(503);
      expect((await collectCosignatures(db.prisma))[0]).toMatchObject({ outcome: "refused" });
    });
  });
}
