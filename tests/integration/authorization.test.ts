/**
 * Every procedure, every role: who must be refused is refused, on the server.
 * The table must name every procedure of the router, so a new procedure cannot ship
 * without deciding who may call it.
 */
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MarketRoleName } from "@/server/accounts/roles";
import { appRouter, createCaller } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import type { Database } from "@/server/db/client";
import { seedDemoWorld } from "@/server/seed/demo";
import { backends } from "../setup/databases";

type Access = "public" | "authed" | "member" | "orgAdmin" | MarketRoleName | MarketRoleName[];

const access: Record<string, Access> = {
  "account.signUp": "public",
  "account.me": "authed",
  "account.switchOrganisation": "authed",
  "account.createOrganisation": "authed",
  "account.invitations": "authed",
  "account.acceptInvitation": "authed",
  "organisation.members": "member",
  "catalog.search": "authed",
  "catalog.product": "authed",
  "demand.post": "BUYER",
  "demand.mine": "BUYER",
  "demand.close": "BUYER",
  "ledger.key": "public",
  "ledger.checkpoint": "public",
  "ledger.inclusion": "public",
  "ledger.inclusionMany": "public",
  "ledger.consistency": "public",
  "ledger.leaves": "public",
  "ledger.entry": "public",
  "ledger.mine": "member",
  "supervisor.feed": "SUPERVISOR",
  "supervisor.directory": "SUPERVISOR",
  "supervisor.statistics": "SUPERVISOR",
  "supervisor.privacyBudgets": "SUPERVISOR",
  "supervisor.suspensions": "SUPERVISOR",
  "supervisor.suspend": "SUPERVISOR",
  "supervisor.lift": "SUPERVISOR",
  "supervisor.issueCheckpoint": "SUPERVISOR",
  "audit.request": ["SUPERVISOR", "BUYER"],
  "audit.list": ["SUPERVISOR", "BUYER"],
  "audit.get": ["SUPERVISOR", "BUYER"],
  "audit.queries": "SUPERVISOR",
  "audit.recommit": "HOLDER",
  "demand.matched": ["HOLDER", "DEVELOPER"],
  "demand.respond": ["HOLDER", "DEVELOPER"],
  "demand.overdue": "OPERATOR",
  "demand.notifications": "member",
  "organisation.invite": "orgAdmin",
  "organisation.setMemberRole": "orgAdmin",
  "admin.home": "ADMIN",
  "admin.organisations": "ADMIN",
  "admin.setOrganisationRoles": "ADMIN",
  "holder.home": "HOLDER",
  "holder.nodes": "HOLDER",
  "holder.registerNode": "HOLDER",
  "holder.resources": "HOLDER",
  "holder.registerResource": "HOLDER",
  "holder.updateResource": "HOLDER",
  "holder.retireResource": "HOLDER",
  "holder.reclassifyResource": "HOLDER",
  "holder.approvals": "HOLDER",
  "holder.figures": "HOLDER",
  "holder.privacyBudgets": "HOLDER",
  "holder.decideApproval": "HOLDER",
  "developer.home": "DEVELOPER",
  "developer.products": "DEVELOPER",
  "developer.buildableResources": "DEVELOPER",
  "developer.usage": "DEVELOPER",
  "developer.earnings": "DEVELOPER",
  "developer.createProduct": "DEVELOPER",
  "developer.setProductTerms": "DEVELOPER",
  "developer.submitProduct": "DEVELOPER",
  "developer.pauseProduct": "DEVELOPER",
  "developer.resumeProduct": "DEVELOPER",
  "operator.home": "OPERATOR",
  "operator.reviewQueue": "OPERATOR",
  "operator.reviewProduct": "OPERATOR",
  "operator.pauseProduct": "OPERATOR",
  "operator.listedProducts": "OPERATOR",
  "operator.settlement": "OPERATOR",
  "operator.settle": "OPERATOR",
  "operator.refundQuery": "OPERATOR",
  "money.statement": "member",
  "money.invoice": "BUYER",
  "money.payoutAccount": ["HOLDER", "DEVELOPER"],
  "money.onboard": ["HOLDER", "DEVELOPER"],
  "buyer.home": "BUYER",
  "buyer.products": "BUYER",
  "buyer.submitQuery": "BUYER",
  "buyer.prepareQuery": "BUYER",
  "holder.nodePolicies": "HOLDER",
  "holder.enrolKey": "HOLDER",
  "holder.applyPolicy": "HOLDER",
  "buyer.signingKeys": "BUYER",
  "buyer.registerSigningKey": "BUYER",
  "buyer.retireSigningKey": "BUYER",
  "buyer.query": "BUYER",
  "buyer.queries": "BUYER",
  "buyer.placeOrder": "BUYER",
  "buyer.cancelOrder": "BUYER",
  "buyer.payOrder": "BUYER",
  "buyer.orders": "BUYER",
  "buyer.figures": "BUYER",
  "buyer.privacyBudgets": "BUYER",
  "subject.home": "SUBJECT",
  "subject.safeBox": "SUBJECT",
  "subject.decideConsent": "SUBJECT",
  "subject.nodes": "SUBJECT",
  "subject.bindKey": "SUBJECT",
  "subject.records": "SUBJECT",
  "subject.consentDraft": "SUBJECT",
  "subject.consentRequest": "SUBJECT",
  "subject.revokeConsent": "SUBJECT",
  "buyer.envelopeKeys": "BUYER",
  "buyer.personResources": "BUYER",
  "buyer.registerEnvelopeKey": "BUYER",
  "buyer.retireEnvelopeKey": "BUYER",
  "buyer.requestConsent": "BUYER",
  "buyer.consentRequests": "BUYER",
  "buyer.deliverEnvelope": "BUYER",
  "supervisor.home": "SUPERVISOR",
};

