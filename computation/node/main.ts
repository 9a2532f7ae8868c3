/**
 * `npm run node -- --config <file>`: start a computation node in the holder's domain.
 * Prints the public identity to register at the marketplace.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadNodeConfig } from "./config";
import { loadIdentity } from "./identity";
import { NodeProofs } from "../zk/service";
import { commitAll, createNodeServer } from "./server";

const { values } = parseArgs({ options: { config: { type: "string" } } });
if (!values.config) {
  console.error("Usage: market-node --config <node.json>   (in the repository: npm run node -- --config <node.json>)");
  process.exit(2);
}
try {
  const config = loadNodeConfig(values.config);
  const identity = loadIdentity(config.keysDir);
  const marketplacePublicKey = config.marketplacePublicKey ?? readFileSync(config.marketplacePublicKeyFile!, "utf8").trim();
  const ledgerPublicKey = config.ledgerPublicKey ?? readFileSync(config.ledgerPublicKeyFile!, "utf8").trim();
  const proofs = new NodeProofs(config.keysDir, config.chunkRows);
  // Test hook (tests/faults): NODE_CLOCK_OFFSET_MS shifts this node's notion of now, the one clock its checks use.
  const clockOffset = Number(process.env.NODE_CLOCK_OFFSET_MS ?? 0);
  const now = clockOffset ? () => Date.now() + clockOffset : undefined;
  const server = createNodeServer({ config, identity, marketplacePublicKey, ledgerPublicKey, proofs, now });
  server.on("error", (e: NodeJS.ErrnoException) => {
    console.error(e.code === "EADDRINUSE" ? `✖ Port ${config.listen.port} is in use: change listen.port in ${values.config}.` : `✖ ${e.message}`);
    process.exit(1);
  });
  server.listen(config.listen.port, config.listen.host, () => {
    const addr = server.address() as { port: number };
    console.log(JSON.stringify({ event: "node-ready", name: config.name, url: `http://${config.listen.host}:${addr.port}`, nodeId: identity.nodeId, agreementKey: identity.agreementPublic }));
    // Commitments are made once ready: the node answers meanwhile (not yet provable until its dataset's is made).
    if (process.env.NODE_COMMIT_ON_START !== "off") void commitAll(config, proofs);
  });
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => server.close(() => process.exit(0)));
} catch (e) {
  console.error(`✖ ${(e as Error).message}`);
  process.exit(1);
}
