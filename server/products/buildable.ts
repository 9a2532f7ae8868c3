/**
 * What a developer may build a product on: active registered resources that a computation node
 * serves and whose holder shares them (not NOT_SHARED), with the fields as the holder declared them.
 */
import type { z } from "zod";
import type { PrismaClient } from "../db/generated/client";
import type { fieldSchema } from "../resources/schemas";

export async function buildableResources(db: PrismaClient) {
  const rows = await db.dataResource.findMany({
    where: { status: "ACTIVE", sharing: { not: "NOT_SHARED" }, nodeId: { not: null }, dataset: { not: null }, node: { is: { active: true } } },
    orderBy: [{ name: "asc" }, { holder: { name: "asc" } }],
    select: { id: true, name: true, nameZh: true, sharing: true, fields: true, holder: { select: { name: true, nameZh: true } } },
    take: 500,
  });
  return rows.map((r) => ({ ...r, fields: r.fields as z.input<typeof fieldSchema>[] }));
}
