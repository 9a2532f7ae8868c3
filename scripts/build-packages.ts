/**
 * `npm run build:packages [-- sdk|node]`: build the installable packages from this repository's sources.
 *
 *   packages/sdk   @quancheng/market-sdk   the buyer SDK (ESM + type declarations) and the
 *                                          market-query and market-ledger CLIs
 *   packages/node  @quancheng/market-node  a holder's computation node: market-node --config
 *
 * Each is bundled with esbuild (our own code — sdk/, computation/, core/ — inlined; npm
 * packages left as the package's own dependencies, listed in its package.json), so a package
 * installs with only what it needs. The SDK's declarations are emitted by tsc and kept to the
 * files its entry reaches. The node ships the compiled circuits it proves with (wasm, zkey,
 * verification keys and their pinned hashes), not the sources or the R1CS.
 * tests/packages/packages.test.ts packs both and uses them from empty projects.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build, type Plugin } from "esbuild";

const root = path.resolve(import.meta.dirname, "..");
const rootPkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

/** Every bare import must be a dependency the package declares, at the version this repository is tested with. */
function externalsOf(pkgDir: string): Plugin {
  const declared = Object.keys((JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8")) as { dependencies?: Record<string, string> }).dependencies ?? {});
  return {
    name: "declared-externals",
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith("node:") || args.path.startsWith("@/")) return undefined;
        const name = args.path.startsWith("@") ? args.path.split("/").slice(0, 2).join("/") : args.path.split("/")[0]!;
        if (!declared.includes(name) && !isBuiltin(name)) {
          // esbuild erases type-only imports first: what reaches here is loaded at run time.
          return { errors: [{ text: `${args.importer} imports ${name}, which ${path.basename(pkgDir)}/package.json does not list` }] };
        }
        return { path: args.path, external: true };
      });
    },
  };
}
const builtins = new Set(["fs", "path", "crypto", "url", "util", "os", "http", "https", "net", "stream", "events", "readline", "worker_threads", "perf_hooks", "child_process", "zlib", "buffer", "assert", "module", "tls", "dns"]);
const isBuiltin = (n: string) => builtins.has(n);

async function bundle(pkgDir: string, entries: { out: string; from?: string; contents?: string }[]) {
  for (const e of entries) {
    await build({
      ...(e.contents ? { stdin: { contents: e.contents, resolveDir: root, sourcefile: `${e.out}.ts`, loader: "ts" as const } } : { entryPoints: [path.join(root, e.from!)] }),
      outfile: path.join(pkgDir, "dist", `${e.out}.mjs`),
      bundle: true, platform: "node", format: "esm", target: "node20", sourcemap: true, legalComments: "none",
      tsconfig: path.join(root, "tsconfig.json"),
      plugins: [externalsOf(pkgDir)],
      // CommonJS dependencies imported from ESM need require(): give the bundle one.
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      logLevel: "warning",
    });
  }
}

