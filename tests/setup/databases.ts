/**
 * The two backends every integration suite runs against: embedded PGlite (in memory)
 * and a real PostgreSQL server (a fresh database per suite on the server the global
 * setup started). Both go through openDatabase, migrations included.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { openDatabase, type Database } from "@/server/db/client";

export type Backend = { name: "pglite" | "postgres"; open: () => Promise<Database>; available: boolean };

/** A new empty database on the test server; returns its URL. */
export async function createServerDatabase(): Promise<string> {
  const admin = inject("postgresUrl");
  if (!admin) throw new Error("no PostgreSQL test server");
  const name = `t_${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try { await client.query(`CREATE DATABASE ${name}`); } finally { await client.end(); }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

export const backends: Backend[] = [
  { name: "pglite", available: true, open: () => openDatabase({ kind: "pglite", dir: null }) },
  { name: "postgres", available: inject("postgresUrl") !== null,
    open: async () => openDatabase({ kind: "postgres", url: await createServerDatabase() }) },
];
