import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

/** Files matching `files` may not import from the listed top-level folders, by alias or by path
 *  (each rule: [folders, whether `import type` is still allowed]). Tests may borrow fixtures. */
function layer(files, ...rules) {
  const patterns = rules.map(([folders, allowTypeImports]) => ({
    regex: `^(@/|(\\.\\./)+)(${folders.join("|")})(/|$)`,
    allowTypeImports,
    message: "crosses a layer boundary (docs/architecture.md, \"Layers\")",
  }));
  return { files: [files], ignores: ["**/*.test.ts", "**/*.test.tsx"], rules: { "@typescript-eslint/no-restricted-imports": ["error", { patterns }] } };
}

export default tseslint.config(
  { ignores: ["node_modules/", ".next/", ".data/", "server/db/generated/", "test-results/", "playwright-report/", "next-env.d.ts", "packages/*/dist/", "packages/node/circuits/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { "react-hooks": reactHooks },
    rules: {
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  // The layers (docs/architecture.md): core/ is shared by both sides of the wire and imports
  // none of ours; the holder's node (computation/) and the buyer's SDK (sdk/) meet only through
  // core/; sdk/ may name the server's types (its tRPC router) but never run server code.
  layer("core/**", [["app", "server", "computation", "sdk", "circuits", "scripts", "bench"], false]),
  layer("computation/**", [["app", "server", "sdk"], false]),
  layer("sdk/**", [["app", "computation", "scripts"], false], [["server"], true]),
  layer("server/**", [["app", "sdk"], false]),
);
