/**
 * The catalog: one searchable entry per registered resource and per listed product,
 * written in the same transaction as the thing it describes. Search is PostgreSQL
 * full-text (see tokens.ts) with a GIN index, filters, three orders and pagination.
 */
import { z } from "zod";
import type { SqlRead } from "../db/client";
import { Prisma, type PrismaClient } from "../db/generated/client";
import { sharingClasses, updateCycles } from "../resources/schemas";
import { splitForSearch } from "./tokens";

type Tx = PrismaClient | Prisma.TransactionClient;
export type CatalogKindName = "RESOURCE" | "PRODUCT";

export type CatalogDoc = {
  kind: CatalogKindName; refId: string; ownerOrgId: string; title: string; titleZh?: string | null; summary: string;
  /** extra words weighted below the title: field names, units, tags */
  keywords: string; domain: string; sharing?: (typeof sharingClasses)[number] | null;
  updateCycle?: (typeof updateCycles)[number] | null; priceMinor?: bigint | null; active: boolean;
};

/** A weighted tsvector expression for one piece of text. */
function vector(text: string, weight: "A" | "B" | "C") {
  const { latin, han } = splitForSearch(text);
  return Prisma.sql`setweight(to_tsvector('english', ${latin}) || to_tsvector('simple', ${han}), ${weight}::"char")`;
}

export async function upsertCatalogEntry(db: Tx, d: CatalogDoc) {
  const search = Prisma.sql`${vector(`${d.title} ${d.titleZh ?? ""}`, "A")} || ${vector(d.keywords, "B")} || ${vector(d.summary, "C")}`;
  await db.$executeRaw`
    INSERT INTO "CatalogEntry" ("id", "kind", "refId", "ownerOrgId", "title", "titleZh", "summary", "domain", "sharing", "updateCycle", "priceMinor", "active", "search")
    VALUES (gen_random_uuid(), ${d.kind}::"CatalogKind", ${d.refId}::uuid, ${d.ownerOrgId}::uuid, ${d.title}, ${d.titleZh ?? null}, ${d.summary}, ${d.domain},
            ${d.sharing ?? null}::"SharingClass", ${d.updateCycle ?? null}::"UpdateCycle", ${d.priceMinor ?? null}, ${d.active}, ${search})
    ON CONFLICT ("kind", "refId") DO UPDATE SET "title" = EXCLUDED."title", "titleZh" = EXCLUDED."titleZh", "summary" = EXCLUDED."summary",
      "domain" = EXCLUDED."domain", "sharing" = EXCLUDED."sharing", "updateCycle" = EXCLUDED."updateCycle", "priceMinor" = EXCLUDED."priceMinor",
      "active" = EXCLUDED."active", "search" = EXCLUDED."search"`;
}

/** The largest price a BIGINT column holds: a larger bound is refused as input, not failed as a query. */
const MAX_BIGINT = 2n ** 63n - 1n;

export const searchInput = z.object({
  q: z.string().trim().max(200).default(""),
  kind: z.enum(["RESOURCE", "PRODUCT"]).optional(),
  domain: z.string().max(40).optional(),
  ownerOrgId: z.uuid().optional(),
  sharing: z.enum(sharingClasses).optional(),
  updateCycle: z.enum(updateCycles).optional(),
  priceMinMinor: z.coerce.bigint().nonnegative().max(MAX_BIGINT).optional(),
  priceMaxMinor: z.coerce.bigint().nonnegative().max(MAX_BIGINT).optional(),
  sort: z.enum(["relevance", "newest", "used"]).default("relevance"),
  /** all: every word must occur (searching); any: some word must (matching a demand's long text) */
  match: z.enum(["all", "any"]).default("all"),
  page: z.number().int().min(1).max(1000).default(1),
  pageSize: z.number().int().min(1).max(100).default(20),
});
export type SearchInput = z.input<typeof searchInput>;

export type CatalogHit = {
  kind: CatalogKindName; refId: string; ownerOrgId: string;
  /** who offers it: the holder of a resource, the developer of a product */
  ownerName: string; ownerNameZh: string | null; title: string; titleZh: string | null; summary: string; domain: string;
  sharing: string | null; updateCycle: string | null; priceMinor: bigint | null; usedCount: number; createdAt: Date; rank: number;
};

const COUNT_CAP = 1000;

