/**
 * Splitting money exactly. Amounts are whole minor units (bigint); a split never loses or
 * creates a fen: parts are floor shares plus one unit each for the largest remainders
 * (ties go to the earlier party), so they always sum to the total and are never negative.
 */

/** Split `total` in proportion to `weights` (non-negative); all-zero weights split equally. */
export function largestRemainder(total: bigint, weights: bigint[]): bigint[] {
  if (total < 0n) throw new RangeError("Only a non-negative amount can be split.");
  if (weights.length === 0) {
    if (total !== 0n) throw new RangeError("Nobody to split a non-zero amount among.");
    return [];
  }
  if (weights.some((w) => w < 0n)) throw new RangeError("Weights cannot be negative.");
  const w = weights.every((x) => x === 0n) ? weights.map(() => 1n) : weights;
  const sum = w.reduce((a, b) => a + b, 0n);
  const parts = w.map((x) => (total * x) / sum);
  const order = w.map((x, i) => ({ i, rem: (total * x) % sum })).sort((a, b) => (a.rem === b.rem ? a.i - b.i : a.rem > b.rem ? -1 : 1));
  let left = total - parts.reduce((a, b) => a + b, 0n);
  for (const { i } of order) {
    if (left === 0n) break;
    parts[i]! += 1n;
    left -= 1n;
  }
  return parts;
}

export type Shares = { developerBps: number; operatorBps: number; holdersBps: number };

/**
 * One delivered query's money: the operator's fee and the developer's share by the product's
 * terms, and the holders' part by their contribution (rows in released groups).
 */
export function splitRevenue(amount: bigint, shares: Shares, holders: { orgId: string; rows: bigint }[]) {
  const [operator, developer, holdersPot] = largestRemainder(amount, [BigInt(shares.operatorBps), BigInt(shares.developerBps), BigInt(shares.holdersBps)]) as [bigint, bigint, bigint];
  if (holders.length === 0 && holdersPot > 0n) throw new RangeError("The holders' share has no holder to go to.");
  const byHolder = largestRemainder(holdersPot, holders.map((h) => h.rows));
  return { operator, developer, holders: holders.map((h, k) => ({ orgId: h.orgId, amount: byHolder[k]! })) };
}

/** The price of the k-th delivered query (1-based) of an order of `quota` queries paid `amount` in all. */
export function unitPrice(amount: bigint, quota: number, k: number): bigint {
  if (!Number.isSafeInteger(quota) || quota < 1 || k < 1 || k > quota) throw new RangeError(`Query ${k} is outside the order's ${quota}.`);
  const q = BigInt(quota);
  return amount / q + (BigInt(k) <= amount % q ? 1n : 0n);
}
