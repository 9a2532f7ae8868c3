import { api, unlessForbidden } from "@/server/api/rsc";
import { ProductFacts } from "../../_components/product-facts";
import { RoleHome } from "../../_components/role-home";
import { date, dateTime, money } from "../../_lib/format";
import { fill } from "../../i18n/dictionaries";
import { getDictionary } from "../../i18n/server";
import { PauseListed, ReviewActions } from "./review";
import { SettleForm } from "./settlement";
import { previousPeriod } from "@/server/money/settlement";

export default async function OperatorHome() {
  const [{ t, locale }, caller] = await Promise.all([getDictionary(), api()]);
  const [queue, overdue, listed, settlement] = await Promise.all([
    unlessForbidden(caller.operator.reviewQueue()), unlessForbidden(caller.demand.overdue()), unlessForbidden(caller.operator.listedProducts()),
    unlessForbidden(caller.operator.settlement()),
  ]);
  const yuan = (minor: bigint) => money(minor, locale);
  const total = (...accounts: string[]) => settlement ? settlement.totals.filter((x) => accounts.includes(x.account)).reduce((a, x) => a + x.amountMinor, 0n) : 0n;
  const day = (d: Date) => date(d, locale);
  return (
    <RoleHome role="OPERATOR">
      {queue && (
        <section className="panel">
          <h2>{t.products.queue}</h2>
          {queue.length === 0 ? <p className="muted">{t.products.queueEmpty}</p> : (
            <div className="cards" data-testid="review-queue">
              {queue.map((p) => (
                <article key={p.id} className="card" data-testid="review-item">
                  <h3 style={{ margin: "0 0 .25rem" }}>{locale === "zh" && p.nameZh ? p.nameZh : p.name}</h3>
                  <p className="muted" style={{ margin: "0 0 .5rem" }}>{fill(t.productPage.submitted, { when: dateTime(p.createdAt, locale) })} · <code>{p.slug}</code></p>
                  {p.details ? (
                    <>
                      {p.details.description && <p>{p.details.description}</p>}
                      <ProductFacts p={p.details} t={t} locale={locale} shares={p.details.shares} />
                      <dl className="facts" style={{ marginTop: ".5rem" }}>
                        <div><dt>{t.productPage.licence}</dt><dd>{p.details.licence}</dd></div>
                        <div><dt>{t.productPage.purposes}</dt><dd className="chips">{p.details.purposes.map((x) => <span key={x} className="chip">{x}</span>)}</dd></div>
                      </dl>
                    </>
                  ) : <p className="error">{t.productPage.incomplete}</p>}
                  <ReviewActions productId={p.id} />
                </article>
              ))}
            </div>
          )}
        </section>
      )}
      {listed && (
        <section className="panel">
          <h2>{t.products.listed}</h2>
          {listed.length === 0 ? <p className="muted">{t.products.listedNone}</p> : (
            <table data-testid="listed-products">
              <tbody>
                {listed.map((p) => (
                  <tr key={p.id}><td>{locale === "zh" && p.nameZh ? p.nameZh : p.name}<div className="muted">{p.slug}</div></td><td><PauseListed productId={p.id} /></td></tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
      {settlement && (
        <section className="panel" data-testid="settlement">
          <h2>{t.money.settlement}</h2>
          <dl className="grid">
            <div className="stat"><dt>{t.money.cash}</dt><dd>{yuan(total("provider_cash"))}</dd></div>
            <div className="stat"><dt>{t.money.prepaid}</dt><dd>{yuan(-total("buyer_prepaid"))}</dd></div>
            <div className="stat"><dt>{t.money.revenue}</dt><dd>{yuan(-total("operator_revenue"))}</dd></div>
            <div className="stat"><dt>{t.money.payables}</dt><dd>{yuan(-total("developer_payable", "holder_payable"))}</dd></div>
          </dl>
          <SettleForm defaultPeriod={previousPeriod(new Date())} />
          <h3>{t.money.payouts}</h3>
          {settlement.payouts.length === 0 ? <p className="muted">{t.money.none}</p> : (
            <table data-testid="payouts">
              <thead><tr><th>{t.money.period}</th><th>{t.money.party}</th><th>{t.orders.amount}</th><th>{t.money.status}</th></tr></thead>
              <tbody>{settlement.payouts.map((p) => (
                <tr key={p.id}><td>{p.period}</td><td><code>{p.orgId.slice(0, 8)}</code></td><td>{yuan(p.amountMinor)}</td>
                  <td className={p.status === "FAILED" ? "error" : ""}>{p.status}{p.lastError && <div className="muted">{p.lastError} ({p.attempts})</div>}</td></tr>
              ))}</tbody>
            </table>
          )}
          {settlement.paymentExceptions.length > 0 && (
            <>
              <h3>{t.money.exceptions}</h3>
              <ul>{settlement.paymentExceptions.map((x) => <li key={x.orderId}><code>{x.orderId.slice(0, 8)}</code> {x.status}: {x.failure}</li>)}</ul>
            </>
          )}
        </section>
      )}
      {overdue && (
        <section className="panel">
          <h2>{t.products.overdue}</h2>
          {overdue.length === 0 ? <p className="muted">{t.products.overdueNone}</p> : (
            <table><tbody>{overdue.map((d) => <tr key={d.id}><td>{d.title}</td><td>{d.flags.join(", ")}</td><td>{day(d.confirmBy)} / {day(d.publishBy)}</td></tr>)}</tbody></table>
          )}
        </section>
      )}
    </RoleHome>
  );
}
