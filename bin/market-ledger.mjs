#!/usr/bin/env node
// The ledger verifier and witness (sdk/ledger-cli.ts), run through tsx so the TypeScript sources need no build step.
import { register } from "tsx/esm/api";
register();
const { cli } = await import("../sdk/ledger-cli.ts");
await cli();
