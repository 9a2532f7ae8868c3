/**
 * The demo world: Jinan's public-data marketplace with one organisation per role.
 * Built only through the domain functions, so it is made the way users make things.
 * Idempotent: running it again changes nothing and prints the same accounts.
 */
import type { PrismaClient } from "../db/generated/client";
import { acceptInvitation, createOrganisation, inviteMember, setOrganisationRoles } from "../accounts/organisations";
import type { MarketRoleName, MemberRoleName, RequestableRole } from "../accounts/roles";
import { createUser, findUserByEmail, signUp } from "../accounts/users";

export const DEMO_PASSWORD = "quancheng-demo-2026";

type DemoOrg = {
  slug: string; name: string; nameZh: string; roles: MarketRoleName[]; requestedRoles?: RequestableRole[];
  people: { email: string; name: string; role: MemberRoleName }[];
};

export const demoOrganisations: DemoOrg[] = [
  { slug: "jinan-big-data-bureau", name: "Jinan Big Data Bureau", nameZh: "济南市大数据局", roles: ["ADMIN"],
    people: [{ email: "admin@quancheng.example", name: "Zhao Lei 赵磊", role: "OWNER" }] },
  { slug: "quancheng-data-operations", name: "Quancheng Public Data Operations Co.", nameZh: "泉城公共数据运营有限公司", roles: ["OPERATOR"],
    people: [{ email: "operator@quancheng.example", name: "Wang Fang 王芳", role: "OWNER" },
      { email: "admin@quancheng.example", name: "Zhao Lei 赵磊", role: "ADMIN" }] },
  { slug: "jinan-data-supervision", name: "Jinan Data Circulation Supervision Office", nameZh: "济南市数据流通监管办公室", roles: ["SUPERVISOR"],
    people: [{ email: "supervisor@quancheng.example", name: "Sun Min 孙敏", role: "OWNER" }] },
  { slug: "jinan-tax", name: "Jinan Municipal Tax Service", nameZh: "济南市税务局", roles: ["HOLDER"],
    people: [{ email: "tax@quancheng.example", name: "Liu Yang 刘洋", role: "OWNER" }] },
  { slug: "jinan-social-security", name: "Jinan Social Insurance Center", nameZh: "济南市社会保险事业中心", roles: ["HOLDER"],
    people: [{ email: "social@quancheng.example", name: "Chen Jing 陈静", role: "OWNER" }] },
  { slug: "jinan-housing-fund", name: "Jinan Housing Provident Fund Center", nameZh: "济南住房公积金中心", roles: ["HOLDER"],
    people: [{ email: "housing@quancheng.example", name: "Yang Tao 杨涛", role: "OWNER" }] },
  { slug: "jinan-central-hospital", name: "Jinan Central Hospital", nameZh: "济南市中心医院", roles: ["HOLDER"],
    people: [{ email: "central-hospital@quancheng.example", name: "Huang Li 黄丽", role: "OWNER" }] },
  { slug: "jinan-second-hospital", name: "Jinan No. 2 People's Hospital", nameZh: "济南市第二人民医院", roles: ["HOLDER"],
    people: [{ email: "second-hospital@quancheng.example", name: "Zhou Qiang 周强", role: "OWNER" }] },
  { slug: "licheng-district-hospital", name: "Licheng District People's Hospital", nameZh: "历城区人民医院", roles: ["HOLDER"],
    people: [{ email: "licheng-hospital@quancheng.example", name: "Wu Xia 吴霞", role: "OWNER" }] },
  { slug: "baotu-data-studio", name: "Baotu Data Product Studio", nameZh: "趵突数据产品工作室", roles: ["DEVELOPER"],
    people: [{ email: "developer@quancheng.example", name: "Xu Ming 徐明", role: "OWNER" }] },
  { slug: "quancheng-bank", name: "Quancheng Commercial Bank", nameZh: "泉城商业银行", roles: ["BUYER"],
    people: [{ email: "bank@quancheng.example", name: "Ma Jun 马骏", role: "OWNER" },
      { email: "loan-officer@quancheng.example", name: "He Yun 何云", role: "MEMBER" }] },
  { slug: "mingshui-insurance", name: "Mingshui Mutual Insurance", nameZh: "明水相互保险", roles: ["BUYER"],
    people: [{ email: "insurer@quancheng.example", name: "Guo Hua 郭华", role: "OWNER" }] },
  { slug: "daming-lake-analytics", name: "Daming Lake Analytics", nameZh: "大明湖数据分析", roles: [], requestedRoles: ["BUYER", "DEVELOPER"],
    people: [{ email: "analyst@quancheng.example", name: "Lin Feng 林峰", role: "OWNER" }] },
];

