/**
 * The demo world with enough in it to call every tRPC procedure successfully (for the
 * authorization suite): the tax office (the demo holder) runs a real node in-process serving
 * claim records and person-level contributions; the bank (the demo buyer) has a paid order on a
 * listed product over it, a delivered query that was audited, an envelope key and a signing key;
 * Zhang Wei (the demo subject) has linked her key at the node. Everything is made with the domain
 * functions, and `fresh` makes new state per call for the mutations that consume what they act on.
 * Set DATA_DIR (the marketplace's keys) before calling it.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import { claimsNodePolicy, issueActivationCode, issueEnrolmentCode, personNodePolicy } from "@/computation/demo/holder";
import { CLAIM_COLUMNS, claims, writeCsv } from "@/computation/demo/generate";
import { generateKeys } from "@/core/he";
import { generateX25519 } from "@/core/masks";
import { generateEd25519 } from "@/core/signing";
import { bindingMac, enrolmentMac, sha256Hex, signStatement, type QueryAuthorization } from "@/core/statements";
import { createOrganisation, inviteMember, acceptInvitation } from "@/server/accounts/organisations";
import { consentDraft, registerEnvelopeKey, requestConsent } from "@/server/consent/consents";
import type { Database } from "@/server/db/client";
import { postDemand } from "@/server/demands/demands";
import { suspend } from "@/server/ledger/supervision";
import { integrateAll } from "@/server/ledger/log";
import { registerNode } from "@/server/nodes/nodes";
import { decideApproval, placeOrder } from "@/server/orders/orders";
import { createProductFromResources } from "@/server/products/from-resources";
import { pauseProduct, setProductTerms, submitProduct } from "@/server/products/lifecycle";
import { requestAudit, runAudit } from "@/server/proofs/audits";
import { registerBuyerSigningKey } from "@/server/queries/authorization";
import { claimNextJob, prepareQuery, runQueryJob, submitQuery } from "@/server/queries/jobs";
import type { BuyerQuery, QueryPolicy } from "@/server/queries/policy";
import { createQueryProduct } from "@/server/queries/products";
import { registerResource } from "@/server/resources/resources";
import { claimsPolicy } from "@/server/seed/demo-queries";
import { defaultTerms, listProduct, orderApproved } from "@/server/seed/flows";
import { claimFields, lookups } from "./fixtures";
import { approveAtNodes, approveSigned, buyerSigner, inProcessNode, linkPerson, partyKey, writeNodeConfig } from "./parties";

/** Claims under differential privacy, as a developer would list them. */
export const dpPolicy: QueryPolicy = { ...claimsPolicy, privacy: { mode: "dp", epsilonPerBuyer: 50, maxEpsilonPerQuery: 2 } };
export const claimsQuery: BuyerQuery = { groupBy: ["district"], measures: [{ column: "claim_amount", aggregate: "COUNT" }], epsilon: 1 };
const personFields = [
  { name: "subject_ref", type: "string" as const, sensitivity: "PERSONAL" as const },
  { name: "monthly_base", type: "number" as const, unit: "CNY", sensitivity: "PERSONAL" as const },
  { name: "months_paid", type: "integer" as const, sensitivity: "PERSONAL" as const },
];

