import type { Prisma, PrismaClient } from "./generated/client";

/** What domain functions take: the client, or a transaction of it. */
export type Db = PrismaClient | Prisma.TransactionClient;

/**
 * A unique constraint failed, for turning races into clear CONFLICTs. Prisma reports it
 * as P2002 through adapter-pg, but the PGlite adapter surfaces PostgreSQL's own 23505.
 */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string } } | null;
  return err?.code === "P2002" || err?.cause?.code === "23505";
}

/*
 * Note: do not filter enum arrays with Prisma's `has`/`hasSome` — the PGlite adapter sends
 * the value as a malformed array literal. Use `$queryRaw` with `= ANY(...)` instead.
 */
