import { api, getContext } from "@/server/api/rsc";
import { fill } from "../../i18n/dictionaries";
import { orgLabel } from "../../_components/shell";
import { getDictionary } from "../../i18n/server";
import { AcceptInvitation, NewOrganisationForm } from "./forms";

export default async function AccountPage() {
  const [{ t, locale }, ctx, caller] = await Promise.all([getDictionary(), getContext(), api()]);
  const invitations = await caller.account.invitations();
  const pending = ctx.active && ctx.active.organisation.roles.length === 0 ? ctx.active.organisation.requestedRoles : null;
  return (
    <>
      <h1>{t.account.title}: {ctx.user!.name} <span className="muted" style={{ fontSize: "1rem" }}>{ctx.user!.email}</span></h1>
      {pending && (
        <p className="panel empty" data-testid="pending-roles">
          {fill(t.home.pending, { roles: pending.length ? pending.map((r) => t.roles[r]).join(", ") : "—" })}
        </p>
      )}
      <section className="panel">
        <h2>{t.account.memberships}</h2>
        <table>
          <tbody>
            {ctx.memberships.map((m) => (
              <tr key={m.organisation.id}>
                <td>{orgLabel(m.organisation, locale)}</td>
                <td>{t.memberRoles[m.role]}</td>
                <td className="chips">{m.organisation.roles.map((r) => <span className="chip" key={r}>{t.roles[r]}</span>)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="panel">
        <h2>{t.account.invitations}</h2>
        {invitations.length === 0 ? <p className="muted">{t.account.noInvitations}</p> : (
          <table><tbody>
            {invitations.map((i) => (
              <tr key={i.id}><td>{orgLabel(i.organisation, locale)}</td><td>{t.memberRoles[i.role]}</td><td><AcceptInvitation id={i.id} /></td></tr>
            ))}
          </tbody></table>
        )}
      </section>
      <section className="panel">
        <h2>{t.account.newOrg}</h2>
        <NewOrganisationForm />
      </section>
    </>
  );
}
