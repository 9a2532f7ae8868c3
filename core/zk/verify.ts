/**
 * Verifies a node's audit answer against what was registered and delivered (docs/proofs.md).
 * Pure and browser-safe: the marketplace, the CLI (`npm run zk -- verify`) and the supervisor's
 * browser run this same code. Every check is listed with what it found, so a failure says
 * exactly what did not hold.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { z } from "zod";
import { aggregatePlan, committedColumn, CONTRIBUTION_EPSILON } from "../protocol";
import { chunkCircuitName, GROUPS, querySignals, schemaHash, statementFor } from "./encoding";
import { accumulator, datasetRoot, liteHasher, rootFromPath, type Hasher } from "./hash";
import { zodText } from "../zod-text";

const decimal = z.string().regex(/^\d{1,78}$/, "a decimal field element");
export const groth16Proof = z.object({
  pi_a: z.array(decimal).length(3),
  pi_b: z.array(z.array(decimal).length(2)).length(3),
  pi_c: z.array(decimal).length(3),
  protocol: z.literal("groth16"),
  curve: z.literal("bn128"),
});
export type Groth16Proof = z.infer<typeof groth16Proof>;

const registeredCommitment = z.object({
  root: decimal, treeRoot: decimal, rows: z.number().int().nonnegative(), chunkRows: z.number().int().positive(),
  schema: z.array(committedColumn).min(1).max(15),
});

export const chunkProof = z.object({
  index: z.number().int().nonnegative(), chunkRoot: decimal, path: z.array(decimal).max(40),
  proof: groth16Proof, publicSignals: z.array(decimal).max(64), provingMs: z.number().nonnegative().optional(),
});
export const releaseProof = z.object({ proof: groth16Proof, publicSignals: z.array(decimal).max(64), provingMs: z.number().nonnegative().optional() });

/** Everything an auditor needs: the registered commitment, the query, what was delivered, the node's answers. */
export const auditBundle = z.object({
  commitment: registeredCommitment,
  plan: aggregatePlan,
  /** the commitment to its final totals the node signed when it answered */
  finalAcc: decimal,
  /** the chain the node revealed before the sample was drawn */
  accs: z.array(decimal).min(2).max(1_000_001),
  sample: z.array(z.number().int().nonnegative()).max(100_000),
  chunks: z.array(chunkProof).max(100_000),
  release: releaseProof,
  released: z.array(z.boolean()).min(1).max(GROUPS),
  k: z.number().int().min(0).max(2 ** 32 - 1),
  /** the node's rows in the released groups, as its release proof states them */
  rows: z.string().regex(/^\d{1,20}$/),
  /** the contribution the node reported for the revenue split: `rows` plus its discrete Laplace noise (scale rowsPerPerson / CONTRIBUTION_EPSILON) */
  reported: z.string().regex(/^\d{1,20}$/).optional(),
  /** the rows one person may contribute (the product's privacy unit; 1 when absent): the contribution's noise scales with it */
  rowsPerPerson: z.number().int().min(1).max(1000).optional(),
});
export type AuditBundle = z.infer<typeof auditBundle>;

/** Verification keys by circuit name (chunk16, chunk16m, release…), and their pinned hashes. */
export type VerificationKeys = Record<string, object>;
export interface Check { what: string; ok: boolean; detail?: string }
export interface AuditVerification { ok: boolean; checks: Check[] }

/** SHA-256 of a verification key's canonical JSON (keys sorted): what circuits/artifacts.json pins. */
export function vkeyHash(vkey: unknown): string {
  const canon = (v: unknown): unknown => (Array.isArray(v) ? v.map(canon) : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])])) : v);
  return bytesToHex(sha256(utf8ToBytes(JSON.stringify(canon(vkey)))));
}

async function groth16Verify(vkey: object, signals: string[], proof: Groth16Proof): Promise<boolean> {
  const snarkjs = await import("snarkjs");
  try {
    return await snarkjs.groth16.verify(vkey, signals, proof, { debug() {}, info() {}, warn() {}, error() {} });
  } catch {
    return false;
  }
}

const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Checks an audit bundle. The verifier works out from the query itself which circuit proves
 * it and takes that circuit's key from `keys`; `pins` are the keys' expected hashes (from
 * circuits/artifacts.json): a key that does not match its pin is refused before any proof.
 */
