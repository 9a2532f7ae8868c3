/**
 * Every procedure, every role: who must be refused is refused, on the server, and who may
 * call a procedure gets its answer. Each call carries a valid input made for it from the demo
 * world (`inputs`), so a refusal is never an input error and "allowed" means the call succeeded.
 * Both tables must name every procedure of the router, so a new procedure cannot ship without
 * deciding who may call it and how it is called.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MarketRoleName, MemberRoleName } from "@/server/accounts/roles";
import { appRouter, createCaller } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import type { Database } from "@/server/db/client";
import { isAppError } from "@/server/errors";
import { seedDemoWorld } from "@/server/seed/demo";
import { defaultTerms } from "@/server/seed/flows";
import { backends } from "../setup/databases";
import { claimsQuery, dpPolicy, procedureWorld, type ProcedureWorld } from "../setup/procedure-world";

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
  "organisation.apiTokens": "orgAdmin",
  "organisation.createApiToken": "orgAdmin",
  "organisation.revokeApiToken": "orgAdmin",
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

type Actor = { userId: string; email: string; orgId: string };
/** A valid input for one call, made afresh for each call (as `a`, or signed out as the first actor). */
type Input = (w: ProcedureWorld, a: Actor) => unknown;
const none: Input = () => undefined;
const inAMonth = () => new Date(Date.now() + 30 * 86_400_000);
const fields = [{ name: "district", type: "string", sensitivity: "INTERNAL" }];
const ledgerSize = async (w: ProcedureWorld) => (await w.ledger()).size;

