/** A developer builds a product from registered resources (same-schema resources of several holders). */
import { z } from "zod";
import type { PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";
import { createQueryProduct } from "../queries/products";
import { queryPolicy } from "../queries/policy";
import { assertSourcesAllow } from "./node-fit";
import { floorProblems } from "../queries/floor";

export const productDraftInput = z.object({
  slug: z.string().regex(/^[a-z0-9-]{3,60}$/, { error: "Use 3–60 lowercase letters, digits and dashes." }),
  name: z.string().trim().min(2).max(120),
  nameZh: z.string().trim().min(2).max(120).optional(),
  description: z.string().max(4000).default(""),
  policy: queryPolicy,
  resourceIds: z.array(z.uuid()).min(1).max(32),
});

export async function createProductFromResources(db: PrismaClient, o: { developerOrgId: string } & z.input<typeof productDraftInput>) {
  const input = productDraftInput.parse(o);
  const resources = await db.dataResource.findMany({ where: { id: { in: input.resourceIds } } });
  if (resources.length !== new Set(input.resourceIds).size) throw new AppError("NOT_FOUND", "RESOURCE_NOT_FOUND", "A resource does not exist.");
  for (const r of resources) {
    if (r.status !== "ACTIVE") throw new AppError("CONFLICT", "RESOURCE_RETIRED", `Resource ${r.name} is retired.`);
    if (r.sharing === "NOT_SHARED") throw new AppError("FORBIDDEN", "NOT_SHARED", `Resource ${r.name} is not shared: it cannot be part of a product.`);
    if (!r.nodeId || !r.dataset) throw new AppError("CONFLICT", "NO_NODE", `Resource ${r.name} has no computation node to answer queries.`);
  }
  // The policy may only name columns every resource declares.
  const columns = [...input.policy.dimensions.map((d) => d.column), ...input.policy.measures.map((m) => m.column)];
  for (const r of resources) {
    const fields = new Set((r.fields as { name: string }[]).map((f) => f.name));
    const missing = columns.filter((c) => !fields.has(c));
    if (missing.length) throw new AppError("BAD_INPUT", "FIELD_MISSING", `Resource ${r.name} has no field ${missing.join(", ")}.`);
  }
  const sources = resources.map((r) => ({ nodeId: r.nodeId!, dataset: r.dataset! }));
  // Never below the market's privacy floor for what the holders declared (server/queries/floor.ts).
  const problems = floorProblems(input.policy, resources);
  if (problems.length) throw new AppError("BAD_INPUT", "PRIVACY_FLOOR", `Below the market's privacy floor: ${problems.join("; ")}.`);
  // Only what every source's holder allows at its own node (its signed policy).
  await assertSourcesAllow(db, input.policy, sources);
  const { resourceIds: _r, ...rest } = input;
  return createQueryProduct(db, { ...rest, developerOrgId: o.developerOrgId, sources });
}
