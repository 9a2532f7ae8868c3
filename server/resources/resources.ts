/**
 * Resource registration (确权登记). A holder registers what it holds; registration issues a
 * certificate number. Updates make a new version (the old one is kept); retiring is final.
 * An emergency reclassification changes the sharing class temporarily, with a reason and
 * an end date, and never rewrites the registered class.
 *
 *   ACTIVE --update--> ACTIVE (version + 1)      ACTIVE --retire--> RETIRED (final)
 */
import { randomBytes } from "node:crypto";
import type { Prisma, PrismaClient } from "../db/generated/client";
import { upsertCatalogEntry } from "../catalog/catalog";
import { isUniqueViolation } from "../db/types";
import { recordEvent, textHash } from "../ledger/events";
import { commitmentAtRegistration } from "../proofs/audits";
import { canonicalJson } from "@/core/canonical-json";
import { AppError } from "../errors";
import { z as zod } from "zod";
import { fieldSchema, reclassifyInput, resourceInput, type ResourceInput } from "./schemas";

const fieldsOf = zod.array(fieldSchema);
/** Rows come back with `fields` as JSON; give callers the declared shape. */
const typed = <T extends { fields: unknown }>(r: T) => ({ ...r, fields: fieldsOf.parse(r.fields) });

type Row = Awaited<ReturnType<PrismaClient["dataResource"]["findUniqueOrThrow"]>>;

/** Keep the resource's catalog entry in step with it, in the same transaction. */
async function index(tx: Prisma.TransactionClient, r: Row) {
  const fields = fieldsOf.parse(r.fields);
  await upsertCatalogEntry(tx, {
    kind: "RESOURCE", refId: r.id, ownerOrgId: r.holderOrgId, title: r.name, titleZh: r.nameZh, summary: r.description,
    keywords: [r.domain, ...fields.flatMap((f) => [f.name.replace(/_/g, " "), f.unit ?? "", f.description ?? ""])].join(" "),
    domain: r.domain, sharing: r.sharing, updateCycle: r.updateCycle, active: r.status === "ACTIVE",
  });
  return typed(r);
}

const MAX_RECLASSIFICATION_DAYS = 90;

/** "QCR-2026-7F3A9C21": the registration certificate's number. */
const certificateNo = (now = new Date()) => `QCR-${now.getUTCFullYear()}-${randomBytes(4).toString("hex").toUpperCase()}`;

async function checkNode(db: PrismaClient | Prisma.TransactionClient, holderOrgId: string, nodeId?: string) {
  if (!nodeId) return null;
  const node = await db.computationNode.findUnique({ where: { id: nodeId } });
  if (!node || node.organisationId !== holderOrgId) throw new AppError("BAD_INPUT", "NODE_NOT_YOURS", "The computation node must be one your organisation registered.");
  return node;
}