export async function verifyAudit(input: unknown, keys: VerificationKeys, pins: Record<string, string>, h: Hasher = liteHasher): Promise<AuditVerification> {
  const checks: Check[] = [];
  const fail = (what: string, detail: string): AuditVerification => ({ ok: false, checks: [...checks, { what, ok: false, detail }] });
  const parsed = auditBundle.safeParse(input);
  if (!parsed.success) return fail("well-formed audit", zodText(parsed.error));
  const b = parsed.data;

  const c = b.commitment;
  const root = datasetRoot(h, BigInt(c.treeRoot), c.rows, c.chunkRows, schemaHash(c.schema));
  if (String(root) !== c.root) return fail("registered commitment", "its root does not open to its tree root, row count, chunk size and columns");
  checks.push({ what: "registered commitment opens", ok: true, detail: `${c.rows} rows in chunks of ${c.chunkRows}` });

  const provable = statementFor(b.plan, c.schema);
  if (!provable.ok) return fail("query is provable", provable.reason);
  const s = provable.statement;
  const chunkName = chunkCircuitName(s, c.chunkRows);
  for (const name of [chunkName, "release"]) {
    if (!keys[name] || !pins[name]) return fail(`${name} verification key`, `no key for circuit ${name} is committed`);
    const got = vkeyHash(keys[name]);
    if (got !== pins[name]) return fail(`${name} verification key`, `its hash ${got.slice(0, 16)}… is not the committed ${pins[name].slice(0, 16)}…`);
  }
  checks.push({ what: "verification keys match the committed ones", ok: true, detail: `${chunkName}, release` });
  if (b.released.length !== s.groups) return fail("released groups", `${b.released.length} flags for ${s.groups} groups`);

  const n = Math.max(1, Math.ceil(c.rows / c.chunkRows));
  if (b.accs.length !== n + 1) return fail("chain of running totals", `${b.accs.length - 1} steps for ${n} chunks`);
  const zero = new Array<bigint>(GROUPS).fill(0n);
  if (b.accs[0] !== String(accumulator(h, 0n, zero, zero))) return fail("chain of running totals", "it does not start from zero");
  if (b.accs[n] !== b.finalAcc) return fail("chain of running totals", "it does not end at the totals the node committed to when it answered");
  checks.push({ what: "chain runs from zero to the committed totals", ok: true, detail: `${n} chunks` });

  const proven = new Set(b.chunks.map((p) => p.index));
  const missing = b.sample.filter((i) => !proven.has(i));
  if (missing.length) return fail("sampled chunks proven", `no proof for chunk${missing.length > 1 ? "s" : ""} ${missing.slice(0, 10).join(", ")}`);
  const query = querySignals(s);
  for (const p of b.chunks) {
    const what = `chunk ${p.index}`;
    if (p.index >= n) return fail(what, `there are ${n} chunks`);
    if (String(rootFromPath(h, BigInt(p.chunkRoot), p.index, p.path.map(BigInt))) !== c.treeRoot) return fail(what, "its root is not in the registered commitment");
    const expected = [p.chunkRoot, b.accs[p.index]!, b.accs[p.index + 1]!, ...query];
    if (!same(p.publicSignals, expected)) return fail(what, "the proof's public signals are not this chunk, this step of the chain and this query");
    if (!(await groth16Verify(keys[chunkName]!, p.publicSignals, p.proof))) return fail(what, "the proof does not verify");
    checks.push({ what, ok: true });
  }

  // A node could misreport its contribution only within the noise it adds (e^-20 to exceed by chance).
  const slack = BigInt(Math.ceil((20 * (b.rowsPerPerson ?? 1)) / CONTRIBUTION_EPSILON + 1));
  const reported = BigInt(b.reported ?? b.rows), stated = BigInt(b.rows);
  if (reported - stated > slack || stated - reported > slack) return fail("reported contribution", `the node reported ${reported} rows; its release proof states ${stated}, beyond the noise it adds`);
  const mask = Array.from({ length: GROUPS }, (_, j) => (b.released[j] ? "1" : "0"));
  const expected = [b.finalAcc, String(b.k), b.rows, ...mask];
  if (!same(b.release.publicSignals, expected)) return fail("release", "the proof's public signals are not the committed totals, this k, the reported rows and the released groups");
  if (!(await groth16Verify(keys.release!, b.release.publicSignals, b.release.proof))) return fail("release", "the proof does not verify");
  checks.push({ what: "release", ok: true, detail: b.k > 0 ? `${b.rows} rows in released groups, each ≥ ${b.k}` : `${b.rows} rows in released groups` });
  return { ok: true, checks };
}
