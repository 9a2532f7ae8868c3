import { api, getContext, unlessForbidden } from "@/server/api/rsc";
import { Refusal } from "../../_components/refusal";
import { getDictionary } from "../../i18n/server";
import { CloseDemand, OfferForm, PostDemandForm } from "./forms";
import { date } from "../../_lib/format";

/** Demands: buyers post them here; holders and developers see the ones matched to them and answer. */
export default async function DemandsPage() {
  const [{ t, locale }, ctx, caller] = await Promise.all([getDictionary(), getContext(), api()]);
  const [mine, matched] = await Promise.all([unlessForbidden(caller.demand.mine()), unlessForbidden(caller.demand.matched())]);
  if (!mine && !matched) return <Refusal ctx={ctx} role="BUYER" t={t} locale={locale} />;
  const day = (d: Date | null) => (d ? date(d, locale) : "—");
  return (
    <>
      <h1>{t.demands.title}</h1>
      {mine && (
        <>
          <section className="panel"><PostDemandForm /></section>
          <section className="panel">
            <h2>{t.demands.mine}</h2>
            {mine.length === 0 ? <p className="muted">{t.demands.none}</p> : (
              <table data-testid="my-demands">
                <thead><tr><th>{t.demands.need}</th><th>{t.demands.deadline}</th><th>{t.demands.confirmed}</th><th>{t.demands.published}</th><th>{t.demands.state}</th></tr></thead>
                <tbody>
                  {mine.map((d) => (
                    <tr key={d.id}>
                      <td>{d.title}<div className="muted">{d.purpose}</div></td><td>{day(d.deadline)}</td><td>{day(d.confirmedAt)}</td><td>{day(d.publishedAt)}</td>
                      <td>{d.status === "OPEN" ? <CloseDemand demandId={d.id} /> : <>{t.demands.closed} {day(d.closedAt)}{d.closeNote && <div className="muted">{d.closeNote}</div>}</>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}
      {matched && (
        <section className="panel">
          <h2>{t.demands.matched}</h2>
          {matched.length === 0 ? <p className="muted">{t.demands.none}</p> : matched.map((d) => (
            <article key={d.id} className="panel" data-testid="matched-demand">
              <h3 style={{ margin: 0 }}>{d.title}</h3>
              <p className="muted">{d.description} · {d.purpose} · {t.demands.deadline}: {day(d.deadline)}</p>
              <OfferForm demandId={d.id} />
            </article>
          ))}
        </section>
      )}
    </>
  );
}
