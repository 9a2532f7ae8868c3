#!/usr/bin/env node
/* global process, URL */
// A holder's computation node (computation/node/main.ts, built into dist/): market-node --config node.json
import { fileURLToPath } from "node:url";
process.env.MARKET_CIRCUITS_DIR ??= fileURLToPath(new URL("../circuits", import.meta.url));
await import("../dist/market-node.mjs");
