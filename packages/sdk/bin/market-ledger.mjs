#!/usr/bin/env node
// Verify and witness the marketplace's transparency ledger (sdk/ledger-cli.ts, built into dist/).
await import("../dist/market-ledger.mjs");
