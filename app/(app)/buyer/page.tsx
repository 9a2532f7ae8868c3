import Link from "next/link";
import { api, unlessForbidden } from "@/server/api/rsc";
import { RoleHome } from "../../_components/role-home";
import { money } from "../../_lib/format";
import { RecentQueries } from "./query/recent";
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
          <div className="stat"><dt>{t.money.spent}</dt><dd>{money(figures.chargedMinor, locale)}</dd></div>
          <div className="stat"><dt>{t.money.prepaid}</dt><dd>{money(figures.prepaidMinor, locale)}</dd></div>
        </dl>
      )}
      {queries && (
        <section className="panel">
          <h2>{t.query.consoleTitle}</h2>
          <p className="muted">{t.query.consoleIntro}</p>
          {/* The console is a full page load: its page has its own CSP (eval for node-seal). */}
          <p className="chips"><a className="primary" href="/buyer/query">{t.query.open}</a> <Link className="primary" href="/buyer/orders">{t.orders.title}</Link> <Link className="primary" href="/buyer/consents">{t.consent.title}</Link></p>
          <h2>{t.query.recent}</h2>
          {queries.length === 0 ? <p className="muted">{t.query.none}</p> : <RecentQueries queries={queries} t={t} locale={locale} bare />}
        </section>
      )}
    </RoleHome>
  );
}
