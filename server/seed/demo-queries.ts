/**
 * The demo world's encrypted-query side: the demo holders' nodes registered, and the
 * insurer's product "claims by district and age band" over the three hospitals.
 */
import { DISTRICTS } from "@/computation/demo/generate";
import type { PrismaClient } from "../db/generated/client";
import { registerNode } from "../nodes/nodes";
import type { QueryPolicy } from "../queries/policy";
import { reviewProduct, setProductTerms, submitProduct } from "../products/lifecycle";
import { createQueryProduct } from "../queries/products";

export const claimsPolicy: QueryPolicy = {
  dimensions: [
    { column: "district", spec: { name: "district", kind: "category", values: DISTRICTS }, groupable: true, filterOps: ["eq", "in"] },
    { column: "age", spec: { name: "age", kind: "bucket", edges: [0, 18, 30, 45, 60, 75, 120] }, groupable: true, filterOps: ["gte", "lt", "between"] },
    { column: "sex", spec: { name: "sex", kind: "category", values: ["F", "M"] }, groupable: true, filterOps: ["eq"] },
    { column: "diagnosis", spec: { name: "diagnosis", kind: "category", values: ["circulatory", "respiratory", "digestive", "musculoskeletal", "injury", "neoplasm", "maternity", "other"] }, groupable: true, filterOps: ["eq", "in"] },
  ],
  measures: [
    { column: "claim_amount", min: 0, max: 200_000, scale: 0, aggregates: ["COUNT", "SUM", "AVG", "VARIANCE", "STDDEV", "HISTOGRAM"],
      histogramEdges: [0, 500, 1000, 2000, 5000, 10_000, 50_000, 200_001] },
  ],
  maxGroups: 1024,
  minCohort: 10,
  maxRowsTotal: 1_000_000,
  privacy: { mode: "dp", epsilonPerBuyer: 10, maxEpsilonPerQuery: 2 },
};

export type DemoNode = { holder: string; name: string; url: string; nodeId: string; agreementKey: string; dataset: string };

export async function seedDemoQueryWorld(db: PrismaClient, nodes: DemoNode[]) {
  const registered = [];
  for (const n of nodes) {
    const org = await db.organisation.findUniqueOrThrow({ where: { slug: n.holder } });
    registered.push({ ...n, id: (await registerNode(db, { organisationId: org.id, name: n.name, url: n.url, signingKey: n.nodeId, agreementKey: n.agreementKey })).id });
  }
  const developer = await db.organisation.findUniqueOrThrow({ where: { slug: "baotu-data-studio" } });
  const hospitals = registered.filter((n) => n.dataset === "claims");
  if (hospitals.length && !(await db.dataProduct.findUnique({ where: { slug: "hospital-claims-by-district-age" } }))) {
    const product = await createQueryProduct(db, {
      developerOrgId: developer.id, slug: "hospital-claims-by-district-age",
      name: "Hospital claims by district and age band", nameZh: "各区县分年龄段医疗费用统计",
      description: "Claim counts, totals, means, spread and distribution over the claim records of three Jinan hospitals, by district, age band, sex and diagnosis group. Groups under 10 claims are suppressed; results carry differential-privacy noise.",
      policy: claimsPolicy,
      sources: hospitals.map((h) => ({ nodeId: h.id, dataset: h.dataset })),
    });
    // Listed the way every product is: terms, submission, the operator's approval.
    const devUser = await db.user.findUniqueOrThrow({ where: { email: "developer@quancheng.example" } });
    const opUser = await db.user.findUniqueOrThrow({ where: { email: "operator@quancheng.example" } });
    await setProductTerms(db, {
      productId: product.id, developerOrgId: developer.id,
      pricing: { model: "PER_QUERY", priceMinor: 20_000 },
      shares: { developerBps: 2500, operatorBps: 1000, holdersBps: 6500 },
      licence: "Aggregate results for insurance pricing and public-health research only. No attempt to re-identify anyone; no resale.",
      purposes: ["insurance pricing", "public health research"],
    });
    await submitProduct(db, { productId: product.id, developerOrgId: developer.id, actorId: devUser.id });
    await reviewProduct(db, { productId: product.id, actorId: opUser.id, decision: "approve" });
  }
  return registered;
}
