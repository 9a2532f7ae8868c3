/**
 * Fails (exit 1) when the schema (prisma/schema.prisma, prisma/models/) and prisma/migrations disagree.
 *
 * Prisma cannot diff against a database through a driver adapter, so we build two
 * scratch in-memory databases: one from the migrations (with the app's own runner), one
 * from the SQL Prisma generates for the schema, and compare their catalogs: tables,
 * columns, constraints, indexes and enum types.
 */
import { execFileSync } from "node:child_process";
import { PGlite } from "@electric-sql/pglite";
import { applyMigrations, readMigrations } from "../server/db/migrate";

const CATALOG = `
SELECT 'column ' || c.table_name || '.' || c.column_name || ' ' || c.udt_name || ' ' ||
       c.is_nullable || ' default=' || coalesce(c.column_default, '-') AS item
  FROM information_schema.columns c WHERE c.table_schema = 'public' AND c.table_name <> '_prisma_migrations'
UNION ALL
SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text NOT LIKE '%_prisma_migrations%'
UNION ALL
SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'
UNION ALL
SELECT 'enum ' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
  FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname
ORDER BY 1`;

async function catalog(setup: (db: PGlite) => Promise<void>): Promise<string[]> {
  const db = await PGlite.create();
  try {
    await setup(db);
    return (await db.query<{ item: string }>(CATALOG)).rows.map((r) => r.item);
  } finally {
    await db.close();
  }
}

const fromSchema = execFileSync("npx", ["prisma", "migrate", "diff", "--from-empty",
  "--to-schema-datamodel", "prisma", "--script"],
{ env: { ...process.env, DATABASE_URL: "pglite:memory://" }, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });

const migrations = await readMigrations();
const viaMigrations = await catalog(async (db) => {
  await applyMigrations({ exec: async (s) => { await db.exec(s); }, query: async <T,>(s: string, p?: unknown[]) => (await db.query<T>(s, p)).rows }, migrations);
});
const viaSchema = await catalog(async (db) => { await db.exec(fromSchema); });

const missing = viaSchema.filter((x) => !viaMigrations.includes(x));
const extra = viaMigrations.filter((x) => !viaSchema.includes(x));
if (missing.length === 0 && extra.length === 0) {
  console.log(`Schema and migrations agree (${migrations.length} migrations, ${viaSchema.length} catalog items).`);
} else {
  console.error("Schema drift between the schema (prisma/schema.prisma, prisma/models/) and prisma/migrations:");
  for (const m of missing) console.error(`  in schema, no migration creates: ${m}`);
  for (const x of extra) console.error(`  in migrations, not in schema:    ${x}`);
  console.error('Create a migration as docs/architecture.md describes ("Changing the schema").');
  process.exitCode = 1;
}
