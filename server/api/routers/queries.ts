/** Encrypted aggregate queries (buyers) and computation nodes (holders). */
import { z } from "zod";
import { listNodes, registerNode, registerNodeInput } from "../../nodes/nodes";
import { applyNodePolicy, applyNodePolicyInput, enrolHolderKey, enrolHolderKeyInput, holderNodePolicies } from "../../nodes/policies";
import { getQuery, listQueries, prepareQuery } from "../../queries/jobs";
import { listBuyerSigningKeys, registerBuyerSigningKey, retireBuyerSigningKey } from "../../queries/authorization";
import { buyerQuery, planned, queryPolicy } from "../../queries/policy";
import { listQueryableProducts } from "../../queries/products";
import { pricingSchema } from "../../products/schemas";
import { submitAndWake } from "../../queries/worker";
import { buyerProcedure, holderProcedure } from "../trpc";

const status = z.enum(["QUEUED", "RUNNING", "SUCCEEDED", "FAILED"]);
const productName = z.object({ name: z.string(), nameZh: z.string().nullable(), slug: z.string() });

export const buyerQueryRouter = {
  products: buyerProcedure
    .output(z.array(productName.extend({ id: z.string(), description: z.string(), policy: queryPolicy, purposes: z.array(z.string()), pricing: pricingSchema, sourceCount: z.number().int() })))
    .query(({ ctx }) => listQueryableProducts(ctx.prisma)),

  /** The buyer's query-signing keys (public halves; each registration is on the ledger). */
  signingKeys: buyerProcedure.output(z.array(z.object({ thumbprint: z.string(), createdAt: z.date(), retiredAt: z.date().nullable() })))
    .query(({ ctx }) => listBuyerSigningKeys(ctx.prisma, ctx.active.organisation.id)),
  registerSigningKey: buyerProcedure.input(z.object({ publicJwk: z.record(z.string(), z.unknown()) }))
    .output(z.object({ thumbprint: z.string(), createdAt: z.date(), retiredAt: z.date().nullable() }))
    .mutation(({ ctx, input }) => registerBuyerSigningKey(ctx.prisma, { buyerOrgId: ctx.active.organisation.id, publicJwk: input.publicJwk })),
  retireSigningKey: buyerProcedure.input(z.object({ thumbprint: z.string().max(64) })).output(z.object({ ok: z.literal(true) }))
    .mutation(({ ctx, input }) => retireBuyerSigningKey(ctx.prisma, { buyerOrgId: ctx.active.organisation.id, thumbprint: input.thumbprint })),

  /** The plan a query would run and its hash, for the buyer to sign (nothing is charged or recorded). */
  prepareQuery: buyerProcedure
    .input(z.object({ productId: z.uuid(), query: buyerQuery }))
    .output(z.object({ plan: z.record(z.string(), z.unknown()), planHash: z.string(), epsilon: z.number(), groups: z.number().int(), buyerOrgId: z.string() }))
    .query(({ ctx, input }) => prepareQuery(ctx.prisma, { ...input, buyerOrgId: ctx.active.organisation.id })),

  submitQuery: buyerProcedure
    .input(z.object({
      productId: z.uuid(), query: buyerQuery,
      /** chosen by the buyer and covered by its signature */
      queryId: z.uuid(),
      /** the buyer's signature over its query-authorization statement (core/statements.ts), and its key's thumbprint */
      signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/, { error: "A signature is 64 bytes, base64url." }),
      signingKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
      publicKey: z.string().min(100).max(2_500_000, { error: "The public key is too large." }),
      idempotencyKey: z.uuid().optional(),
    }))
    .output(z.object({ id: z.string(), status, epsilon: z.number() }))
    .mutation(({ ctx, input }) => submitAndWake(ctx.prisma, { ...input, buyerOrgId: ctx.active.organisation.id, userId: ctx.user.id })),

  query: buyerProcedure
    .input(z.object({ jobId: z.uuid() }))
    .output(z.object({
      id: z.string(), status, progress: z.number().int(), error: z.string().nullable(), epsilon: z.number(),
      product: productName, createdAt: z.date(), finishedAt: z.date().nullable(),
      planned,
      result: z.object({ ciphertexts: z.array(z.string()), suppressed: z.array(z.boolean()) }).nullable(),
      budget: z.object({ total: z.number(), spent: z.number() }).nullable(),
    }))
    .query(({ ctx, input }) => getQuery(ctx.prisma, { jobId: input.jobId, buyerOrgId: ctx.active.organisation.id })),

  queries: buyerProcedure
    .output(z.array(z.object({ id: z.string(), status, progress: z.number().int(), epsilon: z.number(), createdAt: z.date(), error: z.string().nullable(), product: productName })))
    .query(({ ctx }) => listQueries(ctx.prisma, ctx.active.organisation.id)),
};

const nodeOut = z.object({ id: z.string(), name: z.string(), url: z.string(), signingKey: z.string(), agreementKey: z.string(), active: z.boolean(), lastSeenAt: z.date().nullable() });
const nodeWithDatasets = nodeOut.extend({ datasets: z.array(z.string()) });

export const holderNodeRouter = {
  /** Each node's policy as the node itself signed it, and the products over it, approved there or not. */
  nodePolicies: holderProcedure
    .output(z.array(z.object({
      nodeId: z.string(), name: z.string(), nodeKey: z.string(), error: z.string().nullable(),
      document: z.object({ payload: z.object({ type: z.literal("node-policy"), nodeId: z.string(), policies: z.record(z.string(), z.unknown().nullable()), holderKeys: z.array(z.string()), accounts: z.record(z.string(), z.object({ spent: z.number(), periodDays: z.number().int() })).optional() }), signature: z.string() }).nullable(),
      products: z.array(z.object({ productId: z.string(), name: z.string(), nameZh: z.string().nullable(), status: z.string(), dataset: z.string(), sources: z.array(z.string()), sourceNames: z.array(z.string()), approved: z.boolean() })),
    })))
    .query(({ ctx }) => holderNodePolicies(ctx.prisma, ctx.active.organisation.id)),
  /** Link this browser's key to the holder's node (MAC under the node's enrolment code; the code stays in the browser). */
  enrolKey: holderProcedure.input(enrolHolderKeyInput).output(z.object({ thumbprint: z.string() }))
    .mutation(({ ctx, input }) => enrolHolderKey(ctx.prisma, { ...input, holderOrgId: ctx.active.organisation.id })),
  /** Relay a policy change signed in the holder's browser; the node checks the signature and applies it. */
  applyPolicy: holderProcedure.input(applyNodePolicyInput).output(z.object({ dataset: z.string(), version: z.number().int() }))
    .mutation(({ ctx, input }) => applyNodePolicy(ctx.prisma, { ...input, holderOrgId: ctx.active.organisation.id })),
  nodes: holderProcedure.output(z.array(nodeWithDatasets)).query(({ ctx }) => listNodes(ctx.prisma, ctx.active.organisation.id)),
  registerNode: holderProcedure.input(registerNodeInput).output(nodeOut)
    .mutation(({ ctx, input }) => registerNode(ctx.prisma, { ...input, organisationId: ctx.active.organisation.id })),
};

