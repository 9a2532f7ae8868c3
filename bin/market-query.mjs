#!/usr/bin/env node
// The buyer CLI (sdk/cli.ts), run through tsx so the TypeScript sources need no build step.
import { register } from "tsx/esm/api";
register();
await import("../sdk/cli.ts");
