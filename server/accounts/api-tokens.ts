/**
 * API tokens: how an organisation's systems reach the marketplace without a browser.
 *
 * An org owner or admin makes a token for the organisation, names it, picks which of the
 * organisation's market roles it may use and when it expires. The token is shown once:
 * `mkt_<token id without dashes>_<32 random bytes, base64url>`; only the SHA-256 of the secret
 * is stored. A request with `Authorization: Bearer <token>` acts as the token's creator
 * within that one organisation, with the roles the token allows that the organisation still
 * holds, and never with member-management rights. The creator's membership is read on every
 * request, so a creator who leaves takes their tokens' access with them. Every use is
 * recorded (ApiTokenUse) and rate-limited per token (server/api/rest.ts).
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";
import type { MarketRoleName } from "./roles";

const TOKEN = /^mkt_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;
const marketRole = z.enum(["HOLDER", "DEVELOPER", "OPERATOR", "BUYER", "SUBJECT", "SUPERVISOR", "ADMIN"]);

export const createApiTokenInput = z.object({
  name: z.string().trim().min(2, { error: "Name the token after the system that will use it." }).max(80),
  /** the market roles it may act in; none leaves it the catalog, product pages and the ledger */
  roles: z.array(marketRole).max(7).default([]),
  /** days until it expires: at most a year */
  expiresInDays: z.number().int().min(1).max(366).default(90),
});

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");
const dashed = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

const tokenView = { id: true, name: true, roles: true, expiresAt: true, revokedAt: true, lastUsedAt: true, createdAt: true, createdBy: { select: { name: true, email: true } } } as const;

/** Make a token; the only time its secret exists outside the caller is this return value. */
export async function createApiToken(db: PrismaClient, o: { organisationId: string; userId: string; heldRoles: MarketRoleName[] } & z.input<typeof createApiTokenInput>) {
  const input = createApiTokenInput.parse(o);
  const missing = input.roles.filter((r) => !o.heldRoles.includes(r));
  if (missing.length) {
    throw new AppError("FORBIDDEN", "ROLE_NOT_HELD", `The organisation does not hold ${missing.map((r) => r.toLowerCase()).join(", ")}: a token can only use roles the organisation holds.`);
  }
  const id = randomUUID().replaceAll("-", "");
  const secret = randomBytes(32).toString("base64url");
  const row = await db.apiToken.create({
    data: {
      id: dashed(id), organisationId: o.organisationId, createdById: o.userId, name: input.name, secretHash: sha256(secret),
      roles: [...new Set(input.roles)], expiresAt: new Date(Date.now() + input.expiresInDays * 86_400_000),
    },
    select: tokenView,
  });
  return { ...row, token: `mkt_${id}_${secret}` };
}

export function listApiTokens(db: PrismaClient, organisationId: string) {
  return db.apiToken.findMany({ where: { organisationId }, orderBy: { createdAt: "desc" }, select: tokenView });
}

export async function revokeApiToken(db: PrismaClient, o: { organisationId: string; tokenId: string }) {
  const n = await db.apiToken.updateMany({ where: { id: o.tokenId, organisationId: o.organisationId, revokedAt: null }, data: { revokedAt: new Date() } });
  if (n.count === 0) {
    const exists = await db.apiToken.findFirst({ where: { id: o.tokenId, organisationId: o.organisationId }, select: { id: true } });
    if (!exists) throw new AppError("NOT_FOUND", "TOKEN_NOT_FOUND", "Your organisation has no such token.");
  }
  return { ok: true as const };
}

export type TokenActor = { tokenId: string; userId: string; organisationId: string; roles: MarketRoleName[] };

/** The actor a bearer token stands for, or a typed refusal (the same words for every bad token). */
export async function authenticateApiToken(db: PrismaClient, bearer: string): Promise<TokenActor> {
  const refuse = (why: string) => new AppError("UNAUTHENTICATED", "BAD_TOKEN", why);
  const m = TOKEN.exec(bearer.trim());
  if (!m) throw refuse("The bearer token is not a marketplace API token (mkt_…).");
  const row = await db.apiToken.findUnique({
    where: { id: dashed(m[1]!) },
    select: { id: true, secretHash: true, organisationId: true, createdById: true, roles: true, expiresAt: true, revokedAt: true },
  });
  const given = Buffer.from(sha256(m[2]!), "hex");
  if (!row || !timingSafeEqual(given, Buffer.from(row.secretHash, "hex"))) throw refuse("This API token is not known.");
  if (row.revokedAt) throw refuse("This API token was revoked.");
  if (row.expiresAt.getTime() <= Date.now()) throw refuse("This API token has expired: ask an admin of your organisation for a new one.");
  return { tokenId: row.id, userId: row.createdById, organisationId: row.organisationId, roles: row.roles };
}

/** Record one use (after the answer is known). */
export async function recordApiTokenUse(db: PrismaClient, o: { tokenId: string; method: string; path: string; status: number; ip?: string | null }) {
  await db.$transaction([
    db.apiTokenUse.create({ data: { tokenId: o.tokenId, method: o.method, path: o.path.slice(0, 300), status: o.status, ip: o.ip ?? null } }),
    db.apiToken.update({ where: { id: o.tokenId }, data: { lastUsedAt: new Date() } }),
  ]);
}
