import { openDatabase } from "@/server/db/client";
import { recordEvent, eventBody } from "@/server/ledger/events";
import { integrate, treeSize, fetchSubtrees, inclusionAt } from "@/server/ledger/log";
import { randomUUID } from "node:crypto";
import { decompose } from "@/sdk/ledger";
import { median, now } from "../lib/report";

const db = await openDatabase({ kind: "pglite", dir: null });
const ev = (i: number) => ({ type: "order.placed" as const, actorOrgId: "00000000-0000-4000-8001-000000000001", objectId: "00000000-0000-4000-8002-000000000001", refs: { productId: "00000000-0000-4000-8003-000000000001" }, data: { amountMinor: i, state: "PLACED" } });
const N = 1000;
async function t(label: string, fn: () => Promise<void>) { await fn(); const s = now(); await fn(); const d = now() - s; console.log(label.padEnd(50), (d / N).toFixed(3), "ms/event", Math.round(N / d * 1000), "/s"); }
await t("prisma $transaction(recordEvent) 1/tx", async () => { for (let i = 0; i < N; i++) await db.prisma.$transaction((tx) => recordEvent(tx, ev(i))); });
await t("prisma recordEvent no tx", async () => { for (let i = 0; i < N; i++) await recordEvent(db.prisma, ev(i)); });
await t("prisma $transaction 100/tx recordEvent", async () => { for (let i = 0; i < N; i += 100) await db.prisma.$transaction(async (tx) => { for (let j = 0; j < 100; j++) await recordEvent(tx, ev(i + j)); }); });
await t("prisma $transaction 100/tx $executeRaw", async () => { for (let i = 0; i < N; i += 100) await db.prisma.$transaction(async (tx) => { for (let j = 0; j < 100; j++) { const id = randomUUID(); const at = new Date(); await tx.$executeRaw`INSERT INTO "LedgerQueue" ("entryId","type","actorOrgId","objectId","body","createdAt") VALUES (${id}::uuid, 'order.placed', ${ev(0).actorOrgId}::uuid, ${ev(0).objectId}::uuid, ${eventBody(ev(i + j), id, at)}, ${at})`; } }); });
await t("prisma $transaction 100/tx createMany", async () => { for (let i = 0; i < N; i += 100) await db.prisma.$transaction(async (tx) => { const at = new Date(); await tx.ledgerQueue.createMany({ data: Array.from({ length: 100 }, (_, j) => { const id = randomUUID(); return { entryId: id, type: "order.placed", actorOrgId: ev(0).actorOrgId, objectId: ev(0).objectId, body: eventBody(ev(i + j), id, at), createdAt: at }; }) }); }); });
await t("raw PGlite BEGIN; INSERT; COMMIT 1/tx", async () => { await db.raw(async (s) => { for (let i = 0; i < N; i++) { const id = randomUUID(); const at = new Date(); await s.exec("BEGIN"); await s.query(`INSERT INTO "LedgerQueue" ("entryId","type","actorOrgId","objectId","body","createdAt") VALUES ($1::uuid,'order.placed',$2::uuid,$3::uuid,$4,$5)`, [id, ev(0).actorOrgId, ev(0).objectId, eventBody(ev(i), id, at), at]); await s.exec("COMMIT"); } }); });
await t("raw PGlite INSERT autocommit", async () => { await db.raw(async (s) => { for (let i = 0; i < N; i++) { const id = randomUUID(); const at = new Date(); await s.query(`INSERT INTO "LedgerQueue" ("entryId","type","actorOrgId","objectId","body","createdAt") VALUES ($1::uuid,'order.placed',$2::uuid,$3::uuid,$4,$5)`, [id, ev(0).actorOrgId, ev(0).objectId, eventBody(ev(i), id, at), at]); } }); });
await t("prisma $queryRaw SELECT 1", async () => { for (let i = 0; i < N; i++) await db.prisma.$queryRaw`SELECT 1`; });
await t("raw SELECT 1", async () => { await db.raw(async (s) => { for (let i = 0; i < N; i++) await s.query(`SELECT 1`); }); });
await integrate(db.prisma, 100000);
const size = await treeSize(db.prisma);
console.log("size", size);
const m = async (label: string, fn: (i: number) => Promise<unknown>) => { const xs: number[] = []; for (let k = 0; k < 300; k++) { const i = Math.floor(Math.random() * size); const s = now(); await fn(i); xs.push(now() - s); } xs.sort((a, b) => a - b); console.log(label.padEnd(50), "p50", median(xs).toFixed(2), "p95", xs[284]!.toFixed(2)); };
await m("treeSize", () => treeSize(db.prisma));
await m("fetchSubtrees(decompose(0,size))", () => fetchSubtrees(db.prisma, decompose(0, size)));
await m("inclusionAt", (i) => inclusionAt(db.prisma, i, size));
await m("pk lookup", (i) => db.prisma.$queryRaw`SELECT "leafHash" FROM "LedgerLeaf" WHERE "index" = ${i}`);
await db.close();
