#!/usr/bin/env node
// A holder's computation node (computation/node/main.ts): market-node --config node.json
import { register } from "tsx/esm/api";
register();
await import("../computation/node/main.ts");
