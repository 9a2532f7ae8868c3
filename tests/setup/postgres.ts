/**
 * Vitest global setup: starts a throwaway PostgreSQL server on 127.0.0.1 (Debian's
 * postgresql package) for the integration tests that run against a real server, and
 * stops it afterwards. Without the package the server suites are skipped, except under
 * CI=true, where that is an error.
 */
import type { TestProject } from "vitest/node";
import { findPostgresBin, startThrowawayPostgres } from "../../scripts/lib/postgres-server";

declare module "vitest" {
  export interface ProvidedContext { postgresUrl: string | null }
}

export default async function setup(project: TestProject) {
  const bin = findPostgresBin();
  if (!bin) {
    if (process.env.CI === "true") throw new Error("PostgreSQL server binaries not found: apt-get install -y postgresql");
    console.warn("\n⚠ PostgreSQL not installed: the real-server test suites are SKIPPED (apt-get install -y postgresql to run them).\n");
    project.provide("postgresUrl", null);
    return;
  }
  const server = await startThrowawayPostgres(bin, { prefix: "market-pg-", settings: "-c max_connections=200" });
  project.provide("postgresUrl", server.url);
  return () => server.stop();
}