export async function procedureWorld(db: Database, dir: string) {
  const prisma = db.prisma;
  const { org, user } = lookups(db);
  const id = {
    tax: await org("jinan-tax"), dev: await org("baotu-data-studio"), bank: await org("quancheng-bank"), supervisor: await org("jinan-data-supervision"),
    taxUser: await user("tax@quancheng.example"), devUser: await user("developer@quancheng.example"), operatorUser: await user("operator@quancheng.example"),
    bankUser: await user("bank@quancheng.example"), supervisorUser: await user("supervisor@quancheng.example"),
    zhang: await user("zhang.wei@quancheng.example"), li: await user("li.na@quancheng.example"),
  };
  let n = 0;
  const name = (prefix: string) => `${prefix}-${++n}`;

  // The tax office's node, in this process: claim records for products, a person-level file for consents.
  await writeCsv(path.join(dir, "claims.csv"), CLAIM_COLUMNS, claims(41, 200, 0));
  writeFileSync(path.join(dir, "people.csv"), "subject_ref,monthly_base,months_paid\nQC-SUBJ-0001,18200,96\nQC-SUBJ-0002,9600,12\n");
  const { config, holder } = await writeNodeConfig(dir, {
    name: "tax", datasets: { claims: { kind: "csv", path: "claims.csv" }, contributions: { kind: "csv", path: "people.csv" } },
    policies: { claims: claimsNodePolicy(), contributions: personNodePolicy() },
  });
  const node = await inProcessNode(config);
  const nodeRow = await registerNode(prisma, { organisationId: id.tax, name: "tax-node", url: node.url, signingKey: node.nodeId, agreementKey: node.agreementKey });
  const claimsResource = await registerResource(prisma, { holderOrgId: id.tax, name: "Claims kept by the tax office", domain: "health", updateCycle: "DAILY", sharing: "CONDITIONAL", fields: claimFields, nodeId: nodeRow.id, dataset: "claims" });
  const personResource = await registerResource(prisma, { holderOrgId: id.tax, name: "Contributions", domain: "social", updateCycle: "MONTHLY", sharing: "CONDITIONAL", fields: personFields, nodeId: nodeRow.id, dataset: "contributions" });

  // A listed product over it, approved at the node, and a paid order of the bank.
  const product = (await createProductFromResources(prisma, { developerOrgId: id.dev, slug: "authz-claims", name: "Claims (authorization suite)", policy: dpPolicy, resourceIds: [claimsResource.id] })).id;
  await listProduct(prisma, product);
  await approveAtNodes(product, [{ url: node.url, nodeId: node.nodeId, holder }]);
  const paidOrder = await orderApproved(prisma, { productId: product, buyerOrgId: id.bank, quantity: 100 });

  // The bank's keys: HE, query signing, envelope. Zhang Wei's key linked at the node.
  const he = await generateKeys();
  const signer = await buyerSigner(prisma, id.bank);
  const envelopeJwk = async () => {
    const { kty, crv, x, y } = await exportJWK((await generateKeyPair("ECDH-ES", { crv: "P-256", extractable: true })).publicKey);
    return { kty, crv, x, y };
  };
  await registerEnvelopeKey(prisma, { buyerOrgId: id.bank, publicJwk: await envelopeJwk() });
  const zhangKey = await linkPerson(prisma, { userId: id.zhang, nodeId: nodeRow.id, nodeKey: node.nodeId, keysDir: node.keysDir, subjectRef: "QC-SUBJ-0001" });

  /** A query the bank signed, as its browser submits it. */
  const signedQuery = async () => {
    const prepared = await prepareQuery(prisma, { productId: product, buyerOrgId: id.bank, query: claimsQuery });
    const statement: QueryAuthorization = { type: "query-authorization", queryId: randomUUID(), productId: product, buyerOrgId: id.bank, planHash: prepared.planHash, heKeyHash: sha256Hex(he.publicKey), epsilon: prepared.epsilon };
    return { productId: product, query: claimsQuery, publicKey: he.publicKey, queryId: statement.queryId, signature: await signStatement(signer.privateKey, statement), signingKey: signer.thumbprint };
  };

  // One query delivered (charged to the order) and audited by the supervisor.
  const delivered = (await submitQuery(prisma, { ...(await signedQuery()), buyerOrgId: id.bank, userId: id.bankUser })).id;
  await runQueryJob(prisma, (await claimNextJob(prisma))!);
  const job = await prisma.queryJob.findUniqueOrThrow({ where: { id: delivered } });
  if (job.status !== "SUCCEEDED") throw new Error(`The world's query did not succeed: ${job.error}`);
  const audits = await requestAudit(prisma, { queryId: delivered, sampleBps: 1, orgId: id.supervisor, userId: id.supervisorUser, supervisor: true });
  for (const a of audits) await runAudit(prisma, a.id);

  const draft = async () => (await createQueryProduct(prisma, { developerOrgId: id.dev, slug: name("authz-draft"), name: "Draft claims", policy: dpPolicy, sources: [{ nodeId: nodeRow.id, dataset: "claims" }] })).id;
  const withTerms = async () => { const p = await draft(); await setProductTerms(prisma, { productId: p, developerOrgId: id.dev, ...defaultTerms }); return p; };
  const listed = async () => { const p = await draft(); await listProduct(prisma, p); return p; };
  const pendingConsent = async () => (await requestConsent(prisma, { buyerOrgId: id.bank, userId: id.bankUser, subjectRef: "QC-SUBJ-0001", resourceId: personResource.id, fields: ["monthly_base"], purpose: "mortgage underwriting" })).id;
  const pendingOrder = async () => (await placeOrder(prisma, { buyerOrgId: id.bank, userId: id.bankUser, productId: product, purpose: defaultTerms.purposes[0]! })).id;
  /** An organisation nobody in the suite acts for (Li Na owns it). */
  const organisation = async () => (await createOrganisation(prisma, { userId: id.li, name: name("Authz Throwaway Org") })).id;

  /** New state for one call, for mutations that consume what they act on. */
  const fresh = {
    name,
    email: () => `${name("authz-person")}@example.com`,
    organisation,
    draft,
    withTerms,
    submitted: async () => { const p = await withTerms(); await submitProduct(prisma, { productId: p, developerOrgId: id.dev, actorId: id.devUser }); return p; },
    listed,
    paused: async () => { const p = await listed(); await pauseProduct(prisma, { productId: p, developerOrgId: id.dev, actorId: id.devUser }); return p; },
    resource: () => registerResource(prisma, { holderOrgId: id.tax, name: name("Registry extract"), domain: "tax", updateCycle: "MONTHLY", sharing: "CONDITIONAL", fields: [{ name: "district", type: "string", sensitivity: "INTERNAL" }] }),
    node: () => ({ name: name("tax-spare-node"), url: "http://127.0.0.1:9", signingKey: generateEd25519().publicKey, agreementKey: generateX25519().publicKey }),
    demand: async () => (await postDemand(prisma, { buyerOrgId: id.bank, userId: id.bankUser, title: "Claims by district", description: "Aggregate hospital claims per district for pricing.", purpose: "insurance pricing", deadline: new Date(Date.now() + 30 * 86_400_000) })).id,
    pendingOrder,
    payableOrder: async () => { const o = await pendingOrder(); await decideApproval(prisma, { orderId: o, holderOrgId: id.tax, userId: id.taxUser, decision: "approve" }); return o; },
    signedQuery,
    /** The market roles `orgId` holds (a token may use only those). */
    heldRoles: async (orgId: string) => (await prisma.organisation.findUniqueOrThrow({ where: { id: orgId }, select: { roles: true } })).roles,
    /** An API token of `orgId` (made as its first member), to revoke. */
    apiToken: async (orgId: string) => {
      const m = await prisma.membership.findFirstOrThrow({ where: { organisationId: orgId }, orderBy: { createdAt: "asc" } });
      return (await prisma.apiToken.create({ data: { organisationId: orgId, createdById: m.userId, name: name("token"), secretHash: randomBytes(32).toString("hex"), roles: [], expiresAt: new Date(Date.now() + 86_400_000) } })).id;
    },
    signingKey: async () => (await partyKey()).publicJwk,
    bankSigningKey: async () => (await registerBuyerSigningKey(prisma, { buyerOrgId: id.bank, publicJwk: (await partyKey()).publicJwk })).thumbprint,
    envelopeJwk,
    bankEnvelopeKey: async () => (await registerEnvelopeKey(prisma, { buyerOrgId: id.bank, publicJwk: await envelopeJwk() })).thumbprint,
    pendingConsent,
    approvedConsent: async () => { const r = await pendingConsent(); await approveSigned(prisma, { userId: id.zhang, requestId: r, key: zhangKey }); return r; },
    /** Zhang Wei's approval of a new request, signed by her linked key. */
    signedConsent: async () => {
      const requestId = await pendingConsent();
      const statement = { ...(await consentDraft(prisma, { userId: id.zhang, requestId })).draft, nonce: randomBytes(32).toString("base64url") };
      return { requestId, statement, signature: await signStatement(zhangKey.privateKey, statement) };
    },
    /** A new key of Zhang Wei's with the proof of an activation code the holder issued. */
    subjectBinding: async () => {
      const key = await partyKey();
      const mac = await bindingMac(issueActivationCode(node.keysDir, "QC-SUBJ-0001"), { nodeId: node.nodeId, subjectRef: "QC-SUBJ-0001", thumbprint: key.thumbprint });
      return { nodeId: nodeRow.id, publicJwk: key.publicJwk, mac };
    },
    /** Zhang Wei's signed question to the node: which records do you keep about me? */
    recordsRequest: async () => {
      const statement = { type: "subject-records" as const, subjectRef: "QC-SUBJ-0001", nodeId: node.nodeId, issuedAt: Date.now(), nonce: randomBytes(24).toString("base64url") };
      return { nodeId: nodeRow.id, statement, signature: await signStatement(zhangKey.privateKey, statement) };
    },
    /** A browser key of the holder's with the proof of an enrolment code its node issued. */
    holderEnrolment: async () => {
      const key = await partyKey();
      return { nodeId: nodeRow.id, publicJwk: key.publicJwk, mac: await enrolmentMac(issueEnrolmentCode(node.keysDir), { nodeId: node.nodeId, thumbprint: key.thumbprint }) };
    },
    /** The node's claims policy at its next version, signed by the holder's key. */
    policyChange: async () => {
      const doc = await (await fetch(`${node.url}/v1/policy`)).json() as { payload: { policies: Record<string, { version: number }> } };
      const current = doc.payload.policies.claims!;
      const statement = { type: "node-policy" as const, nodeId: node.nodeId, dataset: "claims", version: current.version + 1, policy: { ...current, version: current.version + 1 } };
      return { nodeId: nodeRow.id, statement, signature: await signStatement(holder.privateKey, statement) };
    },
    suspension: async () => (await suspend(prisma, { supervisorOrgId: id.supervisor, userId: id.supervisorUser, kind: "BUYER", targetId: await organisation(), reason: "Requests outside their stated purposes." })).id,
    /** An invitation for `email` to a new organisation. */
    invitation: async (email: string) => (await inviteMember(prisma, { actorRole: "OWNER", organisationId: await organisation(), invitedById: id.li, email, role: "MEMBER" })).id,
    /** Li Na as a member of the organisation (idempotent), for role changes. */
    member: async (organisationId: string) => {
      if (!(await prisma.membership.findUnique({ where: { userId_organisationId: { userId: id.li, organisationId } } }))) {
        const inv = await inviteMember(prisma, { actorRole: "OWNER", organisationId, invitedById: id.li, email: "li.na@quancheng.example", role: "MEMBER" });
        await acceptInvitation(prisma, { userId: id.li, invitationId: inv.id });
      }
      return id.li;
    },
  };

  return {
    id, node: nodeRow.id, product, paidOrder, delivered, audit: audits[0]!.id,
    claimsResource: claimsResource.id, personResource: personResource.id, fresh,
    /** The ledger's size and one of its entries, after integrating what is queued. */
    ledger: async () => {
      const size = await integrateAll(prisma);
      return { size, entryId: (await prisma.ledgerLeaf.findFirstOrThrow({ where: { index: BigInt(size - 1) } })).entryId };
    },
    /** Let background audits end, then stop the node. */
    close: async () => {
      for (let i = 0; i < 600 && (await prisma.audit.count({ where: { status: "RUNNING" } })) > 0; i++) await new Promise((r) => setTimeout(r, 100));
      await node.close();
    },
  };
}

export type ProcedureWorld = Awaited<ReturnType<typeof procedureWorld>>;
