/** Individual data: buyers' envelope keys, consent requests and deliveries; subjects' safe box and decisions. */
import { z } from "zod";
import { consentDraft, consentRequestInput, decideConsent, listConsentRequests, listEnvelopeKeys, listPersonResources, registerEnvelopeKey, requestConsent, retireEnvelopeKey, revokeConsent } from "../../consent/consents";
import { bindSubjectKey, bindSubjectKeyInput, subjectNodes } from "../../consent/subject-keys";
import { deliverEnvelope, subjectRecords } from "../../consent/delivery";
import { requestForPerson, safeBox } from "../../consent/safe-box";
import { consume } from "../../http/rate-limits";
import { buyerProcedure, subjectProcedure } from "../trpc";

const status = z.enum(["PENDING", "APPROVED", "REFUSED", "REVOKED", "SPENT", "EXPIRED"]);
const requestRow = z.object({
  id: z.string(), subjectRef: z.string(), resourceId: z.string(), fields: z.array(z.string()), purpose: z.string(), validUntil: z.date(),
  uses: z.number().int(), usesLeft: z.number().int(), status, createdAt: z.date(), decidedAt: z.date().nullable(),
});

const personRequest = requestRow.extend({
  refusal: z.string().nullable(), buyer: z.string(), buyerZh: z.string().nullable(), resource: z.string(), resourceZh: z.string().nullable(),
  holder: z.string(), holderZh: z.string().nullable(), fieldLabels: z.array(z.object({ name: z.string(), label: z.string().nullable(), labelZh: z.string().nullable() })), buyerSuspended: z.boolean(),
});

export const buyerConsentRouter = {
  /** Resources whose records are kept per person (keyed by subject_ref) and served by a node: what can be asked for. */
  personResources: buyerProcedure.output(z.array(z.object({ id: z.string(), name: z.string(), nameZh: z.string().nullable(), holder: z.string(), fields: z.array(z.string()) })))
    .query(({ ctx }) => listPersonResources(ctx.prisma)),
  envelopeKeys: buyerProcedure.output(z.array(z.object({ thumbprint: z.string(), createdAt: z.date(), retiredAt: z.date().nullable() })))
    .query(({ ctx }) => listEnvelopeKeys(ctx.prisma, { buyerOrgId: ctx.active.organisation.id })),
  registerEnvelopeKey: buyerProcedure.input(z.object({ publicJwk: z.record(z.string(), z.unknown()) })).output(z.object({ thumbprint: z.string() }))
    .mutation(({ ctx, input }) => registerEnvelopeKey(ctx.prisma, { buyerOrgId: ctx.active.organisation.id, publicJwk: input.publicJwk })),
  retireEnvelopeKey: buyerProcedure.input(z.object({ thumbprint: z.string().max(64) })).output(z.object({ ok: z.literal(true) }))
    .mutation(({ ctx, input }) => retireEnvelopeKey(ctx.prisma, { buyerOrgId: ctx.active.organisation.id, thumbprint: input.thumbprint })),
  requestConsent: buyerProcedure.input(consentRequestInput).output(z.object({ id: z.string(), status }))
    .mutation(async ({ ctx, input }) => {
      await consume(ctx.prisma, "consentRequests", ctx.user.id);
      return requestConsent(ctx.prisma, { ...input, buyerOrgId: ctx.active.organisation.id, userId: ctx.user.id });
    }),
  consentRequests: buyerProcedure.output(z.array(requestRow))
    .query(({ ctx }) => listConsentRequests(ctx.prisma, { buyerOrgId: ctx.active.organisation.id })),
  /** Fetch the sealed record (spends one use); the envelope opens only with the buyer's private key. */
  deliverEnvelope: buyerProcedure.input(z.object({ requestId: z.uuid() }))
    .output(z.object({
      envelope: z.string(), envelopeHash: z.string(),
      /** the node's signed answer and its registered key: the browser checks the signature before opening */
      signed: z.object({ payload: z.record(z.string(), z.unknown()), signature: z.string() }), nodeKey: z.string(),
    }))
    .mutation(({ ctx, input }) => deliverEnvelope(ctx.prisma, { requestId: input.requestId, buyerOrgId: ctx.active.organisation.id })),
};


export const subjectConsentRouter = {
  safeBox: subjectProcedure
    .output(z.object({
      /** null until the person's identity is verified: nobody can ask for their records yet */
      subjectRef: z.string().nullable(),
      requests: z.array(personRequest),
      deliveries: z.array(z.object({ requestId: z.string(), envelopeHash: z.string(), ledgerEntryId: z.string().nullable(), deliveredAt: z.date() })),
    }))
    .query(({ ctx }) => safeBox(ctx.prisma, ctx.user.id)),
  /** One request as the consent page (a phone, after scanning the QR code) shows it. */
  consentRequest: subjectProcedure.input(z.object({ requestId: z.uuid() })).output(personRequest.extend({ nodeId: z.string().nullable() }))
    .query(({ ctx, input }) => requestForPerson(ctx.prisma, { userId: ctx.user.id, requestId: input.requestId })),
  /** The holders' nodes keeping person-level records, and the keys this person linked at each. */
  nodes: subjectProcedure
    .output(z.array(z.object({ nodeId: z.string(), nodeKey: z.string(), name: z.string(), holder: z.string(), holderZh: z.string().nullable(), keys: z.array(z.string()) })))
    .query(({ ctx }) => subjectNodes(ctx.prisma, ctx.user.id)),
  /** Link the person's own key at a holder's node, proven with the holder's activation code (as a MAC; the code never leaves the browser). */
  bindKey: subjectProcedure.input(bindSubjectKeyInput).output(z.object({ thumbprint: z.string(), bindingHash: z.string() }))
    .mutation(({ ctx, input }) => bindSubjectKey(ctx.prisma, { ...input, userId: ctx.user.id })),
  /** Which datasets keep a record about the person: asked of each node with a request the person's key signed. */
  records: subjectProcedure
    .input(z.object({ requests: z.array(z.object({ nodeId: z.uuid(), statement: z.record(z.string(), z.unknown()), signature: z.string().max(200) })).max(100) }))
    .output(z.array(z.object({ resourceId: z.string(), resource: z.string(), holder: z.string(), available: z.boolean() })))
    .mutation(({ ctx, input }) => subjectRecords(ctx.prisma, { userId: ctx.user.id, requests: input.requests })),
  /** What the person signs to approve a request (their browser adds the nonce). */
  consentDraft: subjectProcedure.input(z.object({ requestId: z.uuid() }))
    .output(z.object({ draft: z.record(z.string(), z.unknown()), nodeId: z.string() }))
    .query(({ ctx, input }) => consentDraft(ctx.prisma, { userId: ctx.user.id, requestId: input.requestId })),
  decideConsent: subjectProcedure.input(z.object({
    requestId: z.uuid(), decision: z.enum(["approve", "refuse"]), reason: z.string().trim().max(1000).optional(),
    statement: z.record(z.string(), z.unknown()).optional(), signature: z.string().max(200).optional(),
  }))
    .output(z.object({ status }))
    .mutation(({ ctx, input }) => decideConsent(ctx.prisma, { ...input, userId: ctx.user.id })),
  revokeConsent: subjectProcedure.input(z.object({ requestId: z.uuid() })).output(z.object({ status }))
    .mutation(({ ctx, input }) => revokeConsent(ctx.prisma, { ...input, userId: ctx.user.id })),
};
