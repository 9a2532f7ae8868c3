/**
 * The transparency ledger on both databases: the tree kept in the database gives the same
 * roots and proofs as the RFC 6962 definitions over the same leaves; many concurrent writers
 * and integrators keep one tree; tampering with rows is caught by the verifier and by a
 * witness; bad proof requests are refused clearly.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { recordEvent } from "@/server/ledger/events";
import {
  consistencyBetween, currentCheckpoint, fetchSubtrees, inclusionAt, integrate, integrateAll, leavesRange, servedCheckpoint, treeSize, LEDGER_ORIGIN,
} from "@/server/ledger/log";
import { ledgerSigningKey } from "@/server/keys";
import { fromHex, hex, leafHash, rootFromLeafHashes, verifyConsistency, verifyInclusion, type SignedCheckpoint } from "@/core/ledger";
import { auditLedger, Witness, WitnessAlarm } from "@/core/ledger-audit";
import { backends } from "../setup/databases";

const utf8 = new TextEncoder();
const ORG = "00000000-0000-4000-8000-000000000001";

async function append(db: Database, n: number) {
  for (let k = 0; k < n; k++) {
    await db.prisma.$transaction((tx) => recordEvent(tx, { type: "query.delivered", actorOrgId: ORG, data: { epsilon: 0.5, k } }));
  }
}

async function allLeaves(db: Database) {
  const size = await treeSize(db.prisma);
  const out: { index: number; body: string }[] = [];
  for (let s = 0; s < size; s += 1000) out.push(...await leavesRange(db.prisma, s, Math.min(size, s + 1000)));
  return out;
}

const reason = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => (e instanceof AppError ? e.reason : String(e)));

for (const backend of backends) {
  describe.skipIf(!backend.available)(`ledger on ${backend.name}`, () => {
    let db: Database;
    beforeAll(async () => { db = await backend.open(); });
    afterAll(async () => { await db?.close(); });

    it("integrates in batches into the tree RFC 6962 defines, with verifying proofs", async () => {
      const roots: { size: number; root: string }[] = [];
      for (const batch of [1, 2, 5, 8, 13, 1, 31, 3]) {
        await append(db, batch);
        // Integrate in uneven slices so node building crosses every kind of boundary.
        while ((await integrate(db.prisma, 3)).added > 0) { /* keep going */ }
        const cp = await currentCheckpoint(db.prisma);
        roots.push({ size: cp.size, root: cp.root });
      }
      const leaves = await allLeaves(db);
      expect(leaves.map((l) => l.index)).toEqual(leaves.map((_, i) => i));
      const hashes = leaves.map((l) => leafHash(utf8.encode(l.body)));
      for (const { size, root } of roots) expect(root).toBe(hex(rootFromLeafHashes(hashes.slice(0, size))));
      const n = leaves.length;
      for (let size = 1; size <= n; size += 7) {
        const root = rootFromLeafHashes(hashes.slice(0, size));
        for (let index = 0; index < size; index += 5) {
          verifyInclusion(hashes[index]!, index, size, (await inclusionAt(db.prisma, index, size)).map((h) => fromHex(h, 32)), root);
        }
        for (let m = 1; m <= size; m += 9) {
          verifyConsistency(m, size, rootFromLeafHashes(hashes.slice(0, m)), root, (await consistencyBetween(db.prisma, m, size)).map((h) => fromHex(h, 32)));
        }
      }
      // The stored leaf hashes are the hashes of the bodies.
      const stored = await fetchSubtrees(db.prisma, hashes.map((_, index) => ({ level: 0, index })));
      expect(stored.map(hex)).toEqual(hashes.map(hex));
    });

    it("keeps one tree under many concurrent writers and integrators", async () => {
      const before = await treeSize(db.prisma);
      const writers = Array.from({ length: 40 }, (_, w) => db.prisma.$transaction(async (tx) => {
        for (let k = 0; k < 5; k++) await recordEvent(tx, { type: "order.placed", actorOrgId: ORG, data: { w, k } });
      }));
      const integrators = Array.from({ length: 6 }, async () => { for (let r = 0; r < 10; r++) await integrate(db.prisma, 17); });
      await Promise.all([...writers, ...integrators]);
      const size = await integrateAll(db.prisma);
      expect(size).toBe(before + 200);
      expect(await db.prisma.ledgerQueue.count()).toBe(0);
      const leaves = await allLeaves(db);
      expect(leaves.map((l) => l.index)).toEqual(leaves.map((_, i) => i)); // no gap, no duplicate index
      expect(new Set(leaves.map((l) => JSON.parse(l.body).id)).size).toBe(leaves.length); // no entry twice
      const cp = await currentCheckpoint(db.prisma);
      expect(cp.root).toBe(hex(rootFromLeafHashes(leaves.map((l) => leafHash(utf8.encode(l.body))))));
    });

    it("serves the stored checkpoint while nothing was appended, and a new one covering every entry once something was", async () => {
      const cp = await currentCheckpoint(db.prisma);
      const stored = await db.prisma.ledgerCheckpoint.count();
      expect(await servedCheckpoint(db.prisma)).toEqual(cp); // nothing new: no signature, no new row
      expect(await servedCheckpoint(db.prisma)).toEqual(cp);
      expect(await db.prisma.ledgerCheckpoint.count()).toBe(stored);
      await append(db, 2); // queued, not yet integrated
      const next = await servedCheckpoint(db.prisma);
      expect(next.size).toBe(cp.size + 2);
      expect(await db.prisma.ledgerCheckpoint.count()).toBe(stored + 1);
      await append(db, 1);
      await integrateAll(db.prisma); // integrated, not yet signed: the tree outgrew the stored checkpoint
      expect((await servedCheckpoint(db.prisma)).size).toBe(cp.size + 3);
    });

    it("refuses bad proof requests clearly", async () => {
      const size = await treeSize(db.prisma);
      expect(await reason(inclusionAt(db.prisma, 0, size + 1))).toBe("BAD_TREE_SIZE");
      expect(await reason(inclusionAt(db.prisma, size, size))).toBe("BAD_INDEX");
      expect(await reason(consistencyBetween(db.prisma, 5, 4))).toBe("BAD_TREE_SIZE");
      expect(await reason(leavesRange(db.prisma, 3, 3))).toBe("BAD_RANGE");
      expect(await reason(leavesRange(db.prisma, 0, 1001))).toBe("BAD_RANGE");
    });

    it("catches a changed, deleted, reordered or inserted row, and a witness catches a rewritten history", async () => {
      const publicKey = ledgerSigningKey().publicKey;
      const checkpoints = (await db.prisma.ledgerCheckpoint.findMany({ orderBy: { id: "asc" } }))
        .map((r): SignedCheckpoint => ({ origin: LEDGER_ORIGIN, size: Number(r.size), root: hex(r.root), timestamp: r.timestamp.getTime(), signature: r.signature }));
      const audit = async () => (await auditLedger({ leaves: await allLeaves(db), checkpoints, publicKey, origin: LEDGER_ORIGIN })).problems.join(" ");
      const raw = (sql: string) => db.prisma.$executeRawUnsafe(sql);
      expect(await audit()).toBe("");
      const row = (index: number) => db.prisma.ledgerLeaf.findUniqueOrThrow({ where: { index: BigInt(index) } });
      type Row = Awaited<ReturnType<typeof row>>;
      // (raw SQL: the embedded adapter does not take Bytes in create)
      const put = (r: Row, index = r.index, entryId = r.entryId, body = r.body) => db.prisma.$executeRaw`INSERT INTO "LedgerLeaf"
        ("index", "entryId", "type", "actorOrgId", "objectId", "body", "leafHash", "createdAt") VALUES
        (${index}, ${entryId}::uuid, ${r.type}, ${r.actorOrgId}::uuid, ${r.objectId}::uuid, ${body}, decode(${hex(r.leafHash)}, 'hex'), ${r.createdAt})`;

      // Changed: one leaf says another ε.
      const ten = await row(10);
      await raw(`UPDATE "LedgerLeaf" SET "body" = replace("body", '"epsilon":0.5', '"epsilon":0.1') WHERE "index" = 10`);
      expect(await audit()).toMatch(/do not produce the signed root at size/);
      await db.prisma.ledgerLeaf.update({ where: { index: 10n }, data: { body: ten.body } });
      expect(await audit()).toBe("");

      // Deleted.
      const twenty = await row(20);
      await raw(`DELETE FROM "LedgerLeaf" WHERE "index" = 20`);
      expect(await audit()).toMatch(/Leaf 21 found where leaf 20 should be/);
      await put(twenty);
      expect(await audit()).toBe("");

      // Reordered: two leaves swap places.
      const [three, four] = [await row(3), await row(4)];
      await raw(`DELETE FROM "LedgerLeaf" WHERE "index" IN (3, 4)`);
      await put(three, 4n);
      await put(four, 3n);
      expect(await audit()).toMatch(/do not produce the signed root/);
      await raw(`DELETE FROM "LedgerLeaf" WHERE "index" IN (3, 4)`);
      await put(three);
      await put(four);
      expect(await audit()).toBe("");

      // Inserted: a forged leaf at 5, the rest shifted up by one.
      await raw(`UPDATE "LedgerLeaf" SET "index" = -"index" - 2 WHERE "index" >= 5`);
      await raw(`UPDATE "LedgerLeaf" SET "index" = -"index" - 1 WHERE "index" < 0`);
      await put(four, 5n, "00000000-0000-4000-8000-0000000000bb", four.body.replace(/"id":"[^"]+"/, '"id":"00000000-0000-4000-8000-0000000000bb"'));
      expect(await audit()).toMatch(/do not produce the signed root/);
      await raw(`DELETE FROM "LedgerLeaf" WHERE "index" = 5`);
      await raw(`UPDATE "LedgerLeaf" SET "index" = -"index" WHERE "index" >= 6`);
      await raw(`UPDATE "LedgerLeaf" SET "index" = -"index" - 1 WHERE "index" < 0`);
      expect(await audit()).toBe("");

      // A history rewritten and re-signed with the ledger's own key: a witness that saw the
      // old checkpoint refuses every later one (equal sizes with other roots, or failing proofs).
      const witness = new Witness(publicKey, LEDGER_ORIGIN, checkpoints.at(-1)!);
      const seen = witness.last!.size;
      await raw(`TRUNCATE "LedgerLeaf", "LedgerNode", "LedgerCheckpoint", "LedgerQueue"`);
      await append(db, seen - 1);
      const shorter = await currentCheckpoint(db.prisma);
      expect(witness.observe(shorter, { fromSize: seen, hashes: [] })).toBe("behind");
      await append(db, 1);
      const same = await currentCheckpoint(db.prisma);
      expect(() => witness.observe(same, { fromSize: seen, hashes: [] })).toThrow(/Two different roots/);
      await append(db, 5);
      const grown = await currentCheckpoint(db.prisma);
      const hashes = await consistencyBetween(db.prisma, seen, grown.size);
      expect(() => witness.observe(grown, { fromSize: seen, hashes })).toThrow(WitnessAlarm);
      expect(witness.last!.size).toBe(seen);
    });
  });
}
