/**
 * Rate limits that hold across every web process: counters in the marketplace's database
 * (rate-limiter-flexible's Prisma store over the `rate_limits` table), so ten web processes
 * behind a load balancer allow what one does. A refusal is an AppError RATE_LIMITED with the
 * seconds to wait, answered as 429 with Retry-After by every HTTP surface.
 *
 * Per address (sign-in, sign-up) and per account (wrong passwords, invitations, consent
 * requests, API token calls). docs/operations.md ("Rate limits") lists them and how the
 * client address is found behind a proxy.
 */
import type { PrismaClient } from "../db/generated/client";
import { RateLimiterPrisma, RateLimiterRes } from "rate-limiter-flexible";
import { AppError } from "../errors";

export const LIMITS = {
  /** Every sign-in attempt from one address. */
  signInIp: { points: 60, duration: 60, what: "sign-in attempts from this address" },
  /** Wrong passwords for one account (counted on failure only; a right password clears them). */
  signInAccount: { points: 10, duration: 15 * 60, what: "wrong passwords for this account" },
  /** New accounts from one address. */
  signUpIp: { points: 10, duration: 60 * 60, what: "new accounts from this address" },
  /** Invitations one person sends. */
  invitations: { points: 50, duration: 60 * 60, what: "invitations from this account" },
  /** Consent requests one person sends (each one reaches a person). */
  consentRequests: { points: 200, duration: 60 * 60, what: "consent requests from this account" },
  /** Calls with one API token. */
  apiToken: { points: 600, duration: 60, what: "calls with this API token" },
} as const;
export type LimitName = keyof typeof LIMITS;

/** RATE_LIMIT_FACTOR multiplies every allowance (the load benchmark signs in hundreds of users from one address). */
const factor = () => Math.max(1, Number(process.env.RATE_LIMIT_FACTOR ?? 1) || 1);

const limiters = new WeakMap<PrismaClient, Map<LimitName, RateLimiterPrisma>>();
function limiter(db: PrismaClient, name: LimitName): RateLimiterPrisma {
  let byName = limiters.get(db);
  if (!byName) limiters.set(db, (byName = new Map()));
  let l = byName.get(name);
  if (!l) {
    const { points, duration } = LIMITS[name];
    // Expired rows are swept by sweepExpired (the store's own timer would outlive the client).
    l = new RateLimiterPrisma({ storeClient: db, tableName: "rateLimit", keyPrefix: name, points: points * factor(), duration, clearExpiredByTimeout: false });
    byName.set(name, l);
  }
  return l;
}

function refusal(name: LimitName, res: RateLimiterRes): AppError {
  const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return new AppError("RATE_LIMITED", "TOO_MANY_REQUESTS", `Too many ${LIMITS[name].what}: try again in ${seconds} s.`, { retryAfterSeconds: seconds });
}

/** Count one use of `name` by `subject`; throws RATE_LIMITED (with Retry-After) once the allowance is spent. */
export async function consume(db: PrismaClient, name: LimitName, subject: string, points = 1): Promise<void> {
  try {
    await limiter(db, name).consume(subject, points);
  } catch (e) {
    if (e instanceof RateLimiterRes) throw refusal(name, e);
    throw e; // the database itself failed: the caller's 503 path handles it
  }
  if (Math.random() < 0.002) void sweepExpired(db).catch(() => {});
}

/** Throws RATE_LIMITED if `subject` has already spent its allowance, without counting a use. */
export async function check(db: PrismaClient, name: LimitName, subject: string): Promise<void> {
  const res = await limiter(db, name).get(subject);
  if (res && res.consumedPoints >= LIMITS[name].points * factor()) throw refusal(name, res);
}

/** Forget `subject`'s count (a right password clears the wrong ones). */
export async function reset(db: PrismaClient, name: LimitName, subject: string): Promise<void> {
  await limiter(db, name).delete(subject);
}

/** Delete counters whose window ended more than an hour ago. */
export async function sweepExpired(db: PrismaClient): Promise<number> {
  return (await db.rateLimit.deleteMany({ where: { expire: { lt: new Date(Date.now() - 3_600_000) } } })).count;
}

/**
 * The client's address: the last X-Forwarded-For entry, i.e. the one the nearest proxy added
 * (Next.js sets it from the socket when no proxy did). TRUST_PROXY_HOPS=n takes the n-th from
 * the right, for a chain of n trusted proxies.
 */
export function clientIp(headers: Headers): string | null {
  const chain = (headers.get("x-forwarded-for") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  const hops = Math.max(1, Number(process.env.TRUST_PROXY_HOPS ?? 1) || 1);
  const ip = chain.at(-hops) ?? chain[0] ?? headers.get("x-real-ip");
  return ip ? ip.slice(0, 64) : null;
}
