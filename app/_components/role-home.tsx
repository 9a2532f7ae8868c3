/** A role's home: asks the role's API procedure (which checks the role) and shows its empty state. */
import type { MarketRoleName } from "@/server/accounts/roles";
import { api, getContext, unlessForbidden } from "@/server/api/rsc";
import { fill } from "../i18n/dictionaries";
import { getDictionary } from "../i18n/server";
import { Refusal } from "./refusal";
import { orgLabel } from "./shell";
import { date } from "../_lib/format";

const homeOf = {
  HOLDER: (c) => c.holder.home(), DEVELOPER: (c) => c.developer.home(), OPERATOR: (c) => c.operator.home(),
  BUYER: (c) => c.buyer.home(), SUBJECT: (c) => c.subject.home(), SUPERVISOR: (c) => c.supervisor.home(),
  ADMIN: (c) => c.admin.home(),
} satisfies Record<MarketRoleName, (c: Awaited<ReturnType<typeof api>>) => unknown>;

export async function RoleHome(props: { role: MarketRoleName; children?: React.ReactNode }) {
  const [{ t, locale }, ctx, caller] = await Promise.all([getDictionary(), getContext(), api()]);
  const home = (await unlessForbidden(homeOf[props.role](caller))) as Awaited<ReturnType<typeof homeOf.HOLDER>> | null;
  if (!home) return <Refusal ctx={ctx} role={props.role} t={t} locale={locale} />;
  const org = ctx.active!.organisation;
  const day = (d: Date | null) => (d ? date(d, locale) : t.home.never);
  return (
    <>
      <h1 data-testid="role-home">{fill(t.home.title, { role: t.roles[props.role] })}</h1>
      <dl className="panel grid">
        <div className="stat"><dt>{t.home.org}</dt><dd>{orgLabel(org, locale)}</dd></div>
        <div className="stat"><dt>{t.home.members}</dt><dd>{home.memberCount}</dd></div>
        <div className="stat"><dt>{t.home.granted}</dt><dd>{day(home.grantedAt)}</dd></div>
      </dl>
      {props.children ?? <p className="panel empty">{t.home.empty[props.role]}</p>}
    </>
  );
}
