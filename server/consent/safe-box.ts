/**
 * A person's view of who asked for their records: the safe box (every request and delivery)
 * and one request as the consent page shows it, with the names the person recognises (the
 * buyer, the holder, the resource, each field by the holder's description) and whether the
 * supervisor has suspended the buyer.
 */
import type { Prisma, PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";

const requestSelect = {
  id: true, subjectRef: true, resourceId: true, buyerOrgId: true, fields: true, purpose: true, validUntil: true, uses: true, usesLeft: true,
  status: true, createdAt: true, decidedAt: true, refusal: true,
} as const;
type Row = Prisma.ConsentRequestGetPayload<{ select: typeof requestSelect }>;

async function describe(db: PrismaClient, requests: Row[]) {
  const [orgs, resources, suspended] = await Promise.all([
    db.organisation.findMany({ where: { id: { in: requests.map((r) => r.buyerOrgId) } }, select: { id: true, name: true, nameZh: true } }),
    db.dataResource.findMany({ where: { id: { in: requests.map((r) => r.resourceId) } },
      select: { id: true, name: true, nameZh: true, fields: true, holder: { select: { name: true, nameZh: true } } } }),
    db.suspension.findMany({ where: { targetId: { in: requests.map((r) => r.buyerOrgId) }, liftedAt: null }, select: { targetId: true } }),
  ]);
  return requests.map(({ buyerOrgId, ...r }) => {
    const res = resources.find((x) => x.id === r.resourceId);
    const described = new Map((res?.fields as { name: string; description?: string; label?: string; labelZh?: string }[] | undefined ?? []).map((f) => [f.name, f]));
    const buyer = orgs.find((o) => o.id === buyerOrgId);
    return {
      ...r,
      buyer: buyer?.name ?? "—", buyerZh: buyer?.nameZh ?? null, resource: res?.name ?? "—", resourceZh: res?.nameZh ?? null,
      holder: res?.holder.name ?? "—", holderZh: res?.holder.nameZh ?? null,
      fieldLabels: r.fields.map((f: string) => ({ name: f, label: described.get(f)?.label ?? described.get(f)?.description ?? null, labelZh: described.get(f)?.labelZh ?? null })),
      buyerSuspended: suspended.some((s) => s.targetId === buyerOrgId),
    };
  });
}

async function subjectRefOf(db: PrismaClient, userId: string) {
  return (await db.subjectIdentity.findUnique({ where: { userId } }))?.subjectRef ?? null;
}

export async function safeBox(db: PrismaClient, userId: string) {
  const subjectRef = await subjectRefOf(db, userId);
  if (!subjectRef) return { subjectRef: null, requests: [], deliveries: [] };
  const requests = await db.consentRequest.findMany({ where: { subjectRef }, orderBy: { createdAt: "desc" }, take: 200, select: requestSelect });
  const [described, deliveries] = await Promise.all([
    describe(db, requests),
    db.envelopeDelivery.findMany({ where: { requestId: { in: requests.map((r) => r.id) } }, orderBy: { deliveredAt: "desc" }, select: { requestId: true, envelopeHash: true, ledgerEntryId: true, deliveredAt: true } }),
  ]);
  return { subjectRef, requests: described, deliveries };
}

/** One request addressed to this person (anyone else's looks like a missing one). */
export async function requestForPerson(db: PrismaClient, o: { userId: string; requestId: string }) {
  const subjectRef = await subjectRefOf(db, o.userId);
  const r = subjectRef ? await db.consentRequest.findUnique({ where: { id: o.requestId }, select: requestSelect }) : null;
  if (!r || r.subjectRef !== subjectRef) throw new AppError("NOT_FOUND", "REQUEST_NOT_FOUND", "No request addressed to you has this id.");
  const resource = await db.dataResource.findUnique({ where: { id: r.resourceId }, select: { nodeId: true } });
  return { ...(await describe(db, [r]))[0]!, nodeId: resource?.nodeId ?? null };
}
