/**
 * A product's policy may only narrow what each source's holder allows at its node
 * (core/policy.ts). Checked when a product is made, against each node's own signed
 * policy, so a developer learns at once what a node would refuse; the node still checks every
 * plan itself.
 */
import type { NodeDatasetPolicy } from "@/core/policy";
import type { PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";
import { fetchNodePolicy } from "../nodes/policies";
import type { QueryPolicy } from "../queries/policy";

/** What in the product's policy the node's policy does not allow (empty: it fits). */
export function productFitsNode(product: QueryPolicy, node: NodeDatasetPolicy): string[] {
  const problems: string[] = [];
  const never = new Set([...node.never, ...(node.person ? [node.person.column] : [])]);
  for (const d of product.dimensions) {
    const n = node.dimensions[d.column];
    if (!n || never.has(d.column)) { problems.push(`${d.column} is not a dimension the holder allows`); continue; }
    if (d.spec.kind === "category" && (!n.values || d.spec.values.some((v) => !n.values!.includes(v)))) problems.push(`${d.column}: categories beyond the holder's`);
    if (d.spec.kind === "bucket" && (!n.edges || d.spec.edges.some((e) => !n.edges!.includes(e)))) problems.push(`${d.column}: buckets finer than the holder's`);
    const extra = d.filterOps.filter((op) => !n.filterOps.includes(op));
    if (extra.length) problems.push(`${d.column}: filters ${extra.join(", ")} not allowed by the holder`);
  }
  for (const m of product.measures) {
    const n = node.measures[m.column];
    if (!n || never.has(m.column)) { problems.push(`${m.column} is not a measure the holder allows`); continue; }
    const extra = m.aggregates.filter((a) => !n.aggregates.includes(a));
    if (extra.length) problems.push(`${m.column}: ${extra.join(", ")} not allowed by the holder`);
    if (m.min < n.min || m.max > n.max) problems.push(`${m.column}: bounds [${m.min}, ${m.max}] exceed the holder's [${n.min}, ${n.max}]`);
  }
  if (product.minCohort < node.minCohort) problems.push(`minimum cohort ${product.minCohort} is below the holder's ${node.minCohort}`);
  if (product.maxGroups > node.maxGroups) problems.push(`up to ${product.maxGroups} groups, the holder allows ${node.maxGroups}`);
  if (node.person && product.privacy.mode === "dp" && (product.privacy.maxRowsPerPerson ?? 1) < node.person.maxRows) {
    problems.push(`each person may contribute ${node.person.maxRows} rows at the holder's node: the product must count ${node.person.maxRows} rows per person, not ${product.privacy.maxRowsPerPerson ?? 1}`);
  }
  if (node.dp.required || node.person) {
    if (product.privacy.mode !== "dp") problems.push("the holder requires differential privacy");
    else if (product.privacy.maxEpsilonPerQuery > node.dp.maxEpsilonPerQuery) problems.push(`ε ${product.privacy.maxEpsilonPerQuery} per query is above the holder's ${node.dp.maxEpsilonPerQuery}`);
  }
  return problems;
}

/** Refuse a product any of whose sources' nodes would refuse it (each node's own signed policy). */
export async function assertSourcesAllow(db: PrismaClient, policy: QueryPolicy, sources: { nodeId: string; dataset: string }[]) {
  const nodes = await db.computationNode.findMany({ where: { id: { in: sources.map((s) => s.nodeId) } } });
  for (const s of sources) {
    const node = nodes.find((n) => n.id === s.nodeId)!;
    const doc = await fetchNodePolicy(node).catch((e: AppError) => {
      throw new AppError("UNAVAILABLE", "SOURCE_UNAVAILABLE", `The holder's node ${node.name} must answer to check the product against its policy: ${e.message}`);
    });
    const nodePolicy = doc.payload.policies[s.dataset] as NodeDatasetPolicy | null | undefined;
    if (!nodePolicy) throw new AppError("BAD_INPUT", "SOURCE_POLICY_REFUSES", `The holder of ${s.dataset} on ${node.name} allows no aggregate query on it.`);
    const problems = productFitsNode(policy, nodePolicy);
    if (problems.length) throw new AppError("BAD_INPUT", "SOURCE_POLICY_REFUSES", `${node.name} would refuse this product: ${problems.join("; ")}.`);
  }
}