export async function registerResource(db: PrismaClient, opts: { holderOrgId: string } & ResourceInput) {
  const input = resourceInput.parse(opts);
  const node = await checkNode(db, opts.holderOrgId, input.nodeId);
  // The node's commitment to the data goes into the certificate when the node can tell it now.
  const commitment = node && input.dataset ? await commitmentAtRegistration(db, node, input.dataset) : null;
  try {
    return await db.$transaction(async (tx) => {
      const r = await tx.dataResource.create({
        data: { ...input, fields: input.fields as Prisma.InputJsonValue, holderOrgId: opts.holderOrgId, certificateNo: certificateNo(), commitment },
      });
      await recordEvent(tx, { type: "resource.registered", actorOrgId: r.holderOrgId, objectId: r.id, data: registrationFacts(r) });
      return index(tx, r);
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new AppError("CONFLICT", "RESOURCE_NAME_TAKEN", `You already registered a resource named "${input.name}".`);
    throw e;
  }
}

/** What the ledger keeps of a registration: its certificate, version, class and a hash of the whole registration. */
function registrationFacts(r: { certificateNo: string; version: number; sharing: string; commitment: string | null; name: string; nameZh: string | null; description: string; domain: string; fields: unknown; updateCycle: string; nodeId: string | null; dataset: string | null }) {
  const registration = { name: r.name, nameZh: r.nameZh, description: r.description, domain: r.domain, fields: r.fields, updateCycle: r.updateCycle, sharing: r.sharing, nodeId: r.nodeId, dataset: r.dataset };
  return { certificateNo: r.certificateNo, version: r.version, sharing: r.sharing, commitment: r.commitment, registrationHash: textHash(canonicalJson(registration)) };
}

async function ownActive(tx: Prisma.TransactionClient, holderOrgId: string, resourceId: string) {
  const r = await tx.dataResource.findUnique({ where: { id: resourceId } });
  if (!r || r.holderOrgId !== holderOrgId) throw new AppError("NOT_FOUND", "RESOURCE_NOT_FOUND", "No such resource of your organisation.");
  if (r.status === "RETIRED") throw new AppError("CONFLICT", "RESOURCE_RETIRED", "This resource is retired: it cannot change any more.");
  return r;
}

/**
 * A new version: the previous registration is kept as a snapshot. `expectedVersion` is
 * the version the editor saw: if someone else updated meanwhile, this update is refused
 * rather than silently overwriting theirs.
 */
export async function updateResource(db: PrismaClient, opts: { holderOrgId: string; userId: string; resourceId: string; expectedVersion?: number } & ResourceInput) {
  const input = resourceInput.parse(opts);
  await checkNode(db, opts.holderOrgId, input.nodeId);
  try {
    return await db.$transaction(async (tx) => {
      const current = await ownActive(tx, opts.holderOrgId, opts.resourceId);
      if (opts.expectedVersion !== undefined && opts.expectedVersion !== current.version) {
        throw new AppError("CONFLICT", "RESOURCE_CHANGED", `The resource is at version ${current.version}, not ${opts.expectedVersion}: reload and try again.`);
      }
      const { id: _id, createdAt: _c, updatedAt: _u, ...snapshot } = current;
      await tx.resourceVersion.create({ data: { resourceId: current.id, version: current.version, snapshot: snapshot as Prisma.InputJsonValue, changedById: opts.userId } });
      // The version check makes concurrent updates of one version fail instead of overwriting each other.
      const moved = await tx.dataResource.updateMany({
        where: { id: current.id, version: current.version },
        data: { ...input, nodeId: input.nodeId ?? null, dataset: input.dataset ?? null, fields: input.fields as Prisma.InputJsonValue, version: current.version + 1 },
      });
      if (moved.count !== 1) throw new AppError("CONFLICT", "RESOURCE_CHANGED", "The resource changed meanwhile: reload and try again.");
      const r = await tx.dataResource.findUniqueOrThrow({ where: { id: current.id } });
      await recordEvent(tx, { type: "resource.changed", actorOrgId: r.holderOrgId, objectId: r.id, data: registrationFacts(r) });
      return index(tx, r);
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new AppError("CONFLICT", "RESOURCE_CHANGED", "The resource changed meanwhile, or the name is taken: reload and try again.");
    throw e;
  }
}

export async function retireResource(db: PrismaClient, opts: { holderOrgId: string; resourceId: string }) {
  return db.$transaction(async (tx) => {
    await ownActive(tx, opts.holderOrgId, opts.resourceId);
    const r = await tx.dataResource.update({ where: { id: opts.resourceId }, data: { status: "RETIRED", retiredAt: new Date() } });
    await recordEvent(tx, { type: "resource.retired", actorOrgId: r.holderOrgId, objectId: r.id, data: { version: r.version } });
    return index(tx, r);
  });
}

/** Temporarily change the sharing class in an emergency; the reason and end are kept. */
export async function reclassifyResource(db: PrismaClient, opts: { holderOrgId: string; userId: string; now?: Date } & zod.input<typeof reclassifyInput>) {
  const input = reclassifyInput.parse(opts);
  const now = opts.now ?? new Date();
  if (input.endsAt <= now) throw new AppError("BAD_INPUT", "END_IN_PAST", "The reclassification must end in the future.");
  if (input.endsAt.getTime() - now.getTime() > MAX_RECLASSIFICATION_DAYS * 86_400_000) {
    throw new AppError("BAD_INPUT", "TOO_LONG", `An emergency reclassification lasts at most ${MAX_RECLASSIFICATION_DAYS} days; change the registration instead.`);
  }
  return db.$transaction(async (tx) => {
    const r = await ownActive(tx, opts.holderOrgId, input.resourceId);
    const from = effectiveSharing(r.sharing, await activeReclassification(tx, r.id, now));
    if (from === input.to) throw new AppError("CONFLICT", "SAME_CLASS", "The resource already has this sharing class.");
    // One emergency at a time: a new one ends the previous.
    await tx.reclassification.updateMany({ where: { resourceId: r.id, endedAt: null, endsAt: { gt: now } }, data: { endedAt: now } });
    const created = await tx.reclassification.create({ data: { resourceId: r.id, fromClass: from, toClass: input.to, reason: input.reason, startsAt: now, endsAt: input.endsAt, createdById: opts.userId } });
    await recordEvent(tx, {
      type: "resource.reclassified", actorOrgId: r.holderOrgId, objectId: r.id,
      data: { from, to: input.to, endsAt: input.endsAt.toISOString(), reasonHash: textHash(input.reason) },
    });
    // The catalog keeps the registered class (an emergency is temporary); the resource's own
    // pages and the approval flow use effectiveSharing.
    return created;
  });
}

export async function activeReclassification(db: PrismaClient | Prisma.TransactionClient, resourceId: string, now = new Date()) {
  return db.reclassification.findFirst({
    where: { resourceId, endedAt: null, startsAt: { lte: now }, endsAt: { gt: now } },
    orderBy: { startsAt: "desc" },
  });
}

export function effectiveSharing<T extends string>(registered: T, active: { toClass: string } | null): T {
  return (active?.toClass as T) ?? registered;
}

export async function listResources(db: PrismaClient, holderOrgId: string, now = new Date()) {
  const rows = await db.dataResource.findMany({
    where: { holderOrgId }, orderBy: { createdAt: "asc" },
    include: { reclassifications: { where: { endedAt: null, startsAt: { lte: now }, endsAt: { gt: now } }, orderBy: { startsAt: "desc" }, take: 1 } },
  });
  return rows.map(({ reclassifications, ...r }) => ({ ...typed(r), effectiveSharing: effectiveSharing(r.sharing, reclassifications[0] ?? null), emergency: reclassifications[0] ?? null }));
}
