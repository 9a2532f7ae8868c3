/**
 * Discrete Laplace noise, sampled exactly: integers and rationals only, no floating point.
 *
 * Why discrete and exact: the released slots are integers, and noise drawn in floating point
 * leaks through its low-order bits (Mironov 2012). The discrete Laplace distribution with
 * scale b, P(Y = y) ∝ exp(−|y|/b), gives ε-DP for integer queries of sensitivity Δ when
 * b ≥ Δ/ε (Ghosh, Roughgarden, Sundararajan 2009), and Canonne, Kamath and Steinke (2020,
 * "The Discrete Gaussian for Differential Privacy", Algorithms 1 and 2) sample it exactly
 * from uniform integers. We follow their algorithms; every uniform comes from a CSPRNG
 * (node:crypto), or from a seeded AES-CTR stream in tests (`seededRandom`).
 *
 * Scales arrive as numbers (a plan's b = Δ·m/ε); they are turned into the rational
 * t/SCALE_DENOMINATOR with t = ⌈b·SCALE_DENOMINATOR⌉, never below b: the noise is never smaller
 * than the plan asked for.
 *
 * Every node adds a full draw (docs/queries.md, "t = n − 1"): the noise stays enough even if
 * all the other sources collude with the buyer. The released total therefore carries the sum
 * of n independent draws.
 */
import { createCipheriv, createHash, randomFillSync } from "node:crypto";
import { noiseSpec, type AggregatePlan } from "@/core/protocol";

/** A source of uniform integers. */
export interface RandomSource {
  /** a uniform integer in [0, n), n ≥ 1 */
  below(n: bigint): bigint;
}

/** Uniform integers by rejection from a byte stream: no modulo bias. */
function fromBytes(fill: (buf: Uint8Array) => void): RandomSource {
  const pool = new Uint8Array(4096);
  let at = pool.length;
  const byte = () => {
    if (at === pool.length) { fill(pool); at = 0; }
    return pool[at++]!;
  };
  return {
    below(n: bigint): bigint {
      if (n < 1n) throw new RangeError("below(n) needs n ≥ 1");
      if (n === 1n) return 0n;
      const bits = (n - 1n).toString(2).length;
      const bytes = Math.ceil(bits / 8);
      const mask = (1n << BigInt(bits)) - 1n;
      for (;;) {
        let x = 0n;
        for (let i = 0; i < bytes; i++) x = (x << 8n) | BigInt(byte());
        x &= mask;
        if (x < n) return x;
      }
    },
  };
}

/** The operating system's CSPRNG: what nodes use. */
export const secureRandom: RandomSource = fromBytes((buf) => randomFillSync(buf));

/** A reproducible stream (AES-256-CTR keyed by SHA-256 of the seed), for tests at fixed seeds only. */
export function seededRandom(seed: string): RandomSource {
  const key = createHash("sha256").update(`noise-seed:${seed}`).digest();
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  return fromBytes((buf) => { buf.set(cipher.update(Buffer.alloc(buf.length))); });
}

/** Bernoulli(num/den), 0 ≤ num ≤ den. */
function bernoulli(rng: RandomSource, num: bigint, den: bigint): boolean {
  return rng.below(den) < num;
}

/** Bernoulli(exp(−γ)) for γ = num/den in [0, 1] (CKS Algorithm 1: the least k with ¬Bernoulli(γ/k) is odd w.p. exp(−γ)). */
function bernoulliExpAtMostOne(rng: RandomSource, num: bigint, den: bigint): boolean {
  let k = 1n;
  while (bernoulli(rng, num, den * k)) k++;
  return k % 2n === 1n;
}

/** Bernoulli(exp(−num/den)) for num/den ≥ 0: exp(−γ) = exp(−1)^⌊γ⌋ · exp(−(γ − ⌊γ⌋)). */
export function bernoulliExp(rng: RandomSource, num: bigint, den: bigint): boolean {
  if (num < 0n || den <= 0n) throw new RangeError("bernoulliExp needs num ≥ 0, den > 0");
  let rest = num;
  for (; rest > den; rest -= den) if (!bernoulliExpAtMostOne(rng, 1n, 1n)) return false;
  return bernoulliExpAtMostOne(rng, rest, den);
}

/** Denominator of the rational form of a scale: b becomes ⌈b·D⌉ / D. */
export const SCALE_DENOMINATOR = 1024n;

/** The rational t/s ≥ b used for a numeric scale b > 0. */
export function rationalScale(b: number): { t: bigint; s: bigint } {
  if (!(b > 0) || !Number.isFinite(b)) throw new RangeError("A discrete Laplace scale must be a finite number > 0");
  return { t: BigInt(Math.ceil(b * Number(SCALE_DENOMINATOR))), s: SCALE_DENOMINATOR };
}

/**
 * One draw of the discrete Laplace distribution with scale t/s: P(Y = y) ∝ exp(−|y|·s/t)
 * (CKS Algorithm 2). b = 0 means no noise.
 */
export function discreteLaplace(b: number, rng: RandomSource = secureRandom): bigint {
  if (b === 0) return 0n;
  const { t, s } = rationalScale(b);
  for (;;) {
    const u = rng.below(t);
    if (!bernoulliExpAtMostOne(rng, u, t)) continue;
    let v = 0n;
    while (bernoulliExpAtMostOne(rng, 1n, 1n)) v++;
    const y = (u + t * v) / s;
    const negative = bernoulli(rng, 1n, 2n);
    if (negative && y === 0n) continue;
    return negative ? -y : y;
  }
}

/** P(Y = y) of the discrete Laplace with scale t/s, in floating point: for tests and docs only, never for sampling. */
export function discreteLaplacePmf(b: number, y: number): number {
  const { t, s } = rationalScale(b);
  const q = Math.exp(-Number(s) / Number(t));
  return ((1 - q) / (1 + q)) * q ** Math.abs(y);
}

/**
 * This node's noise for a vector with the given block widths (blockWidths(plan)): each slot of
 * block j gets a discrete Laplace draw of scale scales[j]; block 0 is the count block and block
 * 1 + i belongs to plan.stats[i]. All zeros when plan.noise is null.
 */
export function noiseVector(plan: Pick<AggregatePlan, "noise" | "stats">, widths: number[], rng: RandomSource = secureRandom): bigint[] {
  const noise = noiseSpec.parse(plan.noise);
  const total = widths.reduce((a, w) => a + w, 0);
  if (!noise) return new Array<bigint>(total).fill(0n);
  if (widths.length !== plan.stats.length + 1) throw new RangeError("One width per block: the count block, then one per stat");
  if (noise.scales.length !== widths.length) throw new RangeError(`The plan gives ${noise.scales.length} noise scales for ${widths.length} blocks`);
  const out: bigint[] = [];
  widths.forEach((w, j) => {
    const b = noise.scales[j]!;
    for (let i = 0; i < w; i++) out.push(discreteLaplace(b, rng));
  });
  return out;
}
