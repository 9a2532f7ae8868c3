/** What a product page shows: terms, policy and holders, and the shape of a result. Never rows. */
import type { PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";
import { queryPolicy } from "../queries/policy";
import { pricingSchema, sharesSchema } from "./schemas";

const include = {
  developer: { select: { name: true, nameZh: true } },
  sources: { include: { node: { select: { organisation: { select: { name: true, nameZh: true } } } } } },
} as const;

type Loaded = NonNullable<Awaited<ReturnType<typeof load>>>;
function load(db: PrismaClient, productId: string) {
  return db.dataProduct.findUnique({ where: { id: productId }, include });
}

function describe(p: Loaded) {
  const policy = queryPolicy.parse(p.policy);
  const holders = [...new Map(p.sources.map((s) => [s.node.organisation.name, s.node.organisation])).values()];
  // The shape of a result: one row per group, one column per allowed aggregate.
  const shape = [
    ...policy.dimensions.filter((d) => d.groupable).map((d) => `${d.column} (${d.spec.kind === "category" ? d.spec.values.length : d.spec.edges.length - 1} values)`),
    "count",
    ...policy.measures.flatMap((m) => m.aggregates.filter((a) => a !== "COUNT").map((a) => `${a}(${m.column})`)),
  ];
  return {
    id: p.id, name: p.name, nameZh: p.nameZh, description: p.description, licence: p.licence, purposes: p.purposes,
    pricing: pricingSchema.parse(p.pricing), developer: p.developer, holders, policy, shape,
  };
}

export async function productPage(db: PrismaClient, productId: string) {
  const p = await load(db, productId);
  if (!p || p.status !== "LISTED") throw new AppError("NOT_FOUND", "PRODUCT_NOT_FOUND", "No such listed product.");
  return describe(p);
}

/**
 * The operator's review queue: every submitted product with what a listing decision rests on
 * (developer, holders, fields, cohort, privacy, price, shares, licence, purposes), oldest first.
 */
export async function reviewQueue(db: PrismaClient) {
  const rows = await db.dataProduct.findMany({ where: { status: "SUBMITTED" }, orderBy: { createdAt: "asc" }, take: 100, include });
  return rows.map((p) => {
    const shares = sharesSchema.safeParse(p.shares);
    const pricing = pricingSchema.safeParse(p.pricing);
    const policy = queryPolicy.safeParse(p.policy);
    // A submitted product always has valid terms and policy (submitProduct checks); say so if not.
    if (!pricing.success || !policy.success) return { id: p.id, slug: p.slug, name: p.name, nameZh: p.nameZh, createdAt: p.createdAt, details: null };
    return { id: p.id, slug: p.slug, name: p.name, nameZh: p.nameZh, createdAt: p.createdAt, details: { ...describe(p), shares: shares.success ? shares.data : null } };
  });
}
