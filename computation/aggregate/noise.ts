/**
 * Distributed Laplace noise for differential privacy.
 *
 * Why: no single party may hold the noise of a released statistic (the marketplace never
 * sees plaintexts, and a holder that knew the total noise could subtract it). Laplace is
 * infinitely divisible: if each of n parties adds G1 − G2 with G1, G2 ~ Gamma(1/n, b)
 * independent, the sum of the n shares is exactly Laplace(0, b). Each node adds its share
 * to its own vector before encryption, so the decrypted total carries the full noise.
 *
 * Sampling uses a CSPRNG (node:crypto) for every uniform: the noise protects individuals,
 * so it must not be predictable. Gamma draws use Marsaglia–Tsang (2000), with the
 * Gamma(a) = Gamma(a+1)·U^(1/a) boost for shape a < 1 (computed in the log domain).
 *
 * Caveats: shares are rounded to integers (the slots are integers), so the total noise is
 * Laplace plus the sum of n rounding errors (each within ±0.5); and noise drawn in floating
 * point is not exactly Laplace in its low-order bits (Mironov 2012); rounding to integers
 * blunts that attack (as in the snapping mechanism) but this is not a formally verified
 * discrete mechanism.
 */
import { randomFillSync } from "node:crypto";
import { noiseSpec, type AggregatePlan } from "../protocol";

const POOL = new BigUint64Array(512);
let poolAt = POOL.length;

/** A uniform double in (0, 1) with 53 random bits, never 0 or 1. */
export function uniform(): number {
  if (poolAt === POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  const bits = POOL[poolAt++]! >> 11n;
  return (Number(bits) + 0.5) / 9007199254740992;
}

let spareNormal: number | null = null;

/** A standard normal draw (Box–Muller on CSPRNG uniforms). */
export function standardNormal(): number {
  if (spareNormal !== null) {
    const z = spareNormal;
    spareNormal = null;
    return z;
  }
  const r = Math.sqrt(-2 * Math.log(uniform()));
  const t = 2 * Math.PI * uniform();
  spareNormal = r * Math.sin(t);
  return r * Math.cos(t);
}

/** Gamma(shape, 1) by Marsaglia–Tsang; shape > 0. */
export function gammaSample(shape: number): number {
  if (!(shape > 0) || !Number.isFinite(shape)) throw new RangeError("Gamma shape must be a positive number");
  if (shape < 1) {
    // Gamma(a) = Gamma(a + 1) · U^(1/a); in logs so that tiny values do not underflow early
    const g = gammaSample(shape + 1);
    return Math.exp(Math.log(g) + Math.log(uniform()) / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do {
      x = standardNormal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = uniform();
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return d * v;
    if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** One party's share of Laplace(0, b) noise split among `parties`: G1 − G2, Gi ~ Gamma(1/parties, b). */
export function laplaceShare(b: number, parties: number): number {
  if (!(b >= 0) || !Number.isFinite(b)) throw new RangeError("The Laplace scale must be a finite number >= 0");
  if (!Number.isInteger(parties) || parties < 1) throw new RangeError("parties must be a positive integer");
  if (b === 0) return 0;
  const a = 1 / parties;
  return b * (gammaSample(a) - gammaSample(a));
}

/**
 * This node's noise for a vector with the given block widths (blockWidths(plan)): each slot
 * of block j gets round(laplaceShare(scales[j], parties)); block 0 is the count block and
 * block 1 + i belongs to plan.stats[i]. All zeros when plan.noise is null.
 */
export function noiseVector(plan: Pick<AggregatePlan, "noise" | "stats">, widths: number[]): bigint[] {
  const noise = noiseSpec.parse(plan.noise);
  const total = widths.reduce((a, w) => a + w, 0);
  if (!noise) return new Array<bigint>(total).fill(0n);
  if (widths.length !== plan.stats.length + 1) throw new RangeError("One width per block: the count block, then one per stat");
  if (noise.scales.length !== widths.length) throw new RangeError(`The plan gives ${noise.scales.length} noise scales for ${widths.length} blocks`);
  const out: bigint[] = [];
  widths.forEach((w, j) => {
    const b = noise.scales[j]!;
    for (let i = 0; i < w; i++) out.push(BigInt(Math.round(laplaceShare(b, noise.parties))));
  });
  return out;
}
