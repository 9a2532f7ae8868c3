import { canManageMembers } from "@/server/accounts/roles";
import { api, getContext } from "@/server/api/rsc";
import { orgLabel } from "../../_components/shell";
import { getDictionary } from "../../i18n/server";
import { ApiTokens, InviteForm, MemberRoleSelect } from "./forms";
import { date } from "../../_lib/format";

export default async function OrganisationPage() {
  const [{ t, locale }, ctx, caller] = await Promise.all([getDictionary(), getContext(), api()]);
  if (!ctx.active) return <p className="panel empty">{t.refusal.advice}</p>;
  const { members, invitations } = await caller.organisation.members();
  const admin = canManageMembers(ctx.active.role);
  const org = ctx.active.organisation;
  const day = (d: Date) => date(d, locale);
  return (
    <>
      <h1>{orgLabel(org, locale)}</h1>
      <p className="chips" aria-label={t.org.roles}>
        {org.roles.length ? org.roles.map((r) => <span className="chip" key={r}>{t.roles[r]}</span>) : <span className="muted">{t.shell.noRoles}</span>}
      </p>
      <section className="panel">
        <h2>{t.org.members}</h2>
        <table>
          <thead><tr><th>{t.org.name}</th><th>{t.org.email}</th><th>{t.org.role}</th><th>{t.org.since}</th></tr></thead>
          <tbody>
            {members.map((m) => (
              <tr key={m.id}>
                <td>{m.name}</td><td>{m.email}</td>
                <td>{admin && m.id !== ctx.user!.id ? <MemberRoleSelect userId={m.id} role={m.role} /> : t.memberRoles[m.role]}</td>
                <td>{day(m.since)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="panel">
        <h2>{t.org.invite}</h2>
        {admin ? <InviteForm canInviteOwner={ctx.active.role === "OWNER"} /> : <p className="muted">{t.org.onlyAdmins}</p>}
        {invitations.length > 0 && (
          <>
            <h2>{t.org.pendingInvites}</h2>
            <table>
              <thead><tr><th>{t.org.email}</th><th>{t.org.role}</th><th>{t.org.expires}</th></tr></thead>
              <tbody>{invitations.map((i) => <tr key={i.id}><td>{i.email}</td><td>{t.memberRoles[i.role]}</td><td>{day(i.expiresAt)}</td></tr>)}</tbody>
            </table>
          </>
        )}
      </section>
      {admin && (
        <section className="panel">
          <h2>{t.org.tokens}</h2>
          <p className="muted">{t.org.tokensHint}</p>
          <ApiTokens roles={org.roles} />
        </section>
      )}
    </>
  );
}
