/**
 * The installable packages, used as their users would: packed with `npm pack` (which builds
 * them: scripts/build-packages.ts), installed from the tarballs into empty projects, and run
 * against the app this suite serves. A buyer's system runs `npx market-query` and
 * `npx market-ledger verify` and compiles TypeScript against the SDK's declarations; a holder
 * starts `npx market-node --config` from the documented minimal config (node.example.json).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { expect, test } from "@playwright/test";

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, "..");
const npmOpts = ["--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"];

test.describe.configure({ timeout: 600_000 });

let dir: string;
let node: ChildProcess | undefined;
test.beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), "packages-")); });
test.afterAll(() => { node?.kill("SIGKILL"); rmSync(dir, { recursive: true, force: true }); });

async function packAndInstall(pkg: "sdk" | "node", project: string) {
  const { stdout } = await run("npm", ["pack", "--pack-destination", dir, "--loglevel=error"], { cwd: path.join(repo, "packages", pkg), maxBuffer: 1 << 24 });
  const tarball = path.join(dir, stdout.trim().split("\n").at(-1)!);
  const cwd = path.join(dir, project);
  await run("mkdir", ["-p", cwd]);
  writeFileSync(path.join(cwd, "package.json"), JSON.stringify({ name: project, private: true, type: "module" }));
  await run("npm", ["install", ...npmOpts, tarball], { cwd, maxBuffer: 1 << 24 });
  return cwd;
}

test("the buyer SDK from its tarball: market-query runs an encrypted query, market-ledger verifies, TypeScript compiles against it", async ({ baseURL }) => {
  const cwd = await packAndInstall("sdk", "buyer-system");
  const deps = Object.keys((JSON.parse(readFileSync(path.join(cwd, "node_modules", "@quancheng", "market-sdk", "package.json"), "utf8")) as { dependencies: object }).dependencies);
  expect(deps).not.toContain("next"); // only what the SDK needs
  expect(deps).not.toContain("@prisma/client");

  await run("npx", ["--no-install", "market-query", "keygen", "--out", "keys.json"], { cwd });
  const { stdout } = await run("npx", ["--no-install", "market-query", "run", "--url", baseURL!, "--email", "insurer@quancheng.example",
    "--product", "hospital-claims-by-district-age", "--group-by", "district", "--measure", "claim_amount:COUNT", "--epsilon", "1", "--keys", "keys.json", "--json"],
  { cwd, env: { ...process.env, MARKET_PASSWORD: "quancheng-demo-2026" }, timeout: 240_000, maxBuffer: 1 << 24 });
  const result = JSON.parse(stdout) as { id: string; epsilon: number; rows: { labels: string[]; suppressed: boolean; count: string | null }[] };
  expect(result.epsilon).toBe(1);
  expect(result.rows.length).toBeGreaterThan(1);
  expect(result.rows.some((r) => !r.suppressed && Number(r.count) > 0)).toBe(true);

  const verified = await run("npx", ["--no-install", "market-ledger", "verify", "--url", baseURL!], { cwd, timeout: 120_000, maxBuffer: 1 << 24 });
  expect(verified.stdout).toContain("✔ Ledger verified");

  // A buyer's TypeScript against the SDK's declarations (the repository's compiler; no other package).
  writeFileSync(path.join(cwd, "system.ts"), `import { MarketplaceClient, decodeResult, type QueryOutcome, type ResultRow } from "@quancheng/market-sdk";
export async function counts(url: string, password: string): Promise<ResultRow[]> {
  const client = await MarketplaceClient.signIn(url, "insurer@quancheng.example", password);
  const out: QueryOutcome = await client.query({ product: "p", query: { groupBy: [], measures: [{ column: "c", aggregate: "COUNT" }] }, keys: { publicKey: "", secretKey: "", signing: { publicJwk: { kty: "EC", crv: "P-256", x: "", y: "" }, privateJwk: {} } } });
  return out.rows.length ? out.rows : decodeResult(out.planned, [], []);
}
`);
  // skipLibCheck as most projects set it: node-seal's own typings do not check under nodenext.
  writeFileSync(path.join(cwd, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "nodenext", moduleResolution: "nodenext", target: "es2022", strict: true, skipLibCheck: true, noEmit: true, types: [], lib: ["es2023", "dom"] }, files: ["system.ts"] }));
  const tsc = () => run(process.execPath, [path.join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", "."], { cwd }).then(() => "", (e: { stdout: string }) => e.stdout);
  expect(await tsc()).toBe("");
  // …and the declarations are real: a wrong aggregate does not compile.
  writeFileSync(path.join(cwd, "system.ts"), readFileSync(path.join(cwd, "system.ts"), "utf8").replace('aggregate: "COUNT"', 'aggregate: "COUNTX"'));
  expect(await tsc()).toMatch(/"COUNTX"' is not assignable/);
});

test("the computation node from its tarball: market-node --config with the documented minimal config", async ({ baseURL, request }) => {
  const cwd = await packAndInstall("node", "holder-node");
  const marketKey = ((await (await request.get("/api/market-key")).json()) as { publicKey: string }).publicKey;
  const ledgerKey = ((await (await request.get("/api/ledger/key")).json()) as { publicKey: string }).publicKey;
  const config = JSON.parse(readFileSync(path.join(cwd, "node_modules", "@quancheng", "market-node", "node.example.json"), "utf8")) as Record<string, unknown> & { listen: { port: number } };
  config.marketplacePublicKey = marketKey;
  config.ledgerPublicKey = ledgerKey;
  config.listen.port = 0; // any free port: the node prints the one it got
  writeFileSync(path.join(cwd, "node.json"), JSON.stringify(config, null, 2));
  writeFileSync(path.join(cwd, "claims.csv"), ["district,claim_amount", ...Array.from({ length: 40 }, (_, i) => `${i % 2 ? "历下区" : "市中区"},${1000 + i * 10}`)].join("\n") + "\n");

  node = spawn("npx", ["--no-install", "market-node", "--config", "node.json"], { cwd, env: { ...process.env, NODE_COMMIT_ON_START: "off" }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  node.stderr!.on("data", (d: Buffer) => { stderr += d.toString(); });
  const ready = await new Promise<{ url: string; nodeId: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`market-node did not start in 60 s:\n${stderr}`)), 60_000);
    node!.on("exit", (code) => reject(new Error(`market-node exited (${code}):\n${stderr}`)));
    createInterface({ input: node!.stdout! }).on("line", (line) => {
      try {
        const m = JSON.parse(line) as { event?: string; url: string; nodeId: string };
        if (m.event === "node-ready") { clearTimeout(timer); resolve(m); }
      } catch { /* a log line */ }
    });
  });
  const identity = (await (await fetch(`${ready.url}/v1/identity`)).json()) as { nodeId: string };
  expect(identity.nodeId).toBe(ready.nodeId);
  const policy = await fetch(`${ready.url}/v1/policy`);
  expect(policy.status).toBe(200);
  expect(JSON.stringify(await policy.json())).toContain("claim_amount");
  // It refuses what the marketplace did not sign, as a node from the repository does.
  const refused = await fetch(`${ready.url}/v1/aggregate`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  expect(refused.status).toBe(401);
  expect(baseURL).toBeTruthy();
});
