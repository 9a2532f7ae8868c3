/**
 * The API's plumbing, all in one place: the request context, the error formatter, and
 * the base procedures every router composes. Roles are checked here, once, on the server:
 *
 *   publicProcedure        anyone
 *   authedProcedure        a signed-in person                        else UNAUTHORIZED
 *   orgProcedure           … acting for one of their organisations   else FORBIDDEN
 *   orgAdminProcedure      … as its owner or admin                   else FORBIDDEN
 *   holderProcedure, …     … whose organisation holds that market role else FORBIDDEN
 */
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import { loadActor, type MembershipSummary } from "../accounts/organisations";
import { canManageMembers, type MarketRoleName } from "../accounts/roles";
import type { TokenActor } from "../accounts/api-tokens";
import type { Database } from "../db/client";
import { appErrorCodes, isAppError, type AppError } from "../errors";
import { databaseUnavailable } from "../db/client";
import { zodText } from "@/core/zod-text";

export interface ContextOptions {
  db: Database;
  /** From the verified session token; null when signed out. */
  userId: string | null;
  /** The organisation the person chose to act for (a cookie); checked against memberships. */
  requestedOrgId?: string | null;
  /** Remember a new active organisation (sets the cookie in the HTTP adapter). */
  rememberOrg?: (organisationId: string) => void;
  /** A request made with an API token: its creator, within the token's organisation and roles only. */
  apiToken?: TokenActor | null;
  /** The client's address (server/http/rate-limits.ts clientIp), for per-address rate limits; null when called in-process. */
  ip?: string | null;
}

export async function createContext(opts: ContextOptions) {
  const prisma = opts.db.prisma;
  let user: { id: string; email: string; name: string; locale: string } | null = null;
  let memberships: MembershipSummary[] = [];
  const token = opts.apiToken ?? null;
  const userId = token ? token.userId : opts.userId;
  if (userId) {
    const actor = await loadActor(opts.db.read, userId);
    if (actor) ({ user, memberships } = actor);
  }
  if (token) {
    // One organisation, the roles both it and the token hold, never member management.
    memberships = memberships.filter((m) => m.organisation.id === token.organisationId).map((m) => ({
      role: "MEMBER" as const, organisation: { ...m.organisation, roles: m.organisation.roles.filter((r) => token.roles.includes(r)) },
    }));
  }
  const active = memberships.find((m) => m.organisation.id === (token?.organisationId ?? opts.requestedOrgId)) ?? memberships[0] ?? null;
  return { db: opts.db, prisma, user, memberships, active, ip: opts.ip ?? null, rememberOrg: opts.rememberOrg ?? (() => {}) };
}
export type Context = Awaited<ReturnType<typeof createContext>>;

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const { stack: _stack, ...data } = shape.data; // never send a stack trace to a client
    return {
      ...shape,
      data: {
        ...data,
        // Field-by-field messages for forms when the input failed its schema.
        zodError: cause instanceof ZodError ? z.flattenError(cause) : null,
        // A stable reason code ("EMAIL_TAKEN") the UI can translate.
        reason: isAppError(cause) ? cause.reason : null,
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Domain errors become typed API errors with their message; anything else stays a 500. */
const appErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && (isAppError(result.error.cause) || databaseUnavailable(result.error.cause))) {
    const e = databaseUnavailable(result.error.cause) ?? (result.error.cause as AppError);
    throw new TRPCError({ code: appErrorCodes[e.code], message: e.message, cause: e });
  }
  if (!result.ok && result.error.cause instanceof ZodError && result.error.code === "INTERNAL_SERVER_ERROR") {
    // A domain function re-validated its options and refused them: that is bad input.
    throw new TRPCError({ code: "BAD_REQUEST", message: zodText(result.error.cause), cause: result.error.cause });
  }
  return result;
});

/** Does a string anywhere in `v` hold U+0000 or a lone surrogate? The database cannot store either (it would fail as a 500). */
function holdsUnstorableText(v: unknown): boolean {
  const stack = [v];
  const seen = new Set<unknown>();
  while (stack.length) {
    const x = stack.pop();
    if (typeof x === "string") { if (/[\0\p{Cs}]/u.test(x)) return true; continue; }
    if (x === null || typeof x !== "object" || seen.has(x)) continue;
    seen.add(x);
    if (x instanceof Map) stack.push(...x.keys(), ...x.values());
    else if (x instanceof Set) stack.push(...x);
    else for (const [k, y] of Object.entries(x)) stack.push(k, y);
  }
  return false;
}
/** Bad input is the caller's to fix (400), found before any procedure runs. */
const storableText = t.middleware(async ({ getRawInput, next }) => {
  if (holdsUnstorableText(await getRawInput())) throw new TRPCError({ code: "BAD_REQUEST", message: "Text must be well-formed Unicode without the NUL character (U+0000)." });
  return next();
});

export const publicProcedure = t.procedure.use(appErrors).use(storableText);

export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first." });
  return next({ ctx: { ...ctx, user: ctx.user } });
});

export const orgProcedure = authedProcedure.use(({ ctx, next }) => {
  if (!ctx.active) {
    throw new TRPCError({ code: "FORBIDDEN", message: "You do not belong to any organisation yet: accept an invitation or create one." });
  }
  return next({ ctx: { ...ctx, active: ctx.active } });
});

export const orgAdminProcedure = orgProcedure.use(({ ctx, next }) => {
  if (!canManageMembers(ctx.active.role)) {
    throw new TRPCError({ code: "FORBIDDEN", message: `Only an owner or admin of ${ctx.active.organisation.name} can do this; you are a ${ctx.active.role.toLowerCase()}.` });
  }
  return next();
});

/** Allowed when the active organisation holds any of `roles`. */
export function roleProcedure(...roles: MarketRoleName[]) {
  return orgProcedure.use(({ ctx, next }) => {
    const org = ctx.active.organisation;
    if (!roles.some((r) => org.roles.includes(r))) {
      const held = org.roles.length ? org.roles.map((r) => r.toLowerCase()).join(", ") : "no market role yet";
      throw new TRPCError({
        code: "FORBIDDEN",
        message: `This needs the ${roles.map((r) => r.toLowerCase()).join(" or ")} role. ${org.name} holds: ${held}. Switch organisation, or ask a market admin.`,
      });
    }
    return next();
  });
}

export const holderProcedure = roleProcedure("HOLDER");
export const developerProcedure = roleProcedure("DEVELOPER");
export const operatorProcedure = roleProcedure("OPERATOR");
export const buyerProcedure = roleProcedure("BUYER");
export const subjectProcedure = roleProcedure("SUBJECT");
export const supervisorProcedure = roleProcedure("SUPERVISOR");
export const marketAdminProcedure = roleProcedure("ADMIN");
/** Holders and developers: the supply side that answers demands. */
export const supplierProcedure = roleProcedure("HOLDER", "DEVELOPER");
