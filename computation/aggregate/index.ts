/**
 * The computation node's aggregate step: run the plan on the holder's data through a
 * connector and lay out the vector that protocol.ts defines, with this node's share of the
 * differential-privacy noise.
 *
 * Why counts are returned separately and without noise: the counts go to the marketplace
 * under pairwise masks (masks.ts) so it can enforce k-anonymity on the exact totals; the
 * vector (counts block ++ stat blocks) is encrypted under the buyer's key and is what the
 * buyer decrypts, so that is where the noise belongs.
 */
import { aggregatePlan, blockWidths, vectorLength, type AggregatePlan } from "../protocol";
import { AggregateError, type Connector } from "./connectors";
import { noiseVector } from "./noise";

export { AggregateError, createConnector, connectorConfig, type Connector, type ConnectorConfig, type LocalAggregate } from "./connectors";
export { maskCounts, unmaskSum, generateX25519 } from "./masks";
export { laplaceShare, noiseVector } from "./noise";

export async function computeVector(connector: Connector, plan: AggregatePlan): Promise<{ counts: bigint[]; vector: bigint[] }> {
  const parsed = aggregatePlan.safeParse(plan);
  if (!parsed.success) throw new AggregateError("INVALID_PLAN", `Invalid plan: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const p = parsed.data;
  const widths = blockWidths(p);
  if (p.noise && p.noise.scales.length !== widths.length) {
    throw new AggregateError("INVALID_PLAN", `The plan gives ${p.noise.scales.length} noise scales for ${widths.length} blocks (the count, then one per stat)`);
  }
  const local = await connector.aggregate(p);
  if (local.counts.length !== widths[0] || local.blocks.length !== p.stats.length || local.blocks.some((b, i) => b.length !== widths[i + 1])) {
    throw new Error("The connector returned blocks that do not match the plan's layout");
  }
  const vector = [...local.counts, ...local.blocks.flat()];
  if (vector.length !== vectorLength(p)) throw new Error("vector length mismatch");
  if (p.noise) {
    const noise = noiseVector(p, widths);
    for (let i = 0; i < vector.length; i++) vector[i]! += noise[i]!;
  }
  return { counts: local.counts, vector };
}
