#!/usr/bin/env node
// The buyer's command line (sdk/cli.ts, built into dist/).
await import("../dist/market-query.mjs");
