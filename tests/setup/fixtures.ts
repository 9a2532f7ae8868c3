/** Shared by the integration suites: the claims fields every demo claims resource declares, and refusal reasons. */
import { expect } from "vitest";
import { ZodError } from "zod";
import type { Database } from "@/server/db/client";
import { AppError } from "@/server/errors";

export const claimFields = [
  { name: "district", type: "string" as const, sensitivity: "INTERNAL" as const }, { name: "age", type: "integer" as const, sensitivity: "SENSITIVE" as const },
  { name: "sex", type: "string" as const, sensitivity: "INTERNAL" as const }, { name: "diagnosis", type: "string" as const, sensitivity: "SENSITIVE" as const },
  { name: "claim_amount", type: "number" as const, unit: "CNY", sensitivity: "SENSITIVE" as const },
];

/** The stable reason of the refusal a call must end in ("ZOD: <message>" for a validation error). */
export async function reason(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => null, (x: unknown) => x);
  if (e instanceof ZodError) return `ZOD: ${e.issues[0]?.message}`;
  expect(e, "expected a refusal").toBeInstanceOf(AppError);
  return (e as AppError).reason;
}

/** Ids of the demo world's organisations (by slug) and users (by email). */
export const lookups = (db: Database) => ({
  org: (slug: string) => db.prisma.organisation.findUniqueOrThrow({ where: { slug } }).then((o) => o.id),
  user: (email: string) => db.prisma.user.findUniqueOrThrow({ where: { email } }).then((u) => u.id),
});
