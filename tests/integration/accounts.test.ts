import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  acceptInvitation, createOrganisation, inviteMember, listMemberships, loadActor, setMemberRole, setOrganisationRoles,
} from "@/server/accounts/organisations";
import { authenticate, createUser, signUp } from "@/server/accounts/users";
import { readThrough, type Database } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { DEMO_PASSWORD, seedDemoWorld } from "@/server/seed/demo";
import { backends } from "../setup/databases";

const rejectsWith = async (p: Promise<unknown>, reason: string) => {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e, `expected ${reason}`).toBeInstanceOf(AppError);
  expect((e as AppError).reason).toBe(reason);
};

for (const backend of backends) {
  describe.skipIf(!backend.available)(`accounts on ${backend.name}`, () => {
    let db: Database;
    beforeAll(async () => { db = await backend.open(); });
    afterAll(async () => { await db?.close(); });
    const counts = async () => ({ users: await db.prisma.user.count(), orgs: await db.prisma.organisation.count(), members: await db.prisma.membership.count() });

    it("signs a person up with a personal subject organisation", async () => {
      const { user, organisation } = await signUp(db.prisma, { name: "Qin Lan", email: "Qin.Lan@Example.com ", password: "correct horse battery" });
      expect(user.email).toBe("qin.lan@example.com");
      expect(organisation.roles).toEqual(["SUBJECT"]);
      expect((await listMemberships(db.prisma, user.id))[0]?.role).toBe("OWNER");
      expect((await authenticate(db.prisma, "qin.lan@example.com", "correct horse battery")).id).toBe(user.id);
    });

    it("refuses a duplicate email and writes nothing", async () => {
      const before = await counts();
      await rejectsWith(signUp(db.prisma, { name: "Other", email: "qin.lan@example.com", password: "another password", organisationName: "Some Org" }), "EMAIL_TAKEN");
      expect(await counts()).toEqual(before);
    });

    it("gives the same error for a wrong password and an unknown email", async () => {
      await rejectsWith(authenticate(db.prisma, "qin.lan@example.com", "wrong password!"), "WRONG_CREDENTIALS");
      await rejectsWith(authenticate(db.prisma, "nobody@example.com", "whatever password"), "WRONG_CREDENTIALS");
    });

    it("keeps requested roles of a new organisation pending until an admin grants them", async () => {
      const { organisation } = await signUp(db.prisma, { name: "Fang", email: "fang@example.com", password: "long enough pw", organisationName: "Fang Analytics", requestedRoles: ["BUYER"] });
      expect(organisation.roles).toEqual([]);
      expect(organisation.requestedRoles).toEqual(["BUYER"]);
      const granted = await setOrganisationRoles(db.prisma, { changedById: null, organisationId: organisation.id, roles: ["BUYER"], reason: "verified licence" });
      expect(granted.roles).toEqual(["BUYER"]);
      expect(granted.requestedRoles).toEqual([]);
      expect(await db.prisma.roleChange.count({ where: { organisationId: organisation.id } })).toBe(1);
    });

    it("does not let a new organisation ask to run, supervise or administer the market", async () => {
      for (const role of ["OPERATOR", "SUPERVISOR", "ADMIN"]) {
        await expect(signUp(db.prisma, { name: "Eve", email: `eve-${role}@example.com`, password: "long enough pw", organisationName: `Eve ${role}`, requestedRoles: [role as "BUYER"] })).rejects.toThrow();
      }
      expect(await db.prisma.user.count({ where: { email: { startsWith: "eve-" } } })).toBe(0);
    });

    it("invites a member, who accepts once, even when accepting twice at the same time", async () => {
      const owner = await createUser(db.prisma, { name: "Owner", email: "owner@example.com", password: "owner password" });
      const org = await createOrganisation(db.prisma, { userId: owner.id, name: "Lixia Clinic" });
      const invitee = await createUser(db.prisma, { name: "Invitee", email: "invitee@example.com", password: "invitee password" });
      const stranger = await createUser(db.prisma, { name: "Stranger", email: "stranger@example.com", password: "stranger password" });
      await rejectsWith(inviteMember(db.prisma, { actorRole: "ADMIN", organisationId: org.id, invitedById: owner.id, email: "x@example.com", role: "OWNER" }), "OWNER_ONLY");
      const inv = await inviteMember(db.prisma, { actorRole: "OWNER", organisationId: org.id, invitedById: owner.id, email: "INVITEE@example.com", role: "ADMIN" });
      await rejectsWith(acceptInvitation(db.prisma, { userId: stranger.id, invitationId: inv.id }), "INVITATION_NOT_FOUND");
      const results = await Promise.allSettled([
        acceptInvitation(db.prisma, { userId: invitee.id, invitationId: inv.id }),
        acceptInvitation(db.prisma, { userId: invitee.id, invitationId: inv.id }),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      expect(await db.prisma.membership.count({ where: { organisationId: org.id, userId: invitee.id } })).toBe(1);
      await rejectsWith(inviteMember(db.prisma, { actorRole: "OWNER", organisationId: org.id, invitedById: owner.id, email: "invitee@example.com" }), "ALREADY_MEMBER");
      // The last owner cannot step down; an admin cannot touch an owner.
      await rejectsWith(setMemberRole(db.prisma, { actorRole: "OWNER", organisationId: org.id, userId: owner.id, role: "MEMBER" }), "LAST_OWNER");
      await rejectsWith(setMemberRole(db.prisma, { actorRole: "ADMIN", organisationId: org.id, userId: owner.id, role: "MEMBER" }), "OWNER_ONLY");
      const changed = await setMemberRole(db.prisma, { actorRole: "OWNER", organisationId: org.id, userId: invitee.id, role: "MEMBER" });
      expect(changed.role).toBe("MEMBER");
    });

    it("never removes the last market admin organisation", async () => {
      await seedDemoWorld(db.prisma);
      const admin = await db.prisma.organisation.findUniqueOrThrow({ where: { slug: "jinan-big-data-bureau" } });
      await rejectsWith(setOrganisationRoles(db.prisma, { changedById: null, organisationId: admin.id, roles: ["OPERATOR"], reason: "oops" }), "LAST_ADMIN");
      expect((await db.prisma.organisation.findUniqueOrThrow({ where: { id: admin.id } })).roles).toEqual(["ADMIN"]);
    });

    it("seeds the demo world idempotently, with working demo passwords", async () => {
      const first = await seedDemoWorld(db.prisma);
      const before = await counts();
      const second = await seedDemoWorld(db.prisma);
      expect(await counts()).toEqual(before);
      expect(second).toEqual(first);
      const roles = new Set(first.flatMap((a) => a.roles));
      for (const r of ["HOLDER", "DEVELOPER", "OPERATOR", "BUYER", "SUBJECT", "SUPERVISOR", "ADMIN"]) expect(roles).toContain(r);
      await expect(authenticate(db.prisma, "bank@quancheng.example", DEMO_PASSWORD)).resolves.toMatchObject({ email: "bank@quancheng.example" });
    });

    it("reads a person and their memberships in one query exactly as the separate reads give them", async () => {
      const { user } = await signUp(db.prisma, { name: "Mu Yan", email: "mu.yan@example.com", password: "correct horse battery" });
      await createOrganisation(db.prisma, { userId: user.id, name: "Yan Analytics" }); // a second membership, newer
      const actor = await loadActor(db.read, user.id);
      expect(await loadActor(readThrough(db.prisma), user.id)).toEqual(actor); // the driver and Prisma alike
      expect(actor?.user).toEqual(await db.prisma.user.findUnique({ where: { id: user.id }, select: { id: true, email: true, name: true, locale: true } }));
      expect(actor?.memberships).toEqual(await listMemberships(db.prisma, user.id));
      expect(actor?.memberships).toHaveLength(2);
      // A person with no organisation, an unknown id and a malformed one.
      const alone = await createUser(db.prisma, { name: "Solo", email: "solo@example.com", password: "correct horse battery" });
      expect(await loadActor(db.read, alone.id)).toEqual({ user: expect.objectContaining({ id: alone.id }), memberships: [] });
      expect(await loadActor(db.read, "00000000-0000-4000-8000-000000000000")).toBeNull();
      expect(await loadActor(db.read, "not-a-uuid'; --")).toBeNull();
    });
  });
}
