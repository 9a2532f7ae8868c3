import Link from "next/link";
import { api, unlessForbidden } from "@/server/api/rsc";
import { RoleHome } from "../../_components/role-home";
import { orgLabel } from "../../_components/shell";
import { getDictionary } from "../../i18n/server";

export default async function BuyerHome() {
  const [{ t, locale }, caller] = await Promise.all([getDictionary(), api()]);
  const [queries, figures] = await Promise.all([unlessForbidden(caller.buyer.queries()), unlessForbidden(caller.buyer.figures())]);
  return (
    <RoleHome role="BUYER">
      {figures && (
        <dl className="panel grid" data-testid="figures">
          <div className="stat"><dt>{t.figures.activeOrders}</dt><dd>{figures.activeOrders}</dd></div>
          <div className="stat"><dt>{t.figures.queries}</dt><dd>{figures.queries}</dd></div>
          <div className="stat"><dt>{t.money.spent}</dt><dd>¥{(figures.chargedMinor / 100).toFixed(2)}</dd></div>
          <div className="stat"><dt>{t.money.prepaid}</dt><dd>¥{(figures.prepaidMinor / 100).toFixed(2)}</dd></div>
        </dl>
      )}
      {queries && (
        <section className="panel">
          <h2>{t.query.consoleTitle}</h2>
          <p className="muted">{t.query.consoleIntro}</p>
          <p className="chips"><Link className="primary" href="/buyer/query">{t.query.open}</Link> <Link className="primary" href="/buyer/orders">{t.orders.title}</Link> <Link className="primary" href="/buyer/consents">{t.consent.title}</Link></p>
          <h2>{t.query.recent}</h2>
          {queries.length === 0 ? <p className="muted">{t.query.none}</p> : (
            <table data-testid="recent-queries">
              <thead><tr><th>{t.query.product}</th><th>{t.query.when}</th><th>ε</th><th>{t.query.state}</th></tr></thead>
              <tbody>
                {queries.map((q) => (
                  <tr key={q.id}>
                    <td>{orgLabel(q.product, locale)}</td>
                    <td>{q.createdAt.toLocaleString(locale === "zh" ? "zh-CN" : "en-GB")}</td>
                    <td>{q.epsilon || "—"}</td>
                    <td>{t.query.status[q.status]}{q.error ? `: ${q.error}` : ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </RoleHome>
  );
}
