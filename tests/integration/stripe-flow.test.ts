/**
 * The marketplace's money flow with the real Stripe SDK against the local stand-in: Checkout,
 * webhooks (signed, duplicated, reordered, arriving before our own write), refunds, Connect
 * onboarding and payouts as transfers grouped by period. Nothing here calls the real Stripe.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/db/client";
import { journalBalances } from "@/server/money/journal";
import { cancelOrder, recognizeDelivery, startPayment } from "@/server/money/payments";
import { stripeProvider } from "@/server/money/providers/stripe";
import type { PaymentProvider } from "@/server/money/providers/types";
import { settle } from "@/server/money/settlement";
import { receiveWebhook } from "@/server/money/webhook";
import { registerNode } from "@/server/nodes/nodes";
import { placeOrder } from "@/server/orders/orders";
import { createProductFromResources } from "@/server/products/from-resources";
import { registerResource } from "@/server/resources/resources";
import { seedDemoWorld } from "@/server/seed/demo";
import { claimsPolicy } from "@/server/seed/demo-queries";
import { listProduct } from "@/server/seed/flows";
import { startStripeStandin, type StripeEvent, type StripeStandin } from "../setup/stripe-standin";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { backends } from "../setup/databases";
import { claimsNode } from "../setup/parties";
import { claimFields, lookups } from "../setup/fixtures";

const SECRET = "whsec_test_flow";

// One marketplace key for the file (the nodes trust it); each backend gets its own database, node and Stripe stand-in.
const dir = mkdtempSync(path.join(tmpdir(), "stripe-flow-"));
process.env.DATA_DIR ??= dir;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

for (const backend of backends) {
  describe.skipIf(!backend.available)(`the money flow through Stripe (stand-in) on ${backend.name}`, () => {
    let db: Database;
    let standin: StripeStandin;
    let provider: PaymentProvider;
    const id: Record<string, string> = {};
    let productId = "";
    let claims: Awaited<ReturnType<typeof claimsNode>>;
    beforeAll(async () => {
      standin = await startStripeStandin();
      provider = stripeProvider({ secretKey: standin.secretKey, webhookSecret: SECRET, connectWebhookSecret: SECRET, apiHost: standin.host, apiPort: standin.port, apiProtocol: "http", maxNetworkRetries: 0 });
      db = await backend.open();
      await seedDemoWorld(db.prisma);
      const { org } = lookups(db);
      Object.assign(id, {
        hospital: await org("jinan-central-hospital"), dev: await org("baotu-data-studio"), insurer: await org("mingshui-insurance"),
        insurerUser: (await db.prisma.user.findUniqueOrThrow({ where: { email: "insurer@quancheng.example" } })).id,
      });
      // Products are checked against the hospital node's own policy when they are made: a real node answers.
      claims = await claimsNode(path.join(dir, backend.name));
      const node = await registerNode(db.prisma, { organisationId: id.hospital!, name: "stripe-node", url: claims.url, signingKey: claims.nodeId, agreementKey: claims.agreementKey });
      const r = await registerResource(db.prisma, { holderOrgId: id.hospital!, name: "Claims for Stripe tests", domain: "health", updateCycle: "DAILY", sharing: "UNCONDITIONAL",
        fields: claimFields, nodeId: node.id, dataset: "claims" });
      productId = (await createProductFromResources(db.prisma, { developerOrgId: id.dev!, slug: "stripe-claims", name: "Claims (Stripe)", policy: claimsPolicy, resourceIds: [r.id] })).id;
      await listProduct(db.prisma, productId);
    });
    afterAll(async () => { await claims?.close(); await db?.close(); await standin?.close(); });

    const hook = (raw: string, sig: string) => receiveWebhook(db.prisma, provider, raw, sig);
    const newOrder = async () => {
      const o = await placeOrder(db.prisma, { buyerOrgId: id.insurer!, userId: id.insurerUser!, productId, purpose: "insurance pricing", quantity: 2 });
      return o.id;
    };

    it("activates an order only when Stripe's signed webhook says it is paid, once, whatever the order of deliveries", async () => {
      const orderId = await newOrder();
      const started = await startPayment(db.prisma, provider, { orderId, buyerOrgId: id.insurer!, userId: id.insurerUser!, baseUrl: "http://market.example" });
      expect(started.paid).toBe(false);
      expect(started.redirectUrl).toMatch(/^https?:\/\//);
      const created = standin.requests.find((r) => r.path === "/v1/checkout/sessions" && r.method === "POST")!;
      expect(created.body).toMatchObject({ client_reference_id: orderId, payment_intent_data: { transfer_group: orderId } });
      expect((created.body as { allowed_payment_method_types: string[] }).allowed_payment_method_types).toEqual(expect.arrayContaining(["card", "alipay", "wechat_pay"]));
      expect((await db.prisma.order.findUniqueOrThrow({ where: { id: orderId } })).status).toBe("PENDING_PAYMENT");

      const payment = await db.prisma.payment.findUniqueOrThrow({ where: { orderId } });
      const paid = standin.completeCheckout(payment.providerRef);
      // A forged delivery changes nothing; the real one activates; its duplicate is recognised as such.
      expect((await standin.deliver(paid, { to: hook, secret: "whsec_forged" })).status).toBe(400);
      expect((await db.prisma.order.findUniqueOrThrow({ where: { id: orderId } })).status).toBe("PENDING_PAYMENT");
      expect((await standin.deliver(paid, { to: hook, secret: SECRET })).status).toBe(200);
      expect((await standin.deliver(paid, { to: hook, secret: SECRET })).status).toBe(200);
      expect((await db.prisma.order.findUniqueOrThrow({ where: { id: orderId } })).status).toBe("ACTIVE");
      expect(await db.prisma.journalEntry.count({ where: { orderId, kind: "payment" } })).toBe(1);
      // A stale delivery (signed long ago) is refused.
      expect((await standin.deliver(paid, { to: hook, secret: SECRET, timestamp: Math.floor(Date.now() / 1000) - 3600 })).status).toBe(400);
    });

    it("answers 503 to a webhook for a payment it has not recorded yet, so Stripe delivers it again later", async () => {
      const orderId = await newOrder();
      // The session exists at Stripe, but our own write has not happened (yet).
      const c = await provider.createCheckout({
        orderId, buyerOrgId: id.insurer!, amountMinor: 40_000, currency: "cny", description: "Claims (Stripe) (2 queries)",
        successUrl: `http://market.example/buyer/orders?paid=${orderId}`, cancelUrl: "http://market.example/buyer/orders", idempotencyKey: `checkout:${orderId}`,
      });
      const paid = standin.completeCheckout(c.providerRef);
      expect((await standin.deliver(paid, { to: hook, secret: SECRET })).status).toBe(503);
      // Now the redirect comes back and we record it (the same idempotency key gives the same session); the retried delivery applies.
      await startPayment(db.prisma, provider, { orderId, buyerOrgId: id.insurer!, userId: id.insurerUser!, baseUrl: "http://market.example" });
      expect((await standin.deliver(paid, { to: hook, secret: SECRET })).status).toBe(200);
      expect((await db.prisma.order.findUniqueOrThrow({ where: { id: orderId } })).status).toBe("ACTIVE");
    });

    it("refunds a cancelled unused order at Stripe and in the journal", async () => {
      const orderId = (await db.prisma.order.findFirstOrThrow({ where: { buyerOrgId: id.insurer!, status: "ACTIVE", used: 0 }, orderBy: { createdAt: "desc" } })).id;
      await cancelOrder(db.prisma, { orderId, buyerOrgId: id.insurer!, userId: id.insurerUser!, provider });
      const refund = standin.requests.find((r) => r.path === "/v1/refunds")!;
      expect(refund.body).toMatchObject({ amount: "40000" });
      expect(await db.prisma.payment.findUniqueOrThrow({ where: { orderId } })).toMatchObject({ status: "REFUNDED" });
      expect(await journalBalances(db.prisma)).toBe(true);
    });

    it("pays holders out by Connect transfers once they are onboarded, grouped by period", async () => {
      const orderId = (await db.prisma.order.findFirstOrThrow({ where: { buyerOrgId: id.insurer!, status: "ACTIVE" }, orderBy: { createdAt: "asc" } })).id;
      await db.prisma.$transaction((tx) => recognizeDelivery(tx, { queryId: crypto.randomUUID(), orderId, contributions: [{ holderOrgId: id.hospital!, rows: 10n }] }));
      const period = new Date().toISOString().slice(0, 7), after = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + 1, 1));
      // Not onboarded: the payout waits, marked failed with the reason.
      const first = await settle(db.prisma, provider, { period, now: after });
      expect(first.payouts.every((p) => p.status === "FAILED")).toBe(true);
      for (const orgId of [id.hospital!, id.dev!]) {
        const { accountRef, url } = await provider.onboard({ orgId, returnUrl: "http://market.example/r", refreshUrl: "http://market.example/f" });
        expect(url).toMatch(/^https?:\/\//);
        await db.prisma.payoutAccount.create({ data: { orgId, provider: "stripe", accountRef } });
        expect((await standin.deliver(standin.activateAccount(accountRef), { to: hook, secret: SECRET })).status).toBe(200);
      }
      const second = await settle(db.prisma, provider, { period, now: after });
      expect(second.payouts.every((p) => p.status === "PAID")).toBe(true);
      const transfers = standin.requests.filter((r) => r.path === "/v1/transfers");
      expect(transfers).toHaveLength(2);
      for (const t of transfers) expect(t.body).toMatchObject({ transfer_group: `payout-${period}` });
      expect(new Set(transfers.map((t) => t.idempotencyKey)).size).toBe(2);
      // A second settlement of the same period is refused and transfers nothing.
      await expect(settle(db.prisma, provider, { period, now: after })).rejects.toMatchObject({ reason: "ALREADY_SETTLED" });
      expect(standin.requests.filter((r) => r.path === "/v1/transfers")).toHaveLength(2);
      expect(await journalBalances(db.prisma)).toBe(true);
    });

    it("refuses a correctly signed event of each handled type whose payload is malformed, and writes nothing", async () => {
      // Real objects to break: a paid session of a new order, the refund of the cancelled order,
      // a payout's transfer, and a connected account that is not ready yet.
      const orderId = await newOrder();
      await startPayment(db.prisma, provider, { orderId, buyerOrgId: id.insurer!, userId: id.insurerUser!, baseUrl: "http://market.example" });
      const payment = await db.prisma.payment.findUniqueOrThrow({ where: { orderId } });
      const paid = standin.completeCheckout(payment.providerRef);
      const refund = standin.eventsOf("refund.created").at(-1)!;
      const transfer = standin.eventsOf("transfer.created").at(-1)!;
      const payout = await db.prisma.payout.findFirstOrThrow({ where: { providerRef: transfer.data.object.id as string } });
      const { accountRef } = await provider.onboard({ orgId: id.insurer!, returnUrl: "http://market.example/r", refreshUrl: "http://market.example/f" });
      await db.prisma.payoutAccount.upsert({ where: { orgId: id.insurer! }, create: { orgId: id.insurer!, provider: "stripe", accountRef }, update: { provider: "stripe", accountRef, ready: false } });
      const ready = standin.activateAccount(accountRef);

      const broken = (event: StripeEvent, type: string, change: (o: Record<string, unknown>) => void): StripeEvent => {
        const copy = structuredClone(event);
        copy.type = type;
        change(copy.data.object);
        return copy;
      };
      const cases = [
        broken(paid, "checkout.session.completed", (o) => { o.amount_total = 40_000.5; }),
        broken(paid, "checkout.session.async_payment_succeeded", (o) => { o.currency = "renminbi"; }),
        broken(paid, "checkout.session.async_payment_failed", (o) => { o.metadata = { orderId: 42 }; }),
        broken(paid, "checkout.session.expired", (o) => { o.object = "charge"; }),
        broken(refund, "refund.created", (o) => { o.amount = "40000"; }),
        broken(refund, "refund.updated", (o) => { o.amount = 0; }),
        broken(refund, "charge.refund.updated", (o) => { o.currency = 156; }),
        broken(transfer, "transfer.created", (o) => { o.id = 7; }),
        broken(transfer, "transfer.reversed", (o) => { o.reversed = "true"; }),
        broken(ready, "account.updated", (o) => { o.payouts_enabled = "true"; }),
      ];

      const snapshot = async () => ({
        providerEvents: await db.prisma.providerEvent.count(),
        journalEntries: await db.prisma.journalEntry.count(),
        ledgerQueue: await db.prisma.ledgerQueue.count(),
        order: (await db.prisma.order.findUniqueOrThrow({ where: { id: orderId } })).status,
        payment: await db.prisma.payment.findUniqueOrThrow({ where: { orderId }, select: { status: true, failure: true } }),
        payout: await db.prisma.payout.findUniqueOrThrow({ where: { id: payout.id }, select: { status: true, lastError: true } }),
        account: (await db.prisma.payoutAccount.findUniqueOrThrow({ where: { orgId: id.insurer! } })).ready,
      });
      const before = await snapshot();
      expect(before).toMatchObject({ order: "PENDING_PAYMENT", payment: { status: "PENDING" }, payout: { status: "PAID" }, account: false });
      for (const event of cases) {
        const r = await standin.deliver(event, { to: hook, secret: SECRET });
        expect(r.status, event.type).toBe(400);
        const answer = await hook(r.payload, r.header);
        expect(answer.body, event.type).toMatchObject({ error: { code: "MALFORMED_EVENT" } });
        expect((answer.body as { error: { message: string } }).error.message).toContain(event.id);
      }
      expect(await snapshot()).toEqual(before);
      // Not even the event ids were taken, so Stripe's own (well-formed) deliveries still apply.
      expect(await db.prisma.providerEvent.count({ where: { id: { in: [paid.id, refund.id, transfer.id, ready.id] } } })).toBe(0);
      expect((await standin.deliver(paid, { to: hook, secret: SECRET })).status).toBe(200);
      expect((await standin.deliver(ready, { to: hook, secret: SECRET })).status).toBe(200);
      expect((await db.prisma.order.findUniqueOrThrow({ where: { id: orderId } })).status).toBe("ACTIVE");
      expect(await db.prisma.journalEntry.count({ where: { orderId, kind: "payment" } })).toBe(1);
      expect((await db.prisma.payoutAccount.findUniqueOrThrow({ where: { orgId: id.insurer! } })).ready).toBe(true);
      expect(await journalBalances(db.prisma)).toBe(true);
    });
  });
}
