// @ts-check
/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native and WASM packages load from node_modules at run time, not through the bundler;
  // the database is opened lazily on first request (server/db/client.ts).
  serverExternalPackages: [
    "@electric-sql/pglite",
    "pglite-prisma-adapter",
    "@prisma/adapter-pg",
    "@prisma/client",
    "pg",
    "@node-rs/argon2",
    "@duckdb/node-api",
  ],
  poweredByHeader: false,
  // On every response. The Content-Security-Policy (with a nonce per page) and HSTS (over https)
  // are set per request by proxy.ts; docs/operations.md ("Security headers").
  async headers() {
    return [{
      source: "/:path*",
      headers: [
        { key: "X-Content-Type-Options", value: "nosniff" },
        { key: "Referrer-Policy", value: "no-referrer" }, // consent links carry one-time tokens in their paths
        { key: "X-Frame-Options", value: "DENY" },
        { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
        { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=(), usb=()" },
      ],
    }];
  },
  reactStrictMode: true,
  typescript: { ignoreBuildErrors: true }, // `npm run typecheck` checks; the build need not do it twice
};

export default nextConfig;
