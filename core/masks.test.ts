import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateX25519, maskCounts, unmaskSum, x25519PrivateKey, x25519PublicBase64 } from "./masks";

function nodes(n: number) {
  return Array.from({ length: n }, (_, i) => ({ nodeId: `node-${String.fromCharCode(97 + ((i * 5) % 26))}${i}`, ...generateX25519() }));
}

function run(group: ReturnType<typeof nodes>, counts: bigint[][], queryId = randomUUID()) {
  const peers = group.map((g) => ({ nodeId: g.nodeId, x25519: g.publicKey }));
  return group.map((g, i) => maskCounts({ queryId, self: { nodeId: g.nodeId, x25519PrivateKey: g.privateKeyObject }, peers, counts: counts[i]! }));
}

const randomCounts = (n: number, len: number) => Array.from({ length: n }, () => Array.from({ length: len }, () => BigInt(Math.floor(Math.random() * 1000))));
const total = (counts: bigint[][]) => counts[0]!.map((_, j) => counts.reduce((a, c) => a + c[j]!, 0n));

describe("pairwise masks", () => {
  for (const n of [1, 3, 8]) {
    it(`unmask to the true sum with ${n} node(s)`, () => {
      const group = nodes(n);
      const counts = randomCounts(n, 40);
      const masked = run(group, counts);
      for (const m of masked) for (const s of m) expect(s).toMatch(/^\d{1,20}$/);
      expect(unmaskSum(masked)).toEqual(total(counts));
    });
  }

  it("hide a node's counts: every slot differs and looks uniform", () => {
    const group = nodes(3);
    const counts = [new Array<bigint>(256).fill(5n), new Array<bigint>(256).fill(0n), new Array<bigint>(256).fill(0n)];
    const [mine] = run(group, counts);
    mine!.forEach((s) => expect(BigInt(s)).not.toBe(5n));
    // the top bit of a uniform u64 is set about half the time
    const high = mine!.filter((s) => BigInt(s) >= 1n << 63n).length;
    expect(high).toBeGreaterThan(80);
    expect(high).toBeLessThan(176);
  });

  it("depend on the query: two queries give unrelated masks, both unmasking correctly", () => {
    const group = nodes(2);
    const counts = randomCounts(2, 8);
    const a = run(group, counts), b = run(group, counts);
    expect(a[0]).not.toEqual(b[0]);
    expect(unmaskSum(a)).toEqual(unmaskSum(b));
  });

  it("break the sum when a peer key is wrong, or a node is missing", () => {
    const group = nodes(3);
    const counts = randomCounts(3, 16);
    const queryId = randomUUID();
    const peers = group.map((g) => ({ nodeId: g.nodeId, x25519: g.publicKey }));
    const forged = peers.map((p, i) => (i === 2 ? { ...p, x25519: generateX25519().publicKey } : p));
    const masked = group.map((g, i) => maskCounts({ queryId, self: { nodeId: g.nodeId, x25519PrivateKey: g.privateKeyObject }, peers: i === 0 ? forged : peers, counts: counts[i]! }));
    const sum = unmaskSum(masked);
    expect(sum.filter((v, j) => v !== total(counts)[j]).length).toBe(16);
    const good = run(group, counts, queryId);
    expect(unmaskSum(good.slice(0, 2))).not.toEqual(total(counts));
  });

  it("accept the private key as KeyObject, raw bytes, PKCS#8 DER or base64", () => {
    const [a, b] = nodes(2);
    const raw = x25519PrivateKey(a!.privateKey).export({ format: "jwk" }).d!;
    const rawBytes = Buffer.from(raw, "base64url");
    const queryId = randomUUID();
    const peers = [a!, b!].map((g) => ({ nodeId: g.nodeId, x25519: g.publicKey }));
    const forms = [a!.privateKeyObject, a!.privateKey, Buffer.from(a!.privateKey, "base64"), rawBytes, rawBytes.toString("base64")];
    const outs = forms.map((k) => maskCounts({ queryId, self: { nodeId: a!.nodeId, x25519PrivateKey: k }, peers, counts: [1n, 2n] }));
    for (const o of outs) expect(o).toEqual(outs[0]);
    expect(x25519PublicBase64(x25519PrivateKey(rawBytes))).toBe(a!.publicKey);
  });

  it("refuse inconsistent inputs", () => {
    const [a, b] = nodes(2);
    const queryId = randomUUID();
    const self = { nodeId: a!.nodeId, x25519PrivateKey: a!.privateKeyObject };
    const peers = [{ nodeId: a!.nodeId, x25519: a!.publicKey }, { nodeId: b!.nodeId, x25519: b!.publicKey }];
    expect(() => maskCounts({ queryId: "not-a-uuid", self, peers, counts: [1n] })).toThrow();
    expect(() => maskCounts({ queryId, self, peers: [{ ...peers[0]!, x25519: b!.publicKey }, peers[1]!], counts: [1n] })).toThrow(/not its own/);
    expect(() => maskCounts({ queryId, self, peers: [peers[0]!, peers[1]!, peers[1]!], counts: [1n] })).toThrow(/twice/);
    expect(() => maskCounts({ queryId, self, peers: [peers[0]!, { ...peers[1]!, x25519: "AAAA" }], counts: [1n] })).toThrow(/32 raw bytes/);
    expect(() => maskCounts({ queryId, self, peers, counts: [-(1n << 63n) - 1n] })).toThrow();
    expect(() => unmaskSum([["1"], ["1", "2"]])).toThrow();
    expect(() => unmaskSum([["18446744073709551616"]])).toThrow();
  });

  it("reads the unmasked sum as signed 64-bit", () => {
    expect(unmaskSum([["18446744073709551615"], ["0"]])).toEqual([-1n]);
    expect(unmaskSum([["18446744073709551615"], ["3"]])).toEqual([2n]);
    expect(unmaskSum([])).toEqual([]);
  });
});
