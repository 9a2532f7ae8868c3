/** Property tests: for any amounts, shares and contributions, splits are exact and never negative. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { largestRemainder, splitRevenue, unitPrice } from "./split";

const amount = fc.bigInt({ min: 0n, max: 10n ** 15n });
const weight = fc.bigInt({ min: 0n, max: 10n ** 9n });
const bps = fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 })).filter(([a, b]) => a + b <= 10_000)
  .map(([a, b]) => ({ operatorBps: a, developerBps: b, holdersBps: 10_000 - a - b }));

describe("largestRemainder", () => {
  it("always sums exactly, never goes negative, and stays within one unit of the exact share", () => {
    fc.assert(fc.property(amount, fc.array(weight, { minLength: 1, maxLength: 12 }), (total, weights) => {
      const parts = largestRemainder(total, weights);
      expect(parts.reduce((a, b) => a + b, 0n)).toBe(total);
      const w = weights.every((x) => x === 0n) ? weights.map(() => 1n) : weights;
      const sum = w.reduce((a, b) => a + b, 0n);
      parts.forEach((p, i) => {
        expect(p >= 0n).toBe(true);
        // |p − total·w/sum| < 1  ⇔  |p·sum − total·w| < sum
        const diff = p * sum - total * w[i]!;
        expect(diff < sum && -diff < sum).toBe(true);
      });
    }), { numRuns: 2000 });
  });

  it("gives the extra units to the largest remainders, ties to the earlier party", () => {
    expect(largestRemainder(10n, [1n, 1n, 1n])).toEqual([4n, 3n, 3n]);
    expect(largestRemainder(100n, [1n, 2n])).toEqual([33n, 67n]);
    expect(largestRemainder(5n, [0n, 0n])).toEqual([3n, 2n]); // nobody contributed: equal parts
    expect(largestRemainder(7n, [0n, 5n])).toEqual([0n, 7n]);
  });

  it("refuses what cannot be split", () => {
    expect(() => largestRemainder(-1n, [1n])).toThrow(RangeError);
    expect(() => largestRemainder(1n, [])).toThrow(RangeError);
    expect(() => largestRemainder(1n, [-1n, 2n])).toThrow(RangeError);
  });
});

describe("splitRevenue", () => {
  it("splits any query's price exactly between operator, developer and holders by contribution", () => {
    const holders = fc.uniqueArray(fc.record({ orgId: fc.uuid(), rows: weight }), { minLength: 1, maxLength: 6, selector: (h) => h.orgId });
    fc.assert(fc.property(amount, bps, holders, (total, shares, hs) => {
      const s = splitRevenue(total, shares, hs);
      const sum = s.operator + s.developer + s.holders.reduce((a, h) => a + h.amount, 0n);
      expect(sum).toBe(total);
      for (const x of [s.operator, s.developer, ...s.holders.map((h) => h.amount)]) expect(x >= 0n).toBe(true);
      expect(s.holders.map((h) => h.orgId)).toEqual(hs.map((h) => h.orgId));
    }), { numRuns: 2000 });
  });

  it("pays holders in proportion to the rows they contributed to released groups", () => {
    const s = splitRevenue(20_000n, { operatorBps: 1000, developerBps: 2500, holdersBps: 6500 }, [{ orgId: "a", rows: 3000n }, { orgId: "b", rows: 1000n }]);
    expect(s).toEqual({ operator: 2000n, developer: 5000n, holders: [{ orgId: "a", amount: 9750n }, { orgId: "b", amount: 3250n }] });
  });
});

describe("unitPrice", () => {
  it("charges every query of an order so that the whole order sums to what was paid", () => {
    fc.assert(fc.property(amount, fc.integer({ min: 1, max: 500 }), (total, quota) => {
      let sum = 0n;
      for (let k = 1; k <= quota; k++) {
        const u = unitPrice(total, quota, k);
        expect(u >= 0n).toBe(true);
        sum += u;
      }
      expect(sum).toBe(total);
    }), { numRuns: 300 });
    expect(() => unitPrice(100n, 3, 4)).toThrow(RangeError);
  });
});
