/**
 * The money flow on both databases, with the offline provider: an order paid up front, each
 * delivered query recognised and split by contribution, refunds, settlement and payouts, and
 * every bad input refused with nothing posted. The journal balances after every step.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Database } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { earnings } from "@/server/dashboards";
import { journalBalances, post } from "@/server/money/journal";
import { cancelOrder, handleProviderEvent, paymentSucceeded, recognizeDelivery, refundQuery, startPayment } from "@/server/money/payments";
import { offlineProvider } from "@/server/money/providers/offline";
import { payOut, settle } from "@/server/money/settlement";
import { getInvoice, getPayoutAccount, getStatement, onboardPayoutAccount } from "@/server/money/views";
import { registerNode } from "@/server/nodes/nodes";
import { placeOrder } from "@/server/orders/orders";
import { createProductFromResources } from "@/server/products/from-resources";
import { listProduct } from "@/server/seed/flows";
import { claimsPolicy } from "@/server/seed/demo-queries";
import { registerResource } from "@/server/resources/resources";
import { seedDemoWorld } from "@/server/seed/demo";
import { backends } from "../setup/databases";
import { claimsNode } from "../setup/parties";
import { claimFields as fields, lookups, reason } from "../setup/fixtures";


for (const backend of backends) {
  describe.skipIf(!backend.available)(`money on ${backend.name}`, () => {
    let db: Database;
    const id: Record<string, string> = {};
    const provider = offlineProvider();
    let productId = "";
    const count = () => db.prisma.journalEntry.count();

    const dir = mkdtempSync(path.join(tmpdir(), "money-"));
    const nodes: Awaited<ReturnType<typeof claimsNode>>[] = [];
    beforeAll(async () => {
      db = await backend.open();
      await seedDemoWorld(db.prisma);
      const { org, user } = lookups(db);
      Object.assign(id, {
        a: await org("jinan-central-hospital"), b: await org("jinan-second-hospital"), dev: await org("baotu-data-studio"), op: await org("quancheng-data-operations"),
        insurer: await org("mingshui-insurance"), insurerUser: await user("insurer@quancheng.example"),
      });
      const resources = [];
      // Products are checked against each source node's own policy when they are made: real nodes answer.
      process.env.DATA_DIR ??= dir;
      for (const holder of [id.a!, id.b!]) {
        const own = await claimsNode(dir, `${backend.name}-${holder.slice(0, 8)}`);
        nodes.push(own);
        const node = await registerNode(db.prisma, { organisationId: holder, name: `money-node`, url: own.url, signingKey: own.nodeId, agreementKey: own.agreementKey });
        resources.push((await registerResource(db.prisma, { holderOrgId: holder, name: "Claims for money tests", domain: "health", updateCycle: "DAILY", sharing: "UNCONDITIONAL", fields, nodeId: node.id, dataset: "claims" })).id);
      }
      productId = (await createProductFromResources(db.prisma, { developerOrgId: id.dev!, slug: "money-claims", name: "Claims (money)", policy: claimsPolicy, resourceIds: resources })).id;
      await listProduct(db.prisma, productId); // per query ¥200.00; operator 10 %, developer 25 %, holders 65 %
    });
    afterAll(async () => { for (const n of nodes) await n.close(); await db?.close(); rmSync(dir, { recursive: true, force: true }); });

    const order = (quantity = 3) => placeOrder(db.prisma, { buyerOrgId: id.insurer!, userId: id.insurerUser!, productId, purpose: "insurance pricing", quantity });
    const pay = (orderId: string) => startPayment(db.prisma, provider, { orderId, buyerOrgId: id.insurer!, userId: id.insurerUser!, baseUrl: "http://localhost" });
    const deliver = (orderId: string, queryId: string, rowsA: bigint, rowsB: bigint) => db.prisma.$transaction((tx) =>
      recognizeDelivery(tx, { queryId, orderId, contributions: [{ holderOrgId: id.a!, rows: rowsA }, { holderOrgId: id.b!, rows: rowsB }] }));

    it("takes payment up front, recognises each delivered query and splits it by contribution, exactly", async () => {
      const o = await order(3);
      expect(o.status).toBe("PENDING_PAYMENT");
      await pay(o.id);
      const q1 = crypto.randomUUID(), q2 = crypto.randomUUID();
      const r1 = await deliver(o.id, q1, 3000n, 1000n);
      expect(r1.chargedMinor).toBe(20_000n);
      expect(r1.split).toEqual({ operator: 2000n, developer: 5000n, holders: [id.a! < id.b! ? { orgId: id.a!, amount: 9750n } : { orgId: id.b!, amount: 3250n }, id.a! < id.b! ? { orgId: id.b!, amount: 3250n } : { orgId: id.a!, amount: 9750n }] });
      await deliver(o.id, q2, 0n, 0n); // nobody's rows in released groups: the holders' part is shared equally
      // The same delivery twice posts nothing more.
      const before = await count();
      await expect(db.prisma.$transaction((tx) => post(tx, { kind: "delivery", idempotencyKey: `delivery:${q1}`, currency: "cny", lines: [{ account: "provider_cash", amountMinor: 1n }, { account: "buyer_prepaid", orgId: id.insurer!, amountMinor: -1n }] }))).resolves.toMatchObject({ created: false });
      expect(await count()).toBe(before);
      expect(await journalBalances(db.prisma)).toBe(true);
      const a = await earnings(db.prisma, id.a!, "holder_payable");
      expect(a.earnedMinor).toBe(9750 + 6500);
    });

    it("recognises deliveries of one order made at once (several workers), each as its own unit", async () => {
      const o = await order(4);
      await pay(o.id);
      const charged = await Promise.all(Array.from({ length: 4 }, () => deliver(o.id, crypto.randomUUID(), 10n, 10n)));
      expect(charged.reduce((a, r) => a + r.chargedMinor, 0n)).toBe(80_000n); // the whole prepaid amount, no unit twice
      expect((await db.prisma.order.findUniqueOrThrow({ where: { id: o.id } })).delivered).toBe(4);
      expect(await journalBalances(db.prisma)).toBe(true);
    });

    it("settles each party once per period, retries a failed transfer, and never pays twice", async () => {
      const failing = offlineProvider({ failTransfersTo: new Set([`off_acct_${id.a}`]) });
      const period = new Date().toISOString().slice(0, 7), after = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + 1, 1));
      expect(await reason(settle(db.prisma, failing, { period }))).toBe("PERIOD_OPEN");
      const first = await settle(db.prisma, failing, { period, now: after });
      expect(first.payouts.filter((p) => p.status === "PAID")).toHaveLength(2); // developer and hospital b
      expect(first.payouts.filter((p) => p.status === "FAILED")).toHaveLength(1);
      const entries = await count();
      const again = await settle(db.prisma, failing, { period, now: after });
      expect(again.payouts.every((p) => p.status === "FAILED")).toBe(true); // only the failed one is tried again
      expect(await count()).toBe(entries);
      expect(await db.prisma.payout.count({ where: { period } })).toBe(3);
      const failed = await db.prisma.payout.findFirstOrThrow({ where: { status: "FAILED" } });
      expect(failed).toMatchObject({ orgId: id.a, attempts: 2, lastError: expect.stringMatching(/cannot receive transfers/) });
      expect(await payOut(db.prisma, provider, failed.id)).toMatchObject({ status: "PAID" });
      expect(await payOut(db.prisma, provider, failed.id)).toMatchObject({ status: "PAID" });
      expect(await db.prisma.journalEntry.count({ where: { kind: "payout" } })).toBe(3);
      for (const org of [id.a!, id.b!]) expect((await earnings(db.prisma, org, "holder_payable")).owedMinor).toBe(0);
      const settled = await count();
      expect(await reason(settle(db.prisma, provider, { period, now: after }))).toBe("ALREADY_SETTLED");
      expect(await count()).toBe(settled);
      expect(await journalBalances(db.prisma)).toBe(true);
      expect(await reason(settle(db.prisma, provider, { period: "2026-13" }))).toBe("BAD_PERIOD");
      expect(await reason(settle(db.prisma, provider, { period: "2099-01" }))).toBe("PERIOD_OPEN");
    });

    it("refunds a disputed query by reversing its split exactly, and an unused order in full", async () => {
      const o = await order(2);
      await pay(o.id);
      const q = crypto.randomUUID();
      await deliver(o.id, q, 5n, 7n);
      const holderA = (await earnings(db.prisma, id.a!, "holder_payable")).earnedMinor;
      await refundQuery(db.prisma, provider, { queryId: q, operatorOrgId: id.op!, reason: "The result was delivered twice by mistake." });
      expect((await earnings(db.prisma, id.a!, "holder_payable")).earnedMinor).toBeLessThan(holderA);
      expect(await reason(refundQuery(db.prisma, provider, { queryId: q, operatorOrgId: id.op!, reason: "again and again" }))).toBe("ALREADY_REFUNDED");
      expect(await reason(refundQuery(db.prisma, provider, { queryId: crypto.randomUUID(), operatorOrgId: id.op!, reason: "never charged" }))).toBe("NOT_CHARGED");
      const refund = await db.prisma.journalEntry.findUniqueOrThrow({ where: { idempotencyKey: `query-refund:${q}` }, include: { postings: true } });
      const delivery = await db.prisma.journalEntry.findUniqueOrThrow({ where: { idempotencyKey: `delivery:${q}` }, include: { postings: true } });
      for (const p of delivery.postings.filter((x) => x.account !== "buyer_prepaid")) {
        expect(refund.postings.some((r) => r.account === p.account && r.orgId === p.orgId && r.amountMinor === -p.amountMinor)).toBe(true);
      }
      const unused = await order(4);
      await pay(unused.id);
      await cancelOrder(db.prisma, { orderId: unused.id, buyerOrgId: id.insurer!, userId: id.insurerUser!, provider });
      expect(await db.prisma.payment.findUniqueOrThrow({ where: { orderId: unused.id } })).toMatchObject({ status: "REFUNDED", refundedMinor: 80_000n });
      expect(await journalBalances(db.prisma)).toBe(true);
    });

    it("applies provider events once, in any order, and refuses mismatched amounts and currencies with nothing posted", async () => {
      const o = await order(1);
      const payment = await db.prisma.payment.create({ data: { orderId: o.id, buyerOrgId: id.insurer!, provider: "stripe", providerRef: `cs_test_${o.id}`, amountMinor: 20_000n, currency: "cny" } });
      const ok = { eventId: `evt_${o.id}`, type: "payment.succeeded" as const, providerRef: payment.providerRef, orderId: o.id, amountMinor: 20_000, currency: "cny", chargeRef: "ch_1", created: 1 };
      const entries = await count();
      expect(await reason(paymentSucceeded(db.prisma, { ...ok, amountMinor: 19_999 }))).toBe("AMOUNT_MISMATCH");
      expect(await reason(paymentSucceeded(db.prisma, { ...ok, currency: "usd" }))).toBe("CURRENCY_MISMATCH");
      expect(await reason(paymentSucceeded(db.prisma, { ...ok, amountMinor: 200.5 }))).toBe("AMOUNT_MISMATCH");
      expect(await count()).toBe(entries);
      // Delivered twice, then a late "failed" for the same payment: one payment, still succeeded.
      expect(await handleProviderEvent(db.prisma, provider, ok)).toEqual({ duplicate: false });
      expect(await handleProviderEvent(db.prisma, provider, ok)).toEqual({ duplicate: true });
      await handleProviderEvent(db.prisma, provider, { eventId: `evt_late_${o.id}`, type: "payment.failed", providerRef: payment.providerRef, orderId: o.id, reason: "expired", created: 0 });
      expect(await db.prisma.payment.findUniqueOrThrow({ where: { id: payment.id } })).toMatchObject({ status: "SUCCEEDED" });
      expect((await db.prisma.order.findUniqueOrThrow({ where: { id: o.id } })).status).toBe("ACTIVE");
      expect(await db.prisma.journalEntry.count({ where: { orderId: o.id, kind: "payment" } })).toBe(1);
      // An event for a payment we have not recorded yet (webhook before our own write) is refused so it comes again.
      expect(await reason(handleProviderEvent(db.prisma, provider, { ...ok, eventId: "evt_unknown", providerRef: "cs_test_unknown" }))).toBe("UNKNOWN_PAYMENT");
      expect(await db.prisma.providerEvent.count({ where: { id: "evt_unknown" } })).toBe(0);
    });

    it("refuses unbalanced entries, fractions, bad currencies and bad quantities", async () => {
      const tx = (lines: Parameters<typeof post>[1]["lines"], currency = "cny") => db.prisma.$transaction((t) => post(t, { kind: "test", idempotencyKey: crypto.randomUUID(), currency, lines }));
      expect(await reason(tx([{ account: "provider_cash", amountMinor: 5n }, { account: "buyer_prepaid", orgId: id.insurer!, amountMinor: -4n }]))).toBe("UNBALANCED");
      expect(await reason(tx([{ account: "provider_cash", amountMinor: 1.5 as unknown as bigint }, { account: "buyer_prepaid", amountMinor: -1.5 as unknown as bigint }]))).toBe("NOT_MINOR_UNITS");
      expect(await reason(tx([{ account: "provider_cash", amountMinor: 1n }, { account: "buyer_prepaid", amountMinor: -1n }], "CNY!"))).toBe("BAD_CURRENCY");
      expect(await reason(order(2.5))).toMatch(/^ZOD: The number of queries is a whole number/);
      // Random balanced entries always keep the journal balanced.
      await fc.assert(fc.asyncProperty(fc.array(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), { minLength: 1, maxLength: 6 }), async (xs) => {
        await tx([...xs.map((x) => ({ account: "provider_cash" as const, amountMinor: x })), { account: "buyer_prepaid", orgId: id.insurer!, amountMinor: -xs.reduce((a, b) => a + b, 0n) }])
          .catch((e: unknown) => { if (!(e instanceof AppError && e.reason === "EMPTY_ENTRY")) throw e; });
        expect(await journalBalances(db.prisma)).toBe(true);
      }), { numRuns: 25 });
    });

    it("gives one payout account however many times it is asked for at once", async () => {
      const results = await Promise.all(Array.from({ length: 6 }, () => onboardPayoutAccount(db.prisma, provider, { orgId: id.a!, email: "finance@example.org", baseUrl: "http://localhost:3000" })));
      expect(results.every((r) => r.ready)).toBe(true);
      const rows = await db.prisma.payoutAccount.findMany({ where: { orgId: id.a! } });
      expect(rows).toHaveLength(1);
      expect(await getPayoutAccount(db.prisma, { orgId: id.a! })).toEqual({ provider: "offline", ready: true });
    });

    it("issues one invoice number for an order however many times it is asked for at once", async () => {
      const o = await order(1);
      await pay(o.id);
      // The number is derived from the payment, never counted up and stored, so concurrent
      // requests (and later ones) cannot end with two numbers for one order.
      const invoices = await Promise.all(Array.from({ length: 8 }, () => getInvoice(db.prisma, { orderId: o.id, buyerOrgId: id.insurer! })));
      expect(new Set(invoices.map((n) => n.number)).size).toBe(1);
      expect(invoices[0]!.number).toMatch(/^QCI-\d{6}-[0-9A-F]{8}$/);
      expect((await getInvoice(db.prisma, { orderId: o.id, buyerOrgId: id.insurer! })).number).toBe(invoices[0]!.number);
      expect(invoices[0]).toMatchObject({ orderId: o.id, buyerOrgId: id.insurer!, quantity: 1, provider: "offline" });
      // Another organisation's order, an unpaid order and a bad id are refused.
      await expect(getInvoice(db.prisma, { orderId: o.id, buyerOrgId: id.a! })).rejects.toMatchObject({ reason: "NO_INVOICE" });
      const unpaid = await order(1);
      await expect(getInvoice(db.prisma, { orderId: unpaid.id, buyerOrgId: id.insurer! })).rejects.toMatchObject({ reason: "NO_INVOICE" });
      expect(await reason(getInvoice(db.prisma, { orderId: "not-a-uuid", buyerOrgId: id.insurer! }))).toMatch(/^ZOD:/);
    });

    it("reads a statement for a month, and refuses a period that is not one", async () => {
      const now = new Date();
      const statement = await getStatement(db.prisma, { orgId: id.insurer! });
      expect(statement.period).toBe(now.toISOString().slice(0, 7));
      expect(statement.rows.length).toBeGreaterThan(0);
      expect((await getStatement(db.prisma, { orgId: id.insurer!, period: "1999-01" })).rows).toEqual([]);
      expect(await reason(getStatement(db.prisma, { orgId: id.insurer!, period: "2026-13" }))).toMatch(/A period is a month like 2026-11/);
    });
  });
}