const inputs: Record<string, Input> = {
  "account.signUp": (w) => ({ name: "New Person", email: w.fresh.email(), password: "a-long-password-1" }),
  "account.me": none,
  "account.switchOrganisation": (_w, a) => ({ organisationId: a.orgId }),
  "account.createOrganisation": (w) => ({ name: w.fresh.name("Authz New Org") }),
  "account.invitations": none,
  "account.acceptInvitation": async (w, a) => ({ invitationId: await w.fresh.invitation(a.email) }),
  "organisation.members": none,
  "catalog.search": () => ({ q: "claims" }),
  "catalog.product": (w) => ({ id: w.product }),
  "demand.post": () => ({ title: "Claims by district", description: "Aggregate hospital claims per district for pricing.", purpose: "insurance pricing", deadline: inAMonth() }),
  "demand.mine": none,
  "demand.close": async (w) => ({ demandId: await w.fresh.demand(), note: "Found what we needed." }),
  "ledger.key": none,
  "ledger.checkpoint": none,
  "ledger.inclusion": async (w) => { const size = await ledgerSize(w); return { index: size - 1, size }; },
  "ledger.inclusionMany": async (w) => { const size = await ledgerSize(w); return { indexes: [0, size - 1], size }; },
  "ledger.consistency": async (w) => ({ from: 1, to: await ledgerSize(w) }),
  "ledger.leaves": async (w) => { const size = await ledgerSize(w); return { start: Math.max(0, size - 10), end: size }; },
  "ledger.entry": async (w) => ({ entryId: (await w.ledger()).entryId }),
  "ledger.mine": () => ({ limit: 10 }),
  "supervisor.feed": () => ({ type: "query", limit: 10 }),
  "supervisor.directory": none,
  "supervisor.statistics": none,
  "supervisor.privacyBudgets": none,
  "supervisor.suspensions": none,
  "supervisor.suspend": async (w) => ({ kind: "BUYER", targetId: await w.fresh.organisation(), reason: "Requests outside their stated purposes." }),
  "supervisor.lift": async (w) => ({ suspensionId: await w.fresh.suspension(), reason: "Cleared after review." }),
  "supervisor.issueCheckpoint": none,
  "audit.request": (w) => ({ queryId: w.delivered, sampleBps: 1 }),
  "audit.list": (w) => ({ queryId: w.delivered }),
  "audit.get": (w) => ({ auditId: w.audit }),
  "audit.queries": none,
  "audit.recommit": (w) => ({ resourceId: w.claimsResource }),
  "demand.matched": none,
  "demand.respond": async (w) => ({ demandId: await w.fresh.demand(), message: "Our claims product answers this need." }),
  "demand.overdue": none,
  "demand.notifications": none,
  "organisation.invite": (w) => ({ email: w.fresh.email(), role: "MEMBER" }),
  "organisation.setMemberRole": async (w, a) => ({ userId: await w.fresh.member(a.orgId), role: "ADMIN" }),
  "organisation.apiTokens": none,
  "organisation.createApiToken": async (w, a) => ({ name: "nightly export", roles: (await w.fresh.heldRoles(a.orgId)).slice(0, 1), expiresInDays: 30 }),
  "organisation.revokeApiToken": async (w, a) => ({ tokenId: await w.fresh.apiToken(a.orgId) }),
  "admin.home": none,
  "admin.organisations": none,
  "admin.setOrganisationRoles": async (w) => ({ organisationId: await w.fresh.organisation(), roles: ["BUYER"], reason: "Licence checked." }),
  "holder.home": none,
  "holder.nodes": none,
  "holder.registerNode": (w) => w.fresh.node(),
  "holder.resources": none,
  "holder.registerResource": (w) => ({ name: w.fresh.name("Tax registry"), domain: "tax", updateCycle: "MONTHLY", sharing: "CONDITIONAL", fields }),
  "holder.updateResource": async (w) => {
    const r = await w.fresh.resource();
    return { resourceId: r.id, expectedVersion: r.version, resource: { name: `${r.name} (revised)`, domain: r.domain, updateCycle: r.updateCycle, sharing: r.sharing, fields: r.fields } };
  },
  "holder.retireResource": async (w) => ({ resourceId: (await w.fresh.resource()).id }),
  "holder.reclassifyResource": async (w) => ({ resourceId: (await w.fresh.resource()).id, to: "NOT_SHARED", reason: "A data-quality incident is under review.", endsAt: inAMonth() }),
  "holder.approvals": none,
  "holder.figures": none,
  "holder.privacyBudgets": none,
  "holder.decideApproval": async (w) => ({ orderId: await w.fresh.pendingOrder(), decision: "approve" }),
  "developer.home": none,
  "developer.products": none,
  "developer.buildableResources": none,
  "developer.usage": none,
  "developer.earnings": none,
  "developer.createProduct": (w) => ({ slug: w.fresh.name("authz-new"), name: "Claims by district", policy: dpPolicy, resourceIds: [w.claimsResource] }),
  "developer.setProductTerms": async (w) => ({ productId: await w.fresh.draft(), ...defaultTerms }),
  "developer.submitProduct": async (w) => ({ productId: await w.fresh.withTerms() }),
  "developer.pauseProduct": async (w) => ({ productId: await w.fresh.listed() }),
  "developer.resumeProduct": async (w) => ({ productId: await w.fresh.paused() }),
  "operator.home": none,
  "operator.reviewQueue": none,
  "operator.reviewProduct": async (w) => ({ productId: await w.fresh.submitted(), decision: "approve" }),
  "operator.pauseProduct": async (w) => ({ productId: await w.fresh.listed(), reason: "A complaint is under review." }),
  "operator.listedProducts": none,
  "operator.settlement": none,
  "operator.settle": () => ({ period: "2024-01" }),
  "operator.refundQuery": (w) => ({ queryId: w.delivered, reason: "The result came too late to use." }),
  "money.statement": () => ({}),
  "money.invoice": (w) => ({ orderId: w.paidOrder }),
  "money.payoutAccount": none,
  "money.onboard": none,
  "buyer.home": none,
  "buyer.products": none,
  "buyer.submitQuery": (w) => w.fresh.signedQuery(),
  "buyer.prepareQuery": (w) => ({ productId: w.product, query: claimsQuery }),
  "holder.nodePolicies": none,
  "holder.enrolKey": (w) => w.fresh.holderEnrolment(),
  "holder.applyPolicy": (w) => w.fresh.policyChange(),
  "buyer.signingKeys": none,
  "buyer.registerSigningKey": async (w) => ({ publicJwk: await w.fresh.signingKey() }),
  "buyer.retireSigningKey": async (w) => ({ thumbprint: await w.fresh.bankSigningKey() }),
  "buyer.query": (w) => ({ jobId: w.delivered }),
  "buyer.queries": none,
  "buyer.placeOrder": (w) => ({ productId: w.product, purpose: "insurance pricing", quantity: 5 }),
  "buyer.cancelOrder": async (w) => ({ orderId: await w.fresh.pendingOrder() }),
  "buyer.payOrder": async (w) => ({ orderId: await w.fresh.payableOrder() }),
  "buyer.orders": none,
  "buyer.figures": none,
  "buyer.privacyBudgets": none,
  "subject.home": none,
  "subject.safeBox": none,
  "subject.decideConsent": async (w) => ({ ...(await w.fresh.signedConsent()), decision: "approve" }),
  "subject.nodes": none,
  "subject.bindKey": (w) => w.fresh.subjectBinding(),
  "subject.records": async (w) => ({ requests: [await w.fresh.recordsRequest()] }),
  "subject.consentDraft": async (w) => ({ requestId: await w.fresh.pendingConsent() }),
  "subject.consentRequest": async (w) => ({ requestId: await w.fresh.pendingConsent() }),
  "subject.revokeConsent": async (w) => ({ requestId: await w.fresh.approvedConsent() }),
  "buyer.envelopeKeys": none,
  "buyer.personResources": none,
  "buyer.registerEnvelopeKey": async (w) => ({ publicJwk: await w.fresh.envelopeJwk() }),
  "buyer.retireEnvelopeKey": async (w) => ({ thumbprint: await w.fresh.bankEnvelopeKey() }),
  "buyer.requestConsent": (w) => ({ subjectRef: "QC-SUBJ-0001", resourceId: w.personResource, fields: ["monthly_base", "months_paid"], purpose: "mortgage underwriting" }),
  "buyer.consentRequests": none,
  "buyer.deliverEnvelope": async (w) => ({ requestId: await w.fresh.approvedConsent() }),
  "supervisor.home": none,
};

