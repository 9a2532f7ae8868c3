import Link from "next/link";
import { api, getContext, unlessForbidden } from "@/server/api/rsc";
import { Refusal } from "../../../_components/refusal";
import { money } from "../../../_lib/format";
import { fill } from "../../../i18n/dictionaries";
import { getDictionary } from "../../../i18n/server";
import { CancelOrder, OrderForm, PayOrder } from "./forms";

export default async function OrdersPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const sp = await searchParams;
  const [{ t, locale }, ctx, caller] = await Promise.all([getDictionary(), getContext(), api()]);
  const [products, orders] = await Promise.all([unlessForbidden(caller.buyer.products()), unlessForbidden(caller.buyer.orders())]);
  if (!products || !orders) return <Refusal ctx={ctx} role="BUYER" t={t} locale={locale} />;
  const name = (p: { name: string; nameZh: string | null }) => (locale === "zh" && p.nameZh ? p.nameZh : p.name);
  const list = (xs: string[]) => xs.join(locale === "zh" ? "、" : ", ");
  // Receipts for what was just done (also where Stripe's Checkout returns after paying).
  const paid = sp.paid ? orders.find((o) => o.id === sp.paid && o.paid) : undefined;
  const cancelled = sp.cancelled ? orders.find((o) => o.id === sp.cancelled && o.status === "CANCELLED") : undefined;
  return (
    <>
      <h1>{t.orders.title}</h1>
      {paid && (
        <p className="notice" role="status" data-testid="receipt">
          {fill(t.orders.paid, { amount: money(paid.amountMinor, locale) })} <a href={`/api/statements?invoice=${paid.id}`} download>{t.money.invoice}</a>
        </p>
      )}
      {cancelled && (
        <p className="notice" role="status" data-testid="receipt">
          {cancelled.refundedMinor > 0n ? fill(t.orders.cancelledRefund, { amount: money(cancelled.refundedMinor, locale) }) : t.orders.cancelled}
        </p>
      )}
      <section className="panel">
        <h2>{t.orders.place}</h2>
        <OrderForm initialProductId={sp.product}
          products={products.map((p) => ({ id: p.id, name: name(p), purposes: p.purposes, priceMinor: p.pricing.priceMinor, model: p.pricing.model }))} />
      </section>
      <section className="panel">
        <h2>{t.orders.mine}</h2>
        {orders.length === 0 ? <p className="muted">{t.orders.none}</p> : (
          <table data-testid="orders">
            <thead><tr><th>{t.query.product}</th><th>{t.orders.purpose}</th><th>{t.query.state}</th><th>{t.orders.usage}</th><th>{t.orders.amount}</th><th /></tr></thead>
            <tbody>
              {orders.map((o) => {
                const waiting = o.approvals.filter((a) => a.status === "PENDING").map((a) => name(a.holder));
                const approved = o.approvals.filter((a) => a.status === "APPROVED").map((a) => name(a.holder));
                return (
                  <tr key={o.id}>
                    <td><Link href={`/catalog/product/${o.productId}`}>{name(o.product)}</Link></td>
                    <td>{o.purpose}</td>
                    <td>
                      {t.orders.status[o.status]}
                      {o.status === "PENDING_APPROVAL" && waiting.length > 0 && <div className="muted" data-testid="waiting-for">{fill(t.orders.waitingFor, { holders: list(waiting) })}</div>}
                      {approved.length > 0 && o.status === "PENDING_APPROVAL" && <div className="muted">{fill(t.orders.approvedBy, { holders: list(approved) })}</div>}
                      {o.approvals.filter((a) => a.status === "REFUSED").map((a) => <div key={a.holderOrgId} className="muted">{fill(t.orders.refusedBy, { holder: name(a.holder), reason: a.reason ?? "" })}</div>)}
                    </td>
                    <td>{o.used}{o.quota !== null ? ` / ${o.quota}` : ""}</td>
                    <td>
                      {money(o.amountMinor, locale)}
                      <div className="muted">{o.paid ? t.orders.paidMark : t.orders.unpaid}{o.refundedMinor > 0n ? ` · ${fill(t.orders.refunded, { amount: money(o.refundedMinor, locale) })}` : ""}</div>
                    </td>
                    <td>
                      {o.status === "PENDING_PAYMENT" && <PayOrder orderId={o.id} product={name(o.product)} amountMinor={o.amountMinor} />}
                      {(o.status === "ACTIVE" || o.delivered > 0) && <a href={`/api/statements?invoice=${o.id}`} download>{t.money.invoice}</a>}
                      {(o.status === "PENDING_APPROVAL" || o.status === "PENDING_PAYMENT" || (o.status === "ACTIVE" && o.used === 0)) && (
                        <CancelOrder orderId={o.id} product={name(o.product)} paidMinor={o.paid && o.status === "ACTIVE" ? o.amountMinor : null} />
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