/** `read`: Database.read on the hot path, or readThrough(tx) inside a transaction. */
export async function searchCatalog(read: SqlRead, raw: SearchInput): Promise<{ items: CatalogHit[]; total: number; more: boolean; page: number; pageSize: number }> {
  const s = searchInput.parse(raw);
  const { latin, han } = splitForSearch(s.q);
  const parts: Prisma.Sql[] = [];
  const words = (q: Prisma.Sql) => (s.match === "any" ? Prisma.sql`replace(${q}::text, ' & ', ' | ')::tsquery` : q);
  if (latin) parts.push(words(Prisma.sql`plainto_tsquery('english', ${latin})`));
  if (han) parts.push(words(Prisma.sql`plainto_tsquery('simple', ${han})`));
  const query = parts.length ? Prisma.join(parts, s.match === "any" ? " || " : " && ") : null;
  const where: Prisma.Sql[] = [Prisma.sql`e."active"`];
  if (query) where.push(Prisma.sql`e."search" @@ (${query})`);
  if (s.kind) where.push(Prisma.sql`e."kind" = ${s.kind}::"CatalogKind"`);
  if (s.domain) where.push(Prisma.sql`e."domain" = ${s.domain}`);
  if (s.ownerOrgId) where.push(Prisma.sql`e."ownerOrgId" = ${s.ownerOrgId}::uuid`);
  if (s.sharing) where.push(Prisma.sql`e."sharing" = ${s.sharing}::"SharingClass"`);
  if (s.updateCycle) where.push(Prisma.sql`e."updateCycle" = ${s.updateCycle}::"UpdateCycle"`);
  if (s.priceMinMinor !== undefined) where.push(Prisma.sql`e."priceMinor" >= ${s.priceMinMinor.toString()}::bigint`);
  if (s.priceMaxMinor !== undefined) where.push(Prisma.sql`e."priceMinor" <= ${s.priceMaxMinor.toString()}::bigint`);
  const cond = Prisma.join(where, " AND ");
  const rank = query ? Prisma.sql`ts_rank_cd(e."search", ${query})` : Prisma.sql`0`;
  const order = s.sort === "newest" ? Prisma.sql`e."createdAt" DESC, e."id"`
    : s.sort === "used" ? Prisma.sql`e."usedCount" DESC, e."createdAt" DESC, e."id"`
      : Prisma.sql`"rank" DESC, e."usedCount" DESC, e."createdAt" DESC, e."id"`;
  // Counting every match of a broad word costs as much as the search itself: count up to
  // COUNT_CAP and say "more" beyond, as search engines do. The count rides on the page's query
  // (an uncorrelated subquery, run once): one round trip per search, which under load is what
  // the web process's CPU goes to, more than the database's.
  const count = Prisma.sql`(SELECT count(*)::int FROM (SELECT 1 FROM "CatalogEntry" e WHERE ${cond} LIMIT ${COUNT_CAP + 1}) AS "m")`;
  // Cast to what both drivers parse alike (SqlRead): int8 as text (createdAt is a timestamptz).
  const rows = await read<Omit<CatalogHit, "priceMinor"> & { priceMinor: string | null; matches: number }>(Prisma.sql`
      SELECT e."kind"::text AS "kind", e."refId"::text AS "refId", e."ownerOrgId"::text AS "ownerOrgId", o."name" AS "ownerName", o."nameZh" AS "ownerNameZh",
             e."title", e."titleZh", e."summary", e."domain", e."sharing"::text AS "sharing", e."updateCycle"::text AS "updateCycle", e."priceMinor"::text AS "priceMinor",
             e."usedCount", e."createdAt", ${rank}::float8 AS "rank", ${count} AS "matches"
      FROM "CatalogEntry" e JOIN "Organisation" o ON o."id" = e."ownerOrgId"
      WHERE ${cond} ORDER BY ${order} LIMIT ${s.pageSize} OFFSET ${(s.page - 1) * s.pageSize}`);
  // A page past the last has no row to carry the count: only then is it asked for alone.
  const n = rows[0]?.matches ?? (s.page === 1 ? 0 : (await read<{ n: number }>(Prisma.sql`SELECT ${count} AS "n"`))[0]!.n);
  const items: CatalogHit[] = rows.map(({ matches: _, priceMinor, ...hit }) => ({ ...hit, priceMinor: priceMinor === null ? null : BigInt(priceMinor) }));
  return { items, total: Math.min(n, COUNT_CAP), more: n > COUNT_CAP, page: s.page, pageSize: s.pageSize };
}
