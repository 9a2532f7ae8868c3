import { api, getContext, unlessForbidden } from "@/server/api/rsc";
import { Refusal } from "../../../_components/refusal";
import { getDictionary } from "../../../i18n/server";
import { CancelOrder, OrderForm, PayOrder } from "./forms";

export default async function OrdersPage() {
  const [{ t, locale }, ctx, caller] = await Promise.all([getDictionary(), getContext(), api()]);
  const [products, orders] = await Promise.all([unlessForbidden(caller.buyer.products()), unlessForbidden(caller.buyer.orders())]);
  if (!products || !orders) return <Refusal ctx={ctx} role="BUYER" t={t} locale={locale} />;
  const money = (minor: bigint) => (Number(minor) / 100).toFixed(2);
  const name = (id: string) => { const p = products.find((x) => x.id === id); return p ? (locale === "zh" && p.nameZh ? p.nameZh : p.name) : id.slice(0, 8); };
  return (
    <>
      <h1>{t.orders.title}</h1>
      <section className="panel">
        <h2>{t.orders.place}</h2>
        <OrderForm products={products.map((p) => ({ id: p.id, name: locale === "zh" && p.nameZh ? p.nameZh : p.name, purposes: p.purposes, priceMinor: p.pricing.priceMinor, model: p.pricing.model }))} />
      </section>
      <section className="panel">
        <h2>{t.orders.mine}</h2>
        {orders.length === 0 ? <p className="muted">{t.orders.none}</p> : (
          <table data-testid="orders">
            <thead><tr><th>{t.query.product}</th><th>{t.orders.purpose}</th><th>{t.query.state}</th><th>{t.orders.usage}</th><th>{t.orders.amount}</th><th /></tr></thead>
            <tbody>
              {orders.map((o) => (
                <tr key={o.id}>
                  <td>{name(o.productId)}</td>
                  <td>{o.purpose}</td>
                  <td>{t.orders.status[o.status]}{o.approvals.filter((a) => a.reason).map((a) => <div key={a.holderOrgId} className="muted">{a.reason}</div>)}</td>
                  <td>{o.used}{o.quota !== null ? ` / ${o.quota}` : ""}</td>
                  <td>¥{money(o.amountMinor)}</td>
                  <td>
                    {o.status === "PENDING_PAYMENT" && <PayOrder orderId={o.id} amount={money(o.amountMinor)} />}
                    {(o.status === "ACTIVE" || o.delivered > 0) && <a href={`/api/statements?invoice=${o.id}`} download>{t.money.invoice}</a>}
                    {(o.status === "PENDING_APPROVAL" || o.status === "PENDING_PAYMENT" || (o.status === "ACTIVE" && o.used === 0)) && <CancelOrder orderId={o.id} />}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
