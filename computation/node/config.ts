/**
 * A computation node's configuration file (JSON). Paths are relative to the file.
 *
 * {
 *   "name": "jinan-central-hospital",
 *   "listen": { "host": "127.0.0.1", "port": 4101 },
 *   "keysDir": "keys",                       // node identity, created on first start
 *   "marketplacePublicKey": "<base64 Ed25519>",  // or "marketplacePublicKeyFile"
 *   "ledgerPublicKey": "<base64 Ed25519>",       // or "ledgerPublicKeyFile": the ledger's checkpoint key
 *   "datasets": { "claims": { "kind": "csv", "path": "claims.csv" } },
 *   "policies": { "claims": { "dimensions": { "district": { "values": ["Lixia", …], "filterOps": ["eq", "in"] } },
 *                              "measures": { "claim_amount": { "min": 0, "max": 50000, "aggregates": ["SUM", "AVG"] } },
 *                              "never": ["patient_id"], "minCohort": 10,
 *                              "dp": { "required": true, "maxEpsilonPerQuery": 1, "epsilonPerBuyer": 10, "periodDays": 30 },
 *                              "products": { "<product id>": { "sources": ["<node id>", …] } } } },
 *   "holderKeys": [{ "kty": "EC", "crv": "P-256", "x": "…", "y": "…" }]   // may sign policy changes (POST /v1/policy)
 * }
 * Activation codes for people binding their keys: keysDir/activation-codes.json, { "<subject ref>": ["<code>", …] }.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { connectorConfig } from "../aggregate/connectors";
import { nodeDatasetPolicy } from "@/core/policy";
import { signingPublicJwk } from "@/core/statements";

export const nodeConfig = z.object({
  name: z.string().min(1).max(100),
  listen: z.object({ host: z.string().default("127.0.0.1"), port: z.number().int().min(0).max(65535) }),
  keysDir: z.string().default("keys"),
  marketplacePublicKey: z.string().optional(),
  marketplacePublicKeyFile: z.string().optional(),
  /** the key that signs the marketplace ledger's checkpoints (GET /api/ledger/key): this node witnesses the ledger */
  ledgerPublicKey: z.string().optional(),
  ledgerPublicKeyFile: z.string().optional(),
  ledgerOrigin: z.string().min(1).max(200).default("quancheng-market/ledger"),
  datasets: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), connectorConfig),
  /**
   * The holder's own policy per dataset (core/policy.ts): what may be computed, k, DP,
   * ε budgets, and the products approved with their exact source sets. A dataset without one
   * answers no aggregate query. Later versions signed by a holder key (POST /v1/policy) win.
   */
  policies: z.record(z.string(), nodeDatasetPolicy).default({}),
  /** the holder's own public signing keys (P-256 JWK): only they can change the policy remotely */
  holderKeys: z.array(signingPublicJwk).default([]),
  /** rows per chunk of this node's dataset commitments (a chunk circuit of that size must be built); default 16 */
  chunkRows: z.number().int().positive().optional(),
  /** "sealed": every POST must be sealed to the node's key; default: plain JSON also from loopback (the demo) */
  transport: z.enum(["sealed", "sealed-or-loopback"]).default("sealed-or-loopback"),
  /** largest request body accepted (the buyer's public key dominates) */
  maxRequestBytes: z.number().int().positive().default(4_000_000),
}).refine((c) => c.marketplacePublicKey || c.marketplacePublicKeyFile, { message: "Set marketplacePublicKey or marketplacePublicKeyFile." })
  .refine((c) => c.ledgerPublicKey || c.ledgerPublicKeyFile, { message: "Set ledgerPublicKey or ledgerPublicKeyFile: every node witnesses the marketplace's ledger." });
export type NodeConfig = z.infer<typeof nodeConfig>;

/** Read and validate a config file; relative paths become relative to the file's folder. */
export function loadNodeConfig(file: string): NodeConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`Cannot read node config ${file}: ${(e as Error).message}`);
  }
  const parsed = nodeConfig.safeParse(raw);
  if (!parsed.success) throw new Error(`Invalid node config ${file}:\n${z.prettifyError(parsed.error)}`);
  const base = path.dirname(path.resolve(file));
  const abs = (p: string) => path.resolve(base, p);
  const c = parsed.data;
  return {
    ...c,
    keysDir: abs(c.keysDir),
    marketplacePublicKeyFile: c.marketplacePublicKeyFile && abs(c.marketplacePublicKeyFile),
    ledgerPublicKeyFile: c.ledgerPublicKeyFile && abs(c.ledgerPublicKeyFile),
    datasets: Object.fromEntries(Object.entries(c.datasets).map(([k, d]) => [k, "path" in d ? { ...d, path: abs(d.path) } : d])),
  };
}
