/** Organisations, their members, invitations, and the market roles they hold. */
import { z } from "zod";
import { AppError } from "../errors";
import type { SqlRead } from "../db/client";
import { Prisma, type PrismaClient } from "../db/generated/client";
import { isUniqueViolation } from "../db/types";
import type { MarketRoleName, MemberRoleName } from "./roles";
import { createOrganisationInput, inviteInput, setMemberRoleInput, setOrganisationRolesInput } from "./schemas";
import { slugify } from "./users";

const INVITATION_DAYS = 14;

const orgSelect = { id: true, slug: true, name: true, nameZh: true, kind: true, roles: true, requestedRoles: true } as const;

export type OrganisationSummary = {
  id: string; slug: string; name: string; nameZh: string | null; kind: string;
  roles: MarketRoleName[]; requestedRoles: MarketRoleName[];
};
export type MembershipSummary = { organisation: OrganisationSummary; role: MemberRoleName };

/** The organisations a person belongs to, oldest first (the first is the default). */
export async function listMemberships(db: PrismaClient, userId: string): Promise<MembershipSummary[]> {
  const rows = await db.membership.findMany({
    where: { userId },
    orderBy: { createdAt: "asc" },
    select: { role: true, organisation: { select: orgSelect } },
  });
  return rows;
}

