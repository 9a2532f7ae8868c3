// Prisma CLI configuration (generate, migrate diff/status).
// The CLI must run offline: it talks to the database through a JS driver adapter,
// never a downloaded native engine (see docs/architecture.md, "Database").
import { defineConfig } from "prisma/config";

const url = process.env.DATABASE_URL ?? "";
const useServer = /^postgres(ql)?:\/\//.test(url);
// The CLI insists on a postgres:// URL even when the adapter does the talking.
if (!useServer) process.env.DATABASE_URL = "postgres://placeholder@localhost/placeholder";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  // the folder: schema.prisma (generator, datasource) and models/*.prisma, one per domain
  schema: "prisma",
  async adapter() {
    if (useServer) {
      const { PrismaPg } = await import("@prisma/adapter-pg");
      return new PrismaPg({ connectionString: url });
    }
    const { PGlite } = await import("@electric-sql/pglite");
    const { PrismaPGlite } = await import("pglite-prisma-adapter");
    const dir = url.startsWith("pglite:") ? url.slice("pglite:".length) : ".data/pglite";
    const db = new PGlite(dir === "memory://" ? undefined : dir, {
      startParams: [...PGlite.defaultStartParams, "-c", "log_startup_progress_interval=0"],
    } as never);
    return new PrismaPGlite(db);
  },
});
