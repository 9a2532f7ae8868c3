/**
 * The marketplace's privacy floor: what no product may go below, whatever its developer
 * wrote, derived from what each holder declared when it registered the data (its sharing
 * class and each field's sensitivity). Checked when a product is made, submitted, approved
 * or resumed, and again for every query; each holder's node checks its own policy besides
 * (core/policy.ts), so the floor only ever adds refusals.
 *
 *  - Person-level data (a PERSONAL field, or a person column) and any data that is not both
 *    unconditionally shared and made only of PUBLIC or INTERNAL fields: never without
 *    differential privacy.
 *  - PERSONAL fields (person identifiers and what describes one person) are never dimensions
 *    or filters.
 *  - A market-wide minimum cohort (PRIVACY_MIN_COHORT, default 10) and an ε range per query
 *    (PRIVACY_EPSILON_MIN, default 0.05 as at the nodes, to PRIVACY_EPSILON_MAX, default 2).
 *  - ε is accounted per buyer organisation and dataset over every product built on it
 *    (PRIVACY_EPSILON_PER_DATASET per PRIVACY_PERIOD_DAYS, default 30 per 30 days).
 * Developers build products from registered resources only; a source with no registration
 * (written straight into the database) meets the market-wide minimums here, and its holder's
 * node applies the holder's own floor.
 */
import { MIN_EPSILON } from "@/core/policy";
import { SUBJECT_COLUMN } from "@/core/subject";
import type { Prisma, PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";
import type { QueryPolicy } from "./policy";

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

/** The floor's settings, read from the environment at each use (tests and operators may change them). */
export const floorSettings = () => ({
  minCohort: Math.round(num("PRIVACY_MIN_COHORT", 10)),
  epsilonMin: num("PRIVACY_EPSILON_MIN", MIN_EPSILON),
  epsilonMax: num("PRIVACY_EPSILON_MAX", 2),
  epsilonPerDataset: num("PRIVACY_EPSILON_PER_DATASET", 30),
  periodDays: Math.round(num("PRIVACY_PERIOD_DAYS", 30)),
});

type Field = { name: string; sensitivity: string };
export type FloorResource = { name: string; sharing: string; fields: unknown };

/** What a registered resource demands of any product over it. */
export function resourceFloor(r: FloorResource) {
  const fields = r.fields as Field[];
  const personal = fields.filter((f) => f.sensitivity === "PERSONAL" || f.name === SUBJECT_COLUMN).map((f) => f.name);
  const open = r.sharing === "UNCONDITIONAL" && fields.every((f) => f.sensitivity === "PUBLIC" || f.sensitivity === "INTERNAL");
  return { personLevel: personal.length > 0, dpRequired: personal.length > 0 || !open, personal };
}

/** Where a product's policy goes below the floor for these resources (empty: it does not). */
export function floorProblems(policy: QueryPolicy, resources: FloorResource[]): string[] {
  const f = floorSettings();
  const problems: string[] = [];
  if (policy.minCohort < f.minCohort) problems.push(`the minimum cohort ${policy.minCohort} is below the market's ${f.minCohort}`);
  if (policy.privacy.mode === "dp") {
    if (policy.privacy.maxEpsilonPerQuery > f.epsilonMax) problems.push(`ε ${policy.privacy.maxEpsilonPerQuery} per query is above the market's ${f.epsilonMax}`);
    if (policy.privacy.maxEpsilonPerQuery < f.epsilonMin) problems.push(`ε ${policy.privacy.maxEpsilonPerQuery} per query is below the market's ${f.epsilonMin}`);
  }
  for (const r of resources) {
    const rf = resourceFloor(r);
    if (rf.dpRequired && policy.privacy.mode !== "dp") {
      problems.push(`${r.name} ${rf.personLevel ? "holds person-level data" : "is not open data (shared only on conditions, or with sensitive fields)"}: differential privacy is required`);
    }
    for (const d of policy.dimensions) {
      if (rf.personal.includes(d.column) && (d.groupable || d.filterOps.length)) problems.push(`${d.column} is a personal field of ${r.name}: never a dimension or filter`);
    }
  }
  return [...new Set(problems)];
}

/** The registered resources behind a product's sources (its holders' declarations). */
export async function sourceResources(db: PrismaClient | Prisma.TransactionClient, sources: { nodeId: string; dataset: string }[]) {
  if (!sources.length) return [];
  return db.dataResource.findMany({
    where: { OR: sources.map((s) => ({ nodeId: s.nodeId, dataset: s.dataset })) },
    select: { id: true, name: true, sharing: true, fields: true, nodeId: true, dataset: true },
  });
}

/** Refuse a product that goes below the floor (PRIVACY_FLOOR), naming every problem. */
export async function assertFloor(db: PrismaClient | Prisma.TransactionClient, policy: QueryPolicy, sources: { nodeId: string; dataset: string }[]) {
  const problems = floorProblems(policy, await sourceResources(db, sources));
  if (problems.length) throw new AppError("BAD_INPUT", "PRIVACY_FLOOR", `Below the market's privacy floor: ${problems.join("; ")}.`);
}
