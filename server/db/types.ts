import type { Prisma, PrismaClient } from "./generated/client";

/** What domain functions take: the client, or a transaction of it. */
export type Db = PrismaClient | Prisma.TransactionClient;

/** Prisma's "unique constraint failed" code, for turning races into clear CONFLICTs. */
export function isUniqueViolation(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: string }).code === "P2002";
}
