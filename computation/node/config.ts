/**
 * A computation node's configuration file (JSON). Paths are relative to the file.
 *
 * {
 *   "name": "jinan-central-hospital",
 *   "listen": { "host": "127.0.0.1", "port": 4101 },
 *   "keysDir": "keys",                       // node identity, created on first start
 *   "marketplacePublicKey": "<base64 Ed25519>",  // or "marketplacePublicKeyFile"
 *   "ledgerPublicKey": "<base64 Ed25519>",       // or "ledgerPublicKeyFile": the ledger's checkpoint key
 *   "datasets": { "claims": { "kind": "csv", "path": "claims.csv" } }
 * }
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { connectorConfig } from "../aggregate/connectors";

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
  /** rows per chunk of this node's dataset commitments (a chunk circuit of that size must be built); default 16 */
  chunkRows: z.number().int().positive().optional(),
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
