import { api, unlessForbidden } from "@/server/api/rsc";
import { RoleHome } from "../../_components/role-home";
import { orgLabel } from "../../_components/shell";
import { getDictionary } from "../../i18n/server";
import { RoleEditor } from "./role-editor";

export default async function AdminPage() {
  const [{ t, locale }, caller] = await Promise.all([getDictionary(), api()]);
  // RoleHome shows the refusal when the role is missing; the list needs the same role.
  const orgs = await unlessForbidden(caller.admin.organisations());
  return (
    <RoleHome role="ADMIN">
      {orgs && (
        <section className="panel">
          <h2>{t.admin.title}</h2>
          <table>
            <thead><tr><th>{t.org.name}</th><th>{t.admin.members}</th><th>{t.admin.requested}</th><th>{t.org.roles}</th></tr></thead>
            <tbody>
              {orgs.map((o) => (
                <tr key={o.id} data-testid={`org-${o.slug}`}>
                  <td>{orgLabel(o, locale)}<div className="muted">{o.slug}</div></td>
                  <td>{o.memberCount}</td>
                  <td className="chips">{o.requestedRoles.map((r) => <span className="chip" key={r}>{t.roles[r]}</span>)}</td>
                  <td><RoleEditor organisationId={o.id} roles={o.roles} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </RoleHome>
  );
}
