import { api, getContext, unlessForbidden } from "@/server/api/rsc";
import { Refusal } from "../../../_components/refusal";
import { fill } from "../../../i18n/dictionaries";
import { getDictionary } from "../../../i18n/server";
import { RecommitButton, ReclassifyForm, ResourceForm, RetireButton } from "./forms";
import { date } from "../../../_lib/format";

export default async function ResourcesPage() {
  const [{ t, locale }, ctx, caller] = await Promise.all([getDictionary(), getContext(), api()]);
  const [resources, nodes] = await Promise.all([unlessForbidden(caller.holder.resources()), unlessForbidden(caller.holder.nodes())]);
  if (!resources || !nodes) return <Refusal ctx={ctx} role="HOLDER" t={t} locale={locale} />;
  const day = (d: Date) => date(d, locale);
  const nodeChoices = nodes.map((n) => ({ id: n.id, name: n.name, datasets: n.datasets }));
  return (
    <>
      <h1>{t.resources.title}</h1>
      <section className="panel">
        {resources.length === 0 ? <p className="muted">{t.resources.empty}</p> : (
          <table data-testid="resources">
            <thead><tr><th>{t.resources.name}</th><th>{t.resources.certificate}</th><th>{t.catalog.sharing}</th><th>{t.resources.version}</th><th>{t.resources.fields}</th><th>{t.resources.commitment}</th><th /></tr></thead>
            <tbody>
              {resources.map((r) => (
                <tr key={r.id}>
                  <td>{locale === "zh" && r.nameZh ? r.nameZh : r.name}<div className="muted">{t.domains[r.domain as keyof typeof t.domains] ?? r.domain} · {t.catalog.cycles[r.updateCycle]}</div></td>
                  <td><code>{r.certificateNo}</code><div className="muted">{day(r.createdAt)}</div></td>
                  <td>{t.catalog.sharingClass[r.effectiveSharing]}{r.emergency && <div className="error">{t.resources.emergency}: {r.emergency.reason} ({fill(t.resources.until, { until: day(r.emergency.endsAt) })})</div>}</td>
                  <td>v{r.version}{r.status === "RETIRED" && <div className="muted">{t.resources.retired}</div>}</td>
                  <td>{r.fields.map((f) => f.name).join(", ")}</td>
                  <td data-testid="commitment">
                    {r.commitment ? <code title={r.commitment}>{r.commitment.slice(0, 12)}…</code> : <span className="muted">{t.resources.noCommitment}</span>}
                    {r.status === "ACTIVE" && r.nodeId && r.dataset && <RecommitButton resourceId={r.id} />}
                  </td>
                  <td>
                    {r.status === "ACTIVE" && (
                      <>
                        <details><summary>{t.resources.edit}</summary>
                          <ResourceForm nodes={nodeChoices} editing={{
                            resourceId: r.id, version: r.version, name: r.name, nameZh: r.nameZh, description: r.description, domain: r.domain,
                            updateCycle: r.updateCycle, sharing: r.sharing, nodeId: r.nodeId, dataset: r.dataset, fields: r.fields,
                          }} />
                        </details>
                        <details><summary>{t.resources.reclassify}</summary><ReclassifyForm resourceId={r.id} current={r.effectiveSharing} /></details>
                        <RetireButton resourceId={r.id} />
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="panel">
        <ResourceForm nodes={nodeChoices} />
      </section>
    </>
  );
}