type ActorRow = {
  userId: string; email: string; name: string; locale: string;
  memberRole: MemberRoleName | null; orgId: string | null; slug: string; orgName: string; nameZh: string | null; kind: string; roles: MarketRoleName[]; requestedRoles: MarketRoleName[];
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A signed-in person and their memberships (as listMemberships gives them) in one round trip:
 * every API request reads both, so this is one query instead of three, on the driver directly
 * (Database.read). Null if there is no such person.
 */
export async function loadActor(read: SqlRead, userId: string): Promise<{ user: { id: string; email: string; name: string; locale: string }; memberships: MembershipSummary[] } | null> {
  if (!UUID.test(userId)) return null;
  const rows = await read<ActorRow>(Prisma.sql`SELECT u."id"::text AS "userId", u."email", u."name", u."locale",
      m."role"::text AS "memberRole", o."id"::text AS "orgId", o."slug", o."name" AS "orgName", o."nameZh", o."kind"::text AS "kind",
      coalesce(o."roles"::text[], '{}') AS "roles", coalesce(o."requestedRoles"::text[], '{}') AS "requestedRoles"
    FROM "User" u
    LEFT JOIN "Membership" m ON m."userId" = u."id"
    LEFT JOIN "Organisation" o ON o."id" = m."organisationId"
    WHERE u."id" = ${userId}::uuid
    ORDER BY m."createdAt" ASC`);
  const first = rows[0];
  if (!first) return null;
  return {
    user: { id: first.userId, email: first.email, name: first.name, locale: first.locale },
    memberships: rows.filter((r) => r.orgId !== null).map((r) => ({
      role: r.memberRole!,
      organisation: { id: r.orgId!, slug: r.slug, name: r.orgName, nameZh: r.nameZh, kind: r.kind, roles: r.roles, requestedRoles: r.requestedRoles },
    })),
  };
}

/** A person who is already signed in founds another organisation; they become its owner. */
export async function createOrganisation(
  db: PrismaClient,
  opts: { userId: string; slug?: string } & z.input<typeof createOrganisationInput>,
) {
  const input = createOrganisationInput.parse(opts);
  try {
    return await db.organisation.create({
      data: {
        slug: opts.slug ?? slugify(input.name),
        name: input.name,
        nameZh: input.nameZh,
        requestedRoles: input.requestedRoles,
        memberships: { create: { userId: opts.userId, role: "OWNER" } },
      },
      select: orgSelect,
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new AppError("CONFLICT", "ORG_SLUG_TAKEN", `An organisation with the address "${opts.slug}" exists.`);
    throw e;
  }
}

export async function listMembers(db: PrismaClient, organisationId: string) {
  const rows = await db.membership.findMany({
    where: { organisationId },
    orderBy: { createdAt: "asc" },
    select: { role: true, createdAt: true, user: { select: { id: true, name: true, email: true } } },
  });
  const invitations = await db.invitation.findMany({
    where: { organisationId, acceptedAt: null, expiresAt: { gt: new Date() } },
    orderBy: { createdAt: "asc" },
    select: { id: true, email: true, role: true, expiresAt: true },
  });
  return { members: rows.map((r) => ({ ...r.user, role: r.role, since: r.createdAt })), invitations };
}

/**
 * Invite a person by email to the actor's organisation. Inviting again renews the
 * invitation. Only an owner may invite another owner.
 */
export async function inviteMember(
  db: PrismaClient,
  opts: { actorRole: MemberRoleName; organisationId: string; invitedById: string } & z.input<typeof inviteInput>,
) {
  const input = inviteInput.parse(opts);
  if (input.role === "OWNER" && opts.actorRole !== "OWNER") {
    throw new AppError("FORBIDDEN", "OWNER_ONLY", "Only an owner can invite another owner.");
  }
  const existing = await db.membership.findFirst({
    where: { organisationId: opts.organisationId, user: { email: input.email } },
  });
  if (existing) throw new AppError("CONFLICT", "ALREADY_MEMBER", `${input.email} is already a member.`);
  const expiresAt = new Date(Date.now() + INVITATION_DAYS * 86_400_000);
  return db.invitation.upsert({
    where: { organisationId_email: { organisationId: opts.organisationId, email: input.email } },
    create: { organisationId: opts.organisationId, email: input.email, role: input.role, invitedById: opts.invitedById, expiresAt },
    update: { role: input.role, invitedById: opts.invitedById, expiresAt, acceptedAt: null },
    select: { id: true, email: true, role: true, expiresAt: true },
  });
}

/** Invitations waiting for the person with this email. */
export async function listInvitationsFor(db: PrismaClient, email: string) {
  return db.invitation.findMany({
    where: { email, acceptedAt: null, expiresAt: { gt: new Date() } },
    select: { id: true, role: true, expiresAt: true, organisation: { select: { id: true, name: true, nameZh: true } } },
  });
}

export async function acceptInvitation(db: PrismaClient, opts: { userId: string; invitationId: string }) {
  return db.$transaction(async (tx) => {
    const user = await tx.user.findUniqueOrThrow({ where: { id: opts.userId } });
    const inv = await tx.invitation.findUnique({ where: { id: opts.invitationId } });
    if (!inv || inv.email !== user.email) {
      throw new AppError("NOT_FOUND", "INVITATION_NOT_FOUND", "No invitation with this id is addressed to you.");
    }
    if (inv.expiresAt <= new Date()) throw new AppError("CONFLICT", "INVITATION_EXPIRED", "This invitation has expired: ask for a new one.");
    // Claim it atomically: of two concurrent accepts, one wins.
    const claimed = await tx.invitation.updateMany({ where: { id: inv.id, acceptedAt: null }, data: { acceptedAt: new Date() } });
    if (claimed.count !== 1) throw new AppError("CONFLICT", "INVITATION_USED", "This invitation was already accepted.");
    await tx.membership.create({ data: { userId: user.id, organisationId: inv.organisationId, role: inv.role } });
    return { organisationId: inv.organisationId, role: inv.role };
  });
}

/** Change a member's role inside the organisation; the last owner cannot be demoted. */
export async function setMemberRole(
  db: PrismaClient,
  opts: { actorRole: MemberRoleName; organisationId: string } & z.input<typeof setMemberRoleInput>,
) {
  const input = setMemberRoleInput.parse(opts);
  return db.$transaction(async (tx) => {
    const target = await tx.membership.findUnique({
      where: { userId_organisationId: { userId: input.userId, organisationId: opts.organisationId } },
    });
    if (!target) throw new AppError("NOT_FOUND", "NOT_A_MEMBER", "That person is not a member of this organisation.");
    if ((target.role === "OWNER" || input.role === "OWNER") && opts.actorRole !== "OWNER") {
      throw new AppError("FORBIDDEN", "OWNER_ONLY", "Only an owner can make or unmake an owner.");
    }
    if (target.role === "OWNER" && input.role !== "OWNER") {
      const owners = await tx.membership.count({ where: { organisationId: opts.organisationId, role: "OWNER" } });
      if (owners <= 1) throw new AppError("CONFLICT", "LAST_OWNER", "An organisation needs at least one owner: make someone else owner first.");
    }
    return tx.membership.update({
      where: { userId_organisationId: { userId: input.userId, organisationId: opts.organisationId } },
      data: { role: input.role },
      select: { userId: true, role: true },
    });
  });
}

/** Every organisation, for market admins, with what each asked for. */
export async function listOrganisations(db: PrismaClient) {
  const rows = await db.organisation.findMany({
    orderBy: { createdAt: "asc" },
    select: { ...orgSelect, _count: { select: { memberships: true } } },
  });
  return rows.map(({ _count, ...o }) => ({ ...o, memberCount: _count.memberships }));
}

/**
 * Grant or withdraw market roles (market admins only, or the system while seeding).
 * Every change is kept with who made it and why. The marketplace must keep at least
 * one admin organisation, or nobody could grant roles again.
 */
export async function setOrganisationRoles(
  db: PrismaClient,
  opts: { changedById: string | null } & z.input<typeof setOrganisationRolesInput>,
) {
  const input = setOrganisationRolesInput.parse(opts);
  return db.$transaction(async (tx) => {
    const org = await tx.organisation.findUnique({ where: { id: input.organisationId } });
    if (!org) throw new AppError("NOT_FOUND", "ORG_NOT_FOUND", "No such organisation.");
    if (org.roles.includes("ADMIN") && !input.roles.includes("ADMIN")) {
      const [row] = await tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM "Organisation" WHERE 'ADMIN' = ANY("roles")`;
      if ((row?.n ?? 0) <= 1) throw new AppError("CONFLICT", "LAST_ADMIN", "This is the only market admin organisation: grant ADMIN to another first.");
    }
    const updated = await tx.organisation.update({
      where: { id: org.id },
      data: { roles: input.roles, requestedRoles: org.requestedRoles.filter((r) => !input.roles.includes(r)) },
      select: orgSelect,
    });
    await tx.roleChange.create({
      data: { organisationId: org.id, changedById: opts.changedById, before: org.roles, after: input.roles, reason: input.reason },
    });
    return updated;
  });
}