/** tsc's declarations for `entry`, with "@/x" specifiers made relative, kept to the files the entry reaches. */
function declarations(pkgDir: string, entry: string) {
  const out = path.join(pkgDir, "dist", "types");
  const tmp = path.join(pkgDir, "dist", "types-all");
  const config = path.join(pkgDir, "dist", "tsconfig.types.json");
  writeFileSync(config, JSON.stringify({
    extends: path.join(root, "tsconfig.json"),
    compilerOptions: { noEmit: false, declaration: true, emitDeclarationOnly: true, outDir: tmp, rootDir: root, incremental: false, composite: false, allowImportingTsExtensions: false, skipLibCheck: true },
    // The repository's declarations for untyped packages (types/) come along.
    files: [path.join(root, entry), ...readdirSync(path.join(root, "types")).filter((f) => f.endsWith(".d.ts")).map((f) => path.join(root, "types", f))], include: [],
  }));
  execFileSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", config], { stdio: "inherit" });
  const seen = new Set<string>();
  const visit = (rel: string) => {
    if (seen.has(rel)) return;
    seen.add(rel);
    const file = path.join(tmp, rel);
    let text = readFileSync(file, "utf8");
    text = text.replace(/(from\s+|import\(\s*)"(@\/|\.{1,2}\/)([^"]+)"/g, (_m, pre: string, kind: string, spec: string) => {
      const target = kind === "@/" ? spec : path.join(path.dirname(rel), kind, spec);
      const resolved = [`${target}.d.ts`, path.join(target, "index.d.ts")].find((c) => existsSync(path.join(tmp, c)));
      if (!resolved) return `${pre}"${kind}${spec}"`;
      visit(resolved);
      let relPath = path.relative(path.dirname(rel), resolved.replace(/\.d\.ts$/, ".js"));
      if (!relPath.startsWith(".")) relPath = `./${relPath}`;
      return `${pre}"${relPath}"`;
    });
    mkdirSync(path.dirname(path.join(out, rel)), { recursive: true });
    writeFileSync(path.join(out, rel), text);
  };
  visit(entry.replace(/\.ts$/, ".d.ts"));
  rmSync(tmp, { recursive: true, force: true });
  rmSync(config);
  return seen.size;
}

async function buildSdk() {
  const dir = path.join(root, "packages", "sdk");
  rmSync(path.join(dir, "dist"), { recursive: true, force: true });
  await bundle(dir, [
    { out: "index", from: "sdk/index.ts" },
    { out: "market-query", from: "sdk/cli.ts" },
    { out: "market-ledger", contents: `import { cli } from "./sdk/ledger-cli"; await cli();` },
  ]);
  const files = declarations(dir, "sdk/index.ts");
  console.log(`✓ packages/sdk: dist/index.mjs, market-query, market-ledger, ${files} declaration files`);
}

async function buildNode() {
  const dir = path.join(root, "packages", "node");
  rmSync(path.join(dir, "dist"), { recursive: true, force: true });
  rmSync(path.join(dir, "circuits"), { recursive: true, force: true });
  await bundle(dir, [
    { out: "market-node", from: "computation/node/main.ts" },
    // Found next to the node's bundle by computation/zk/service.ts (new URL("./commit-worker.mjs", import.meta.url)).
    { out: "commit-worker", from: "computation/zk/commit-worker.ts" },
  ]);
  const circuits = path.join(dir, "circuits");
  cpSync(path.join(root, "circuits", "keys"), path.join(circuits, "keys"), { recursive: true });
  cpSync(path.join(root, "circuits", "artifacts.json"), path.join(circuits, "artifacts.json"));
  const pinned = JSON.parse(readFileSync(path.join(root, "circuits", "artifacts.json"), "utf8")) as { circuits: Record<string, unknown> };
  const shipped: string[] = [];
  for (const name of Object.keys(pinned.circuits)) {
    const from = path.join(root, "circuits", "artifacts", name);
    if (!existsSync(from)) continue; // the large circuits are not committed: the node proves with the small ones
    mkdirSync(path.join(circuits, "artifacts", name), { recursive: true });
    for (const f of readdirSync(from).filter((f) => f.endsWith(".wasm") || f.endsWith(".zkey"))) cpSync(path.join(from, f), path.join(circuits, "artifacts", name, f));
    shipped.push(name);
  }
  console.log(`✓ packages/node: dist/market-node.mjs, dist/commit-worker.mjs, circuits ${shipped.join(", ")}`);
}

// The versions each package declares must be the ones this repository installs and tests.
for (const p of ["sdk", "node"]) {
  const pkg = JSON.parse(readFileSync(path.join(root, "packages", p, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  for (const [name, range] of Object.entries(pkg.dependencies)) {
    const ours = rootPkg.dependencies[name] ?? rootPkg.devDependencies[name];
    if (ours !== range) throw new Error(`packages/${p}/package.json: ${name} ${range}, but the repository uses ${ours ?? "nothing"}`);
  }
}
const only = process.argv.slice(2);
if (!only.length || only.includes("sdk")) await buildSdk();
if (!only.length || only.includes("node")) await buildNode();