/** One account per situation: each demo role, a plain member, and an organisation with no role yet. */
const actors = [
  "tax@quancheng.example", "developer@quancheng.example", "operator@quancheng.example", "bank@quancheng.example",
  "zhang.wei@quancheng.example", "supervisor@quancheng.example", "admin@quancheng.example",
  "loan-officer@quancheng.example", "analyst@quancheng.example",
];

describe("authorization of every procedure", () => {
  let db: Database;
  beforeAll(async () => { db = await backends[0]!.open(); await seedDemoWorld(db.prisma); });
  afterAll(async () => { await db?.close(); });

  const procedures = Object.keys(appRouter._def.procedures).sort();

  it("has an access rule for every procedure and no stale rules", () => {
    expect(Object.keys(access).sort()).toEqual(procedures);
  });

  const call = async (userId: string | null, path: string) => {
    const caller = createCaller(await createContext({ db, userId })) as unknown as Record<string, Record<string, (i?: unknown) => Promise<unknown>>>;
    const [ns, name] = path.split(".") as [string, string];
    return caller[ns]![name]!(undefined).then(() => null, (e: unknown) => e);
  };

  for (const path of Object.keys(access)) {
    const rule = access[path]!;
    it(`${path} (${[rule].flat().join("|")})`, async () => {
      const signedOut = await call(null, path);
      if (rule === "public") {
        expect((signedOut as TRPCError | null)?.code).not.toBe("UNAUTHORIZED");
      } else {
        expect(signedOut).toBeInstanceOf(TRPCError);
        expect((signedOut as TRPCError).code).toBe("UNAUTHORIZED");
      }
      for (const email of actors) {
        const user = await db.prisma.user.findUniqueOrThrow({ where: { email }, include: { memberships: { orderBy: { createdAt: "asc" }, include: { organisation: true } } } });
        const first = user.memberships[0]!; // the active organisation by default
        const allowed = rule === "public" || rule === "authed" || rule === "member" ||
          (rule === "orgAdmin" ? first.role !== "MEMBER" : [rule].flat().some((r) => first.organisation.roles.includes(r as MarketRoleName)));
        const e = await call(user.id, path);
        const code = e instanceof TRPCError ? e.code : "none";
        if (allowed) expect(code, `${email} must reach ${path}`).not.toMatch(/UNAUTHORIZED|FORBIDDEN/);
        else expect(code, `${email} must be refused ${path}`).toBe("FORBIDDEN");
      }
    });
  }

  it("refuses to act for an organisation one does not belong to", async () => {
    const bank = await db.prisma.user.findUniqueOrThrow({ where: { email: "bank@quancheng.example" } });
    const tax = await db.prisma.organisation.findUniqueOrThrow({ where: { slug: "jinan-tax" } });
    // A forged cookie naming another organisation is ignored: the bank stays a buyer.
    const ctx = await createContext({ db, userId: bank.id, requestedOrgId: tax.id });
    expect(ctx.active?.organisation.slug).toBe("quancheng-bank");
    await expect(createCaller(ctx).holder.home()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(createCaller(ctx).account.switchOrganisation({ organisationId: tax.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("a withdrawn role takes effect on the very next request", async () => {
    const admin = await db.prisma.user.findUniqueOrThrow({ where: { email: "admin@quancheng.example" } });
    const dev = await db.prisma.organisation.findUniqueOrThrow({ where: { slug: "baotu-data-studio" } });
    const devUser = await db.prisma.user.findUniqueOrThrow({ where: { email: "developer@quancheng.example" } });
    const adminCaller = createCaller(await createContext({ db, userId: admin.id }));
    await adminCaller.admin.setOrganisationRoles({ organisationId: dev.id, roles: [], reason: "licence suspended" });
    await expect(createCaller(await createContext({ db, userId: devUser.id })).developer.home()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await adminCaller.admin.setOrganisationRoles({ organisationId: dev.id, roles: ["DEVELOPER"], reason: "licence restored" });
    await expect(createCaller(await createContext({ db, userId: devUser.id })).developer.home()).resolves.toMatchObject({ role: "DEVELOPER" });
  });
});
