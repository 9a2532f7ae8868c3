/** Orders, holder approvals and entitlements: every state and every refusal. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/db/client";
import { registerNode } from "@/server/nodes/nodes";
import { decideApproval, placeOrder, consumeEntitlement } from "@/server/orders/orders";
import { cancelOrder as cancelPaid, startPayment } from "@/server/money/payments";
import { offlineProvider } from "@/server/money/providers/offline";
import { createProductFromResources } from "@/server/products/from-resources";
import { reviewProduct, setProductTerms, submitProduct } from "@/server/products/lifecycle";
import { reclassifyResource, registerResource } from "@/server/resources/resources";
import { seedDemoWorld } from "@/server/seed/demo";
import { claimsPolicy } from "@/server/seed/demo-queries";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { backends } from "../setup/databases";
import { claimsNode } from "../setup/parties";
import { claimFields as fields, lookups, reason } from "../setup/fixtures";


for (const backend of backends) {
  describe.skipIf(!backend.available)(`orders on ${backend.name}`, () => {
    let db: Database;
    const id: Record<string, string> = {};
    let n = 0;
    let nodeId = "";
    const dir = mkdtempSync(path.join(tmpdir(), "orders-"));
    let node: Awaited<ReturnType<typeof claimsNode>>;
    const nodes: Awaited<ReturnType<typeof claimsNode>>[] = [];

    /** A listed product over one hospital resource with the given sharing class and pricing. */
    async function listed(sharing: "CONDITIONAL" | "UNCONDITIONAL", pricing: Parameters<typeof setProductTerms>[1]["pricing"]) {
      n++;
      // Each product over its own node, as before; products are checked against that node's own policy.
      const own = await claimsNode(dir, `${backend.name}-${n}`);
      nodes.push(own);
      const node = await registerNode(db.prisma, { organisationId: id.hospital!, name: `node-${n}`, url: own.url, signingKey: own.nodeId, agreementKey: own.agreementKey });
      const r = await registerResource(db.prisma, { holderOrgId: id.hospital!, name: `Claims ${n}`, domain: "health", updateCycle: "DAILY", sharing, fields, nodeId: node.id, dataset: "claims" });
      const p = await createProductFromResources(db.prisma, { developerOrgId: id.dev!, slug: `orders-${n}`, name: `Claims product ${n}`, policy: claimsPolicy, resourceIds: [r.id] });
      await setProductTerms(db.prisma, { productId: p.id, developerOrgId: id.dev!, pricing, shares: { developerBps: 3000, operatorBps: 1000, holdersBps: 6000 }, licence: "Aggregates for pricing only; no re-identification.", purposes: ["insurance pricing"] });
      await submitProduct(db.prisma, { productId: p.id, developerOrgId: id.dev!, actorId: id.devUser! });
      await reviewProduct(db.prisma, { productId: p.id, actorId: id.opUser!, decision: "approve" });
      return { productId: p.id, resourceId: r.id };
    }

    beforeAll(async () => {
      db = await backend.open();
      await seedDemoWorld(db.prisma);
      const { org, user } = lookups(db);
      Object.assign(id, {
        hospital: await org("jinan-central-hospital"), tax: await org("jinan-tax"), dev: await org("baotu-data-studio"), insurer: await org("mingshui-insurance"),
        hospitalUser: await user("central-hospital@quancheng.example"), devUser: await user("developer@quancheng.example"),
        opUser: await user("operator@quancheng.example"), insurerUser: await user("insurer@quancheng.example"), taxUser: await user("tax@quancheng.example"),
      });
      // Products are checked against the hospital node's own policy when they are made: a real node answers.
      process.env.DATA_DIR ??= dir;
      node = await claimsNode(dir, backend.name);
      nodeId = (await registerNode(db.prisma, { organisationId: id.hospital!, name: `node-${backend.name}`, url: node.url, signingKey: node.nodeId, agreementKey: node.agreementKey })).id;
    });
    afterAll(async () => { for (const x of [node, ...nodes]) await x?.close(); await db?.close(); rmSync(dir, { recursive: true, force: true }); });
    const provider = offlineProvider();
    const cancelOrder = (o: { orderId: string; buyerOrgId: string; userId: string }) => cancelPaid(db.prisma, { ...o, provider });
    const pay = (orderId: string) => startPayment(db.prisma, provider, { orderId, buyerOrgId: id.insurer!, userId: id.insurerUser!, baseUrl: "http://localhost" });

    it("refuses to make a product its source's node would refuse (the node's own signed policy)", async () => {
      const r = await registerResource(db.prisma, { holderOrgId: id.hospital!, name: `Claims strict ${backend.name}`, domain: "health", updateCycle: "DAILY", sharing: "CONDITIONAL", fields, nodeId, dataset: "claims" });
      const wider = { ...claimsPolicy, measures: [{ ...claimsPolicy.measures[0]!, max: 250_000 }] };
      expect(await reason(createProductFromResources(db.prisma, { developerOrgId: id.dev!, slug: `strict-${backend.name}`, name: "Wider bounds", policy: wider, resourceIds: [r.id] }))).toBe("SOURCE_POLICY_REFUSES");
      // Below the market's own floor it never reaches the node: conditional claim records are never without DP.
      const noDp = { ...claimsPolicy, privacy: { mode: "none" as const } };
      expect(await reason(createProductFromResources(db.prisma, { developerOrgId: id.dev!, slug: `strict-${backend.name}`, name: "No DP", policy: noDp, resourceIds: [r.id] }))).toBe("PRIVACY_FLOOR");
    });

    it("waits for the holder's approval of conditional data, then enforces the quota", async () => {
      const { productId } = await listed("CONDITIONAL", { model: "SUBSCRIPTION", priceMinor: 100_000, quota: 2, periodDays: 30 });
      expect(await reason(placeOrder(db.prisma, { buyerOrgId: id.insurer!, userId: id.insurerUser!, productId, purpose: "marketing" }))).toBe("PURPOSE_NOT_ALLOWED");
      const key = crypto.randomUUID();
      const order = await placeOrder(db.prisma, { buyerOrgId: id.insurer!, userId: id.insurerUser!, productId, purpose: "insurance pricing", idempotencyKey: key });
      expect(order.status).toBe("PENDING_APPROVAL");
      expect((await placeOrder(db.prisma, { buyerOrgId: id.insurer!, userId: id.insurerUser!, productId, purpose: "insurance pricing", idempotencyKey: key })).id).toBe(order.id);
      expect(await reason(db.prisma.$transaction((tx) => consumeEntitlement(tx, { buyerOrgId: id.insurer!, productId })))).toBe("AWAITING_APPROVAL");
      expect(await reason(decideApproval(db.prisma, { orderId: order.id, holderOrgId: id.tax!, userId: id.taxUser!, decision: "approve" }))).toBe("APPROVAL_NOT_FOUND");
      expect(await reason(decideApproval(db.prisma, { orderId: order.id, holderOrgId: id.hospital!, userId: id.hospitalUser!, decision: "refuse" }))).toBe("REASON_REQUIRED");
      expect(await decideApproval(db.prisma, { orderId: order.id, holderOrgId: id.hospital!, userId: id.hospitalUser!, decision: "approve" })).toEqual({ orderStatus: "PENDING_PAYMENT" });
      expect(await reason(decideApproval(db.prisma, { orderId: order.id, holderOrgId: id.hospital!, userId: id.hospitalUser!, decision: "approve" }))).toBe("ALREADY_DECIDED");
      expect(await reason(db.prisma.$transaction((tx) => consumeEntitlement(tx, { buyerOrgId: id.insurer!, productId })))).toBe("AWAITING_PAYMENT");
      expect(await pay(order.id)).toEqual({ redirectUrl: null, paid: true });
      expect(await reason(pay(order.id))).toBe("NOT_PAYABLE");
      const use = () => db.prisma.$transaction((tx) => consumeEntitlement(tx, { buyerOrgId: id.insurer!, productId }));
      expect(await use()).toBe(order.id);
      expect(await use()).toBe(order.id);
      expect(await reason(use())).toBe("QUOTA_EXHAUSTED");
      expect(await reason(cancelOrder({ orderId: order.id, buyerOrgId: id.insurer!, userId: id.insurerUser! }))).toBe("ORDER_IN_USE");
      const later = new Date(Date.now() + 31 * 86_400_000);
      const second = await placeOrder(db.prisma, { buyerOrgId: id.insurer!, userId: id.insurerUser!, productId, purpose: "insurance pricing" });
      await decideApproval(db.prisma, { orderId: second.id, holderOrgId: id.hospital!, userId: id.hospitalUser!, decision: "approve" });
      await pay(second.id);
      expect(await reason(db.prisma.$transaction((tx) => consumeEntitlement(tx, { buyerOrgId: id.insurer!, productId, now: later })))).toBe("ORDER_EXPIRED");
      const events = await db.prisma.orderEvent.findMany({ where: { orderId: order.id }, orderBy: { createdAt: "asc" } });
      expect(events.map((e) => `${e.fromState ?? "∅"}→${e.toState}`)).toEqual(["∅→PENDING_APPROVAL", "PENDING_APPROVAL→PENDING_PAYMENT", "PENDING_PAYMENT→ACTIVE"]);
    });

    it("is refused with the holder's reason, and unconditional data needs no approval", async () => {
      const cond = await listed("CONDITIONAL", { model: "PER_QUERY", priceMinor: 5_000 });
      const order = await placeOrder(db.prisma, { buyerOrgId: id.insurer!, userId: id.insurerUser!, productId: cond.productId, purpose: "insurance pricing" });
      expect(await decideApproval(db.prisma, { orderId: order.id, holderOrgId: id.hospital!, userId: id.hospitalUser!, decision: "refuse", reason: "Purpose not covered by our data-sharing agreement." })).toEqual({ orderStatus: "REFUSED" });
      expect(await reason(db.prisma.$transaction((tx) => consumeEntitlement(tx, { buyerOrgId: id.insurer!, productId: cond.productId })))).toBe("NO_ACTIVE_ORDER");
      expect(await reason(cancelOrder({ orderId: order.id, buyerOrgId: id.insurer!, userId: id.insurerUser! }))).toBe("ILLEGAL_TRANSITION");

      const open = await listed("UNCONDITIONAL", { model: "ONE_OFF", priceMinor: 9_900 });
      const o2 = await placeOrder(db.prisma, { buyerOrgId: id.insurer!, userId: id.insurerUser!, productId: open.productId, purpose: "insurance pricing" });
      expect(o2.status).toBe("PENDING_PAYMENT");
      await pay(o2.id);
      expect(await reason(cancelOrder({ orderId: o2.id, buyerOrgId: id.tax!, userId: id.taxUser! }))).toBe("ORDER_NOT_FOUND");
      expect(await cancelOrder({ orderId: o2.id, buyerOrgId: id.insurer!, userId: id.insurerUser! })).toMatchObject({ status: "CANCELLED" });
      // Cancelled before use: refunded in full, and the journal says so.
      expect(await db.prisma.payment.findUniqueOrThrow({ where: { orderId: o2.id } })).toMatchObject({ status: "REFUNDED", refundedMinor: 9_900n });
      const prepaid = await db.prisma.posting.aggregate({ where: { entry: { orderId: o2.id }, account: "buyer_prepaid" }, _sum: { amountMinor: true } });
      expect(prepaid._sum.amountMinor).toBe(0n);
      expect(await reason(db.prisma.$transaction((tx) => consumeEntitlement(tx, { buyerOrgId: id.tax!, productId: open.productId })))).toBe("NO_ORDER");
    });

    it("cannot be placed while a source is reclassified as not shared", async () => {
      const p = await listed("UNCONDITIONAL", { model: "PER_QUERY", priceMinor: 1_000 });
      await reclassifyResource(db.prisma, { holderOrgId: id.hospital!, userId: id.hospitalUser!, resourceId: p.resourceId, to: "NOT_SHARED", reason: "data quality incident under review", endsAt: new Date(Date.now() + 86_400_000) });
      expect(await reason(placeOrder(db.prisma, { buyerOrgId: id.insurer!, userId: id.insurerUser!, productId: p.productId, purpose: "insurance pricing" }))).toBe("NOT_SHARED");
    });
  });
}