/**
 * Allowed calls that cannot succeed for a reason outside authorization (a node, a service, a state
 * that cannot be made afresh), each with the domain refusal (AppError reason) it must end in and a
 * comment why. Empty today: the world and `inputs` make every allowed call succeed; keep it so.
 */
const domainOutcomes: Record<string, string> = {};

/** One account per situation: each demo role, a plain member, and an organisation with no role yet. */
const actors = [
  "tax@quancheng.example", "developer@quancheng.example", "operator@quancheng.example", "bank@quancheng.example",
  "zhang.wei@quancheng.example", "supervisor@quancheng.example", "admin@quancheng.example",
  "loan-officer@quancheng.example", "analyst@quancheng.example",
];

/** "success", or the error's code, its domain reason if any, and message: a refusal by the middleware has no reason. */
const outcome = (e: unknown) => (e === null ? "success" : e instanceof TRPCError ? `${e.code}${isAppError(e.cause) ? ` ${e.cause.reason}` : ""}: ${e.message}` : String(e));

describe("authorization of every procedure", () => {
  let db: Database;
  let world: ProcedureWorld;
  let people: (Actor & { role: MemberRoleName; roles: MarketRoleName[] })[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), "authorization-"));
  beforeAll(async () => {
    process.env.DATA_DIR = dir; // the marketplace's keys
    db = await backends[0]!.open();
    await seedDemoWorld(db.prisma);
    world = await procedureWorld(db, dir);
    people = await Promise.all(actors.map(async (email) => {
      const user = await db.prisma.user.findUniqueOrThrow({ where: { email }, include: { memberships: { orderBy: { createdAt: "asc" }, include: { organisation: true } } } });
      const first = user.memberships[0]!; // the active organisation by default
      return { userId: user.id, email, orgId: first.organisationId, role: first.role, roles: first.organisation.roles };
    }));
  }, 300_000);
  afterAll(async () => { await world?.close(); await db?.close(); rmSync(dir, { recursive: true, force: true }); });

  const procedures = Object.keys(appRouter._def.procedures).sort();

  it("has an access rule and an input for every procedure, and no stale ones", () => {
    expect(Object.keys(access).sort()).toEqual(procedures);
    expect(Object.keys(inputs).sort()).toEqual(procedures);
    for (const path of Object.keys(domainOutcomes)) expect(procedures).toContain(path);
  });

  /** Call `path` as `userId` (null: signed out) with the input made for `as`; null when it succeeded, else the error. */
  const call = async (userId: string | null, path: string, as: Actor) => {
    const caller = createCaller(await createContext({ db, userId })) as unknown as Record<string, Record<string, (i?: unknown) => Promise<unknown>>>;
    const [ns, name] = path.split(".") as [string, string];
    const input = await inputs[path]!(world, as);
    return caller[ns]![name]!(input).then(() => null, (e: unknown) => e);
  };
  const expectSuccess = (e: unknown, who: string, path: string) => {
    const expected = domainOutcomes[path];
    if (expected) expect(e instanceof TRPCError && isAppError(e.cause) ? e.cause.reason : outcome(e), `${who} → ${path}`).toBe(expected);
    else expect(outcome(e), `${who} must succeed at ${path}`).toBe("success");
  };

  for (const path of Object.keys(access)) {
    const rule = access[path]!;
    it(`${path} (${[rule].flat().join("|")})`, async () => {
      const signedOut = await call(null, path, people[0]!);
      if (rule === "public") expectSuccess(signedOut, "signed out", path);
      else expect(outcome(signedOut), `signed out must be refused ${path}`).toMatch(/^UNAUTHORIZED:/);
      for (const p of people) {
        const allowed = rule === "public" || rule === "authed" || rule === "member" ||
          (rule === "orgAdmin" ? p.role !== "MEMBER" : [rule].flat().some((r) => p.roles.includes(r as MarketRoleName)));
        const e = await call(p.userId, path, p);
        if (allowed) expectSuccess(e, p.email, path);
        else expect(outcome(e), `${p.email} must be refused ${path}`).toMatch(/^FORBIDDEN:/);
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
