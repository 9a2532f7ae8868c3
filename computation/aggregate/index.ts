/**
 * The computation node's aggregate step: run the plan on the holder's data through a
 * connector and lay out the vector that protocol.ts defines, with this node's share of the
 * differential-privacy noise.
 *
 * Three outputs: `selection`, the counts on which groups are kept or suppressed (under a
 * noised plan each with this node's own discrete Laplace draw at the plan's selection scale,
 * so the keep-or-suppress decision is itself differentially private); they go to the
 * marketplace under pairwise masks (masks.ts). `vector` (counts block ++ stat blocks, with
 * independent noise) is encrypted under the buyer's key. `counts` are exact and never leave
 * the node (the contribution round reports them with noise of its own).
 */
import { aggregatePlan, blockWidths, vectorLength, type AggregatePlan } from "@/core/protocol";
import { AggregateError, type AggregateOptions, type Connector } from "./connectors";
import { discreteLaplace, noiseVector } from "./noise";
import { zodText } from "@/core/zod-text";

export { AggregateError, createConnector, connectorConfig, type AggregateOptions, type Connector, type ConnectorConfig, type LocalAggregate } from "./connectors";
export { maskCounts, unmaskSum, generateX25519 } from "@/core/masks";
export { discreteLaplace, noiseVector } from "./noise";

export async function computeVector(connector: Connector, plan: AggregatePlan, options: AggregateOptions = {}): Promise<{ counts: bigint[]; selection: bigint[]; vector: bigint[] }> {
  const parsed = aggregatePlan.safeParse(plan);
  if (!parsed.success) throw new AggregateError("INVALID_PLAN", `Invalid plan: ${zodText(parsed.error)}`);
  const p = parsed.data;
  const widths = blockWidths(p);
  if (p.noise && p.noise.scales.length !== widths.length) {
    throw new AggregateError("INVALID_PLAN", `The plan gives ${p.noise.scales.length} noise scales for ${widths.length} blocks (the count, then one per stat)`);
  }
  const local = await connector.aggregate(p, options);
  if (local.counts.length !== widths[0] || local.blocks.length !== p.stats.length || local.blocks.some((b, i) => b.length !== widths[i + 1])) {
    throw new Error("The connector returned blocks that do not match the plan's layout");
  }
  const vector = [...local.counts, ...local.blocks.flat()];
  if (vector.length !== vectorLength(p)) throw new Error("vector length mismatch");
  let selection = local.counts;
  if (p.noise) {
    const noise = noiseVector(p, widths);
    for (let i = 0; i < vector.length; i++) vector[i]! += noise[i]!;
    const b = p.noise.selection;
    selection = local.counts.map((c) => c + discreteLaplace(b));
  }
  return { counts: local.counts, selection, vector };
}
