/**
 * What a holder does at its own node, as the demo and the tests do it: keep a holder signing
 * key in its domain (the node lists its public half in `holderKeys`), declare each dataset's
 * policy, approve a product with its exact source set by a signed policy change, and issue
 * activation codes that let people bind their own keys.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { exportKeyPair, generateSigningKey, importPrivateJwk, signStatement, type SigningPublicJwk } from "@/core/statements";
import type { NodeDatasetPolicy } from "@/core/policy";
import { DISTRICTS } from "./districts";
import { INDUSTRIES } from "./generate";

export type HolderKey = { publicJwk: SigningPublicJwk; privateKey: CryptoKey };

/** The holder's signing key kept in `file` (created on first use, mode 0600). */
export async function holderKey(file: string): Promise<HolderKey> {
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(await exportKeyPair(await generateSigningKey(true))), { mode: 0o600 });
  }
  const { publicJwk, privateJwk } = JSON.parse(readFileSync(file, "utf8")) as { publicJwk: SigningPublicJwk; privateJwk: JsonWebKey };
  return { publicJwk, privateKey: await importPrivateJwk(privateJwk) };
}

type PolicyInput = Omit<NodeDatasetPolicy, "products" | "version" | "maxGroups" | "never"> & Partial<Pick<NodeDatasetPolicy, "products" | "version" | "maxGroups" | "never">>;

/** The hospitals' policy for their claim records. */
/**
 * The hospitals' policy for their claim records. With `rowsPerPatient`, a patient is the privacy
 * unit (the demo hospitals: each patient's first 3 claims count, sensitivities × 3).
 */
export const claimsNodePolicy = (o: { epsilonPerBuyer?: number; minCohort?: number; dpRequired?: boolean; rowsPerPatient?: number } = {}): PolicyInput => ({
  dimensions: {
    district: { values: DISTRICTS, filterOps: ["eq", "in"] },
    age: { edges: [0, 18, 30, 45, 60, 75, 120], filterOps: ["gte", "lt", "between"] },
    sex: { values: ["F", "M"], filterOps: ["eq"] },
    diagnosis: { values: ["circulatory", "respiratory", "digestive", "musculoskeletal", "injury", "neoplasm", "maternity", "other"], filterOps: ["eq", "in"] },
  },
  measures: { claim_amount: { min: 0, max: 200_000, aggregates: ["COUNT", "SUM", "AVG", "VARIANCE", "STDDEV", "HISTOGRAM"] } },
  never: [],
  ...(o.rowsPerPatient ? { person: { column: "patient_ref", maxRows: o.rowsPerPatient } } : {}),
  minCohort: o.minCohort ?? 10,
  dp: { required: o.dpRequired ?? true, maxEpsilonPerQuery: 2, epsilonPerBuyer: o.epsilonPerBuyer ?? 100, periodDays: 30 },
});

/** The tax bureau's policy for enterprise returns. */
export const taxNodePolicy = (): PolicyInput => ({
  dimensions: {
    district: { values: DISTRICTS, filterOps: ["eq", "in"] },
    industry: { values: INDUSTRIES, filterOps: ["eq", "in"] },
    year: { edges: [2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026], filterOps: ["gte", "lt", "between"] },
  },
  measures: {
    revenue: { min: 0, max: 1e9, aggregates: ["COUNT", "SUM", "AVG"] },
    tax_paid: { min: 0, max: 1e8, aggregates: ["COUNT", "SUM", "AVG"] },
    employees: { min: 0, max: 100_000, aggregates: ["COUNT", "SUM", "AVG"] },
  },
  minCohort: 10,
  dp: { required: true, maxEpsilonPerQuery: 2, epsilonPerBuyer: 100, periodDays: 30 },
});

/** Person-level records: never aggregated (no dimension or measure); the person identifier never usable. */
export const personNodePolicy = (): PolicyInput => ({
  dimensions: {}, measures: {}, never: ["subject_ref"], minCohort: 10,
  dp: { required: true, maxEpsilonPerQuery: 1, epsilonPerBuyer: 1, periodDays: 30 },
});

/**
 * Approve a product at the holder's node: read the node's current (node-signed) policy, add the
 * product with its exact source set, and send the change signed by the holder's key.
 */
export async function approveProduct(o: { url: string; nodeId: string; dataset: string; productId: string; sources: string[]; key: HolderKey }) {
  const base = o.url.replace(/\/$/, "");
  const doc = await (await fetch(`${base}/v1/policy`)).json() as { payload: { policies: Record<string, (NodeDatasetPolicy & { version: number }) | null> } };
  const current = doc.payload.policies[o.dataset];
  if (!current) throw new Error(`The node has no policy for ${o.dataset}: declare one in its config first.`);
  if (current.products[o.productId]?.sources.slice().sort().join() === o.sources.slice().sort().join()) return current.version;
  const statement = { type: "node-policy" as const, nodeId: o.nodeId, dataset: o.dataset, version: current.version + 1, policy: { ...current, version: current.version + 1, products: { ...current.products, [o.productId]: { sources: o.sources } } } };
  const res = await fetch(`${base}/v1/policy`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ statement, signature: await signStatement(o.key.privateKey, statement) }) });
  if (!res.ok) throw new Error(`The node refused the policy change: ${JSON.stringify(await res.json())}`);
  return statement.version;
}

/** 16 characters of an unambiguous 32-symbol alphabet (b % 32 is unbiased): 80 bits. */
function newCode(): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  return [...randomBytes(16)].map((b) => alphabet[b % alphabet.length]).join("");
}

/** Issue an activation code for a person at a node (keysDir/activation-codes.json); the holder hands it to the person out of band. */
export function issueActivationCode(keysDir: string, subjectRef: string): string {
  const file = path.join(keysDir, "activation-codes.json");
  const all = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) as Record<string, string[]> : {};
  const code = newCode();
  all[subjectRef] = [...(all[subjectRef] ?? []), code];
  mkdirSync(keysDir, { recursive: true });
  writeFileSync(file, JSON.stringify(all, null, 2), { mode: 0o600 });
  return code;
}

/** Issue an enrolment code with which the holder links a browser key to its node (keysDir/holder-codes.json). */
export function issueEnrolmentCode(keysDir: string): string {
  const file = path.join(keysDir, "holder-codes.json");
  const codes = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) as string[] : [];
  const code = newCode();
  mkdirSync(keysDir, { recursive: true });
  writeFileSync(file, JSON.stringify([...codes, code]), { mode: 0o600 });
  return code;
}
