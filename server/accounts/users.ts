/** People: sign-up and password sign-in. */
import { randomBytes } from "node:crypto";
import { AppError } from "../errors";
import type { PrismaClient } from "../db/generated/client";
import { isUniqueViolation } from "../db/types";
import { dummyHash, hashPassword, verifyPassword } from "./password";
import { check, consume, reset } from "../http/rate-limits";
import { signUpInput, type SignUpInput } from "./schemas";

export function slugify(name: string): string {
  const ascii = name.normalize("NFKD").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 40);
  return `${ascii || "org"}-${randomBytes(3).toString("hex")}`;
}

/**
 * Create a person and the organisation they start in, in one transaction. Without an
 * organisation name this is a personal account holding the SUBJECT role (anyone may see
 * data about themselves); with one, a new organisation whose requested roles wait for a
 * market admin.
 */
export async function signUp(db: PrismaClient, raw: SignUpInput) {
  const input = signUpInput.parse(raw);
  const passwordHash = await hashPassword(input.password); // slow: outside the transaction
  try {
    return await db.$transaction(async (tx) => {
      const user = await tx.user.create({ data: { email: input.email, name: input.name, passwordHash } });
      const personal = !input.organisationName;
      const organisation = await tx.organisation.create({
        data: {
          slug: slugify(input.organisationName ?? input.name),
          name: input.organisationName ?? input.name,
          kind: personal ? "person" : "company",
          roles: personal ? ["SUBJECT"] : [],
          requestedRoles: personal ? [] : input.requestedRoles,
          memberships: { create: { userId: user.id, role: "OWNER" } },
        },
      });
      return { user: { id: user.id, email: user.email, name: user.name }, organisation };
    });
  } catch (e) {
    if (isUniqueViolation(e)) {
      throw new AppError("CONFLICT", "EMAIL_TAKEN", `An account with ${input.email} already exists. Sign in instead.`);
    }
    throw e;
  }
}

/** A person with no organisation yet (they join one by invitation or found one). */
export async function createUser(db: PrismaClient, raw: { name: string; email: string; password: string }) {
  const input = signUpInput.pick({ name: true, email: true, password: true }).parse(raw);
  const passwordHash = await hashPassword(input.password);
  try {
    const user = await db.user.create({ data: { email: input.email, name: input.name, passwordHash } });
    return { id: user.id, email: user.email, name: user.name };
  } catch (e) {
    if (isUniqueViolation(e)) throw new AppError("CONFLICT", "EMAIL_TAKEN", `An account with ${input.email} already exists. Sign in instead.`);
    throw e;
  }
}

/** Check an email and password; the same error and cost whether the email or the password is wrong. */
/**
 * Check an email and password. Rate-limited across every web process (server/http/rate-limits.ts):
 * every attempt counts against the client's address; wrong passwords count against the account,
 * and once it has had too many, it is refused without Argon2 running at all (a guessing run
 * can neither go on at full speed nor make the server spend memory on each try). A right
 * password clears the account's count.
 */
export async function authenticate(db: PrismaClient, email: string, password: string, o: { ip?: string | null } = {}) {
  const key = email.trim().toLowerCase();
  if (o.ip) await consume(db, "signInIp", o.ip);
  try {
    await check(db, "signInAccount", key);
  } catch (e) {
    throw new AppError("RATE_LIMITED", "TOO_MANY_ATTEMPTS", (e as Error).message, { retryAfterSeconds: (e as AppError).retryAfterSeconds });
  }
  const user = await db.user.findUnique({ where: { email: key } });
  const ok = await verifyPassword(user?.passwordHash ?? (await dummyHash()), password);
  if (!user || !ok) {
    await consume(db, "signInAccount", key).catch(() => {}); // the next attempt is refused if this was one too many
    throw new AppError("UNAUTHENTICATED", "WRONG_CREDENTIALS", "Wrong email or password.");
  }
  await reset(db, "signInAccount", key);
  return { id: user.id, email: user.email, name: user.name };
}

export async function findUserByEmail(db: PrismaClient, email: string) {
  return db.user.findUnique({ where: { email: email.trim().toLowerCase() }, select: { id: true, email: true, name: true } });
}
