/**
 * `npm start`: the whole marketplace on embedded defaults, in one command.
 *   1. checks the port is free,   2. makes an auth secret on first run (kept in DATA_DIR),
 *   3. migrates and seeds the database (printing the demo accounts), and starts the demo
 *      holders' computation nodes (each its own process on loopback) and registers them,
 *   4. builds the web app if its sources changed since the last build,   5. serves it.
 * `npm run dev` does the same with Next's dev server instead of 4–5.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { describeDb, openDatabase } from "../server/db/client";
import { isAppError } from "../server/errors";
import { demoActivationCodes, demoEnrolmentCodes, startDemoNodes, type RunningNode } from "../computation/demo/nodes";
import { ledgerSigningKey, marketSigningKey } from "../server/keys";
import { DEMO_PASSWORD, seedDemoWorld } from "../server/seed/demo";
import { seedDemoQueryWorld } from "../server/seed/demo-queries";
import { fetchCommitment } from "../server/proofs/audits";
import { httpNodeCall } from "../server/nodes/client";
import { printAccounts } from "./accounts-table";

const dev = process.argv.includes("--dev");
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "localhost";
const dataDir = path.resolve(process.env.DATA_DIR ?? ".data");
const nextBin = path.join("node_modules", "next", "dist", "bin", "next");

function fail(message: string): never {
  console.error(`\n✖ ${message}\n`);
  process.exit(1);
}

async function assertPortFree() {
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`PORT must be a whole number from 1 to 65535 (got "${process.env.PORT}").`);
  await new Promise<void>((resolve) => {
    const probe = net.createServer();
    probe.once("error", (e: NodeJS.ErrnoException) => {
      fail(e.code === "EADDRINUSE"
        ? `Port ${port} is already in use (is the marketplace already running?). Stop that process, or choose another port: PORT=${port + 1} npm start`
        : `Cannot listen on ${host}:${port}: ${e.message}`);
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

function authSecret(): string {
  const given = process.env.NEXTAUTH_SECRET ?? process.env.AUTH_SECRET;
  if (given) {
    if (given.length < 32) fail("NEXTAUTH_SECRET must be at least 32 characters (try: openssl rand -base64 32).");
    return given;
  }
  const file = path.join(dataDir, "auth-secret");
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600 });
  }
  return readFileSync(file, "utf8").trim();
}

/** A hash of everything the production build depends on. */
function sourceHash(): string {
  const h = createHash("sha256");
  const walk = (p: string) => {
    if (!existsSync(p)) return;
    if (statSync(p).isDirectory()) {
      for (const e of readdirSync(p).sort()) if (e !== "node_modules" && e !== "generated") walk(path.join(p, e));
    } else {
      h.update(p).update(readFileSync(p));
    }
  };
  // Everything the web app bundles or reads at build time: the browser also runs computation/ and sdk/ code.
  for (const p of ["app", "core", "server", "computation", "sdk", "circuits/keys", "circuits/artifacts.json", "public", "instrumentation.ts", "next.config.js", "package-lock.json", "tsconfig.json", "prisma"]) walk(p);
  return h.digest("hex");
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [nextBin, ...args], { stdio: "inherit", env });
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

async function main() {
  await assertPortFree();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NEXTAUTH_SECRET: authSecret(),
    NEXTAUTH_URL: process.env.NEXTAUTH_URL ?? `http://${host}:${port}`,
    DATA_DIR: dataDir,
    NEXT_TELEMETRY_DISABLED: "1",
    CHECKPOINT_DISABLE: "1",
  };
  if (!/^https:|^http:\/\/(localhost|127\.0\.0\.1|\[::1\])[:/]/.test(env.NEXTAUTH_URL!)) {
    console.warn(`⚠ ${env.NEXTAUTH_URL} is plain http away from this machine: session cookies are Secure there, so browsers will not sign in. Serve it over https (a reverse proxy; docs/operations.md).`);
  }

  // Migrate and seed here, then close: the embedded database is single-process, and the
  // web server opens it next.
  const demo = process.env.SEED_DEMO !== "false";
  let nodes: RunningNode[] = [];
  const stopNodes = () => nodes.forEach((n) => n.process.kill("SIGTERM"));
  process.on("exit", stopNodes);
  const db = await openDatabase();
  try {
    console.log(`Database: ${describeDb(db.config)} (migrations applied)`);
    if (demo) {
      const accounts = await seedDemoWorld(db.prisma);
      console.log("Starting the demo holders' computation nodes (first start generates their data)…");
      nodes = await startDemoNodes(dataDir, { market: marketSigningKey().publicKey, ledger: ledgerSigningKey().publicKey });
      await seedDemoQueryWorld(db.prisma, nodes.map((n) => ({ holder: n.spec.holder, name: n.spec.name, url: n.url, nodeId: n.nodeId, agreementKey: n.agreementKey, dataset: n.spec.dataset, holderKeyFile: n.holderKeyFile })));
      for (const n of nodes) console.log(`  node ${n.spec.name.padEnd(24)} ${n.url}  ${n.spec.rows.toLocaleString("en")} rows (${n.spec.file})`);
      // The nodes commit their data in the background (answers are not yet provable meanwhile);
      // the browser tests wait for it, so the audit they run is provable.
      if (process.env.DEMO_WAIT_FOR_COMMITMENTS === "1") {
        console.log("Waiting for the demo nodes' first commitments…");
        const rows = await db.prisma.computationNode.findMany({ where: { signingKey: { in: nodes.map((n) => n.nodeId) } } });
        await Promise.all(nodes.map((n) => fetchCommitment(db.prisma, rows.find((r) => r.signingKey === n.nodeId)!, n.spec.dataset, false, httpNodeCall, 15 * 60_000)));
      }
      console.log("  Activation codes the holders issued to the demo citizens (to link their keys in their safe box):");
      for (const c of demoActivationCodes(dataDir)) console.log(`    ${c.subjectRef}  ${c.holder.padEnd(24)} ${c.code}`);
      console.log("  Enrolment codes the nodes issued to their holders (to approve products at the node from the holder's console):");
      for (const c of demoEnrolmentCodes(dataDir)) console.log(`    ${c.holder.padEnd(36)} ${c.code}`);
      printAccounts(accounts, DEMO_PASSWORD, `http://${host}:${port}`);
    }
  } finally {
    await db.close();
  }

  if (dev) process.exit(await run(["dev", "-p", String(port), "-H", host], env));


  const stamp = path.join(".next", "source-hash");
  const hash = sourceHash();
  if (!existsSync(path.join(".next", "BUILD_ID")) || !existsSync(stamp) || readFileSync(stamp, "utf8") !== hash) {
    console.log("Building the web app (first start or sources changed; about a minute)…");
    const code = await run(["build"], env);
    if (code !== 0) fail("The build failed (see above).");
    writeFileSync(stamp, hash);
  }
  console.log(`Serving the marketplace on http://${host}:${port}  (Ctrl+C stops it)`);
  const server = spawn(process.execPath, [nextBin, "start", "-p", String(port), "-H", host], { stdio: "inherit", env });
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => { server.kill(sig); stopNodes(); });
  server.on("exit", (code) => process.exit(code ?? 0));
}

main().catch((e) => fail(isAppError(e) ? e.message : `Start-up failed: ${(e as Error).stack ?? e}`));