/** Citizens: personal accounts, each holding the data-subject role over their own records. */
export const demoCitizens = [
  { email: "zhang.wei@quancheng.example", name: "Zhang Wei 张伟", subjectRef: "QC-SUBJ-0001" },
  { email: "li.na@quancheng.example", name: "Li Na 李娜", subjectRef: "QC-SUBJ-0002" },
];

export type DemoAccount = { email: string; name: string; organisations: string[]; roles: MarketRoleName[] };

export async function seedDemoWorld(db: PrismaClient): Promise<DemoAccount[]> {
  const ensureUser = async (email: string, name: string) =>
    (await findUserByEmail(db, email)) ?? (await createUser(db, { email, name, password: DEMO_PASSWORD }));

  for (const org of demoOrganisations) {
    const [owner, ...others] = org.people;
    if (!owner) continue;
    const ownerUser = await ensureUser(owner.email, owner.name);
    let o = await db.organisation.findUnique({ where: { slug: org.slug }, select: { id: true, roles: true } });
    if (!o) {
      o = await createOrganisation(db, { userId: ownerUser.id, slug: org.slug, name: org.name, nameZh: org.nameZh, requestedRoles: org.requestedRoles });
    }
    const want = [...org.roles].sort();
    if (want.join() !== [...o.roles].sort().join()) {
      await setOrganisationRoles(db, { changedById: null, organisationId: o.id, roles: want, reason: "Demo world set-up" });
    }
    for (const p of others) {
      const u = await ensureUser(p.email, p.name);
      const member = await db.membership.findUnique({ where: { userId_organisationId: { userId: u.id, organisationId: o.id } } });
      if (member) continue;
      const inv = await inviteMember(db, { actorRole: "OWNER", organisationId: o.id, invitedById: ownerUser.id, email: p.email, role: p.role });
      await acceptInvitation(db, { userId: u.id, invitationId: inv.id });
    }
  }
  for (const c of demoCitizens) {
    if (!(await findUserByEmail(db, c.email))) await signUp(db, { email: c.email, name: c.name, password: DEMO_PASSWORD });
    // Their identity is verified in the demo: holders know them by this opaque identifier.
    const u = await findUserByEmail(db, c.email);
    await db.subjectIdentity.upsert({ where: { userId: u!.id }, create: { userId: u!.id, subjectRef: c.subjectRef }, update: {} });
  }
  return listDemoAccounts(db);
}

export async function listDemoAccounts(db: PrismaClient): Promise<DemoAccount[]> {
  const emails = [...new Set([...demoOrganisations.flatMap((o) => o.people.map((p) => p.email)), ...demoCitizens.map((c) => c.email)])];
  const users = await db.user.findMany({
    where: { email: { in: emails } },
    select: { email: true, name: true, memberships: { orderBy: { createdAt: "asc" }, select: { organisation: { select: { name: true, roles: true } } } } },
  });
  return emails.flatMap((email) => {
    const u = users.find((x) => x.email === email);
    if (!u) return [];
    return [{
      email, name: u.name,
      organisations: u.memberships.map((m) => m.organisation.name),
      roles: [...new Set(u.memberships.flatMap((m) => m.organisation.roles))],
    }];
  });
}
