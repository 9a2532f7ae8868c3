import Link from "next/link";
import { notFound } from "next/navigation";
import { TRPCError } from "@trpc/server";
import { api } from "@/server/api/rsc";
import { getDictionary } from "../../../../i18n/server";

/** A listed product: fields, policy, pricing, holders and the shape of a result (never sample rows). */
export default async function ProductPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const [{ t, locale }, caller] = await Promise.all([getDictionary(), api()]);
  const p = await caller.catalog.product({ id }).catch((e) => { if (e instanceof TRPCError && (e.code === "NOT_FOUND" || e.code === "BAD_REQUEST")) notFound(); throw e; });
  const name = (o: { name: string; nameZh: string | null }) => (locale === "zh" && o.nameZh ? o.nameZh : o.name);
  const policy = p.policy;
  return (
    <>
      <h1>{name(p)}</h1>
      <p className="muted">{p.description}</p>
      <dl className="panel grid">
        <div className="stat"><dt>{t.productPage.developer}</dt><dd>{name(p.developer)}</dd></div>
        <div className="stat"><dt>{t.productPage.holders}</dt><dd>{p.holders.map(name).join(", ")}</dd></div>
        <div className="stat"><dt>{t.productPage.price}</dt><dd>¥{(p.pricing.priceMinor / 100).toFixed(2)} · {t.orders.models[p.pricing.model]}</dd></div>
        <div className="stat"><dt>{t.productPage.cohort}</dt><dd>k = {policy.minCohort} · ≤ {policy.maxGroups} {t.productPage.groups}</dd></div>
        <div className="stat"><dt>{t.productPage.privacy}</dt><dd>{policy.privacy.mode === "dp" ? `ε ${policy.privacy.maxEpsilonPerQuery} / ${t.productPage.query}, ${policy.privacy.epsilonPerBuyer} / ${t.productPage.buyer}` : t.productPage.noDp}</dd></div>
      </dl>
      <section className="panel">
        <h2>{t.productPage.fields}</h2>
        <table>
          <tbody>
            {policy.dimensions.map((d) => <tr key={d.column}><td><code>{d.column}</code></td><td>{t.productPage.dimension}{d.groupable ? ` · ${t.productPage.groupable}` : ""}</td><td>{d.filterOps.join(", ")}</td></tr>)}
            {policy.measures.map((m) => <tr key={m.column}><td><code>{m.column}</code></td><td>{t.productPage.measure} [{m.min}, {m.max}]</td><td>{m.aggregates.join(", ")}</td></tr>)}
          </tbody>
        </table>
      </section>
      <section className="panel">
        <h2>{t.productPage.shape}</h2>
        <p className="muted">{t.productPage.shapeNote}</p>
        <table data-testid="result-shape"><thead><tr>{p.shape.map((c) => <th key={c}>{c}</th>)}</tr></thead></table>
      </section>
      <section className="panel">
        <h2>{t.products.licence}</h2>
        <p>{p.licence}</p>
        <p className="chips">{p.purposes.map((x) => <span key={x} className="chip">{x}</span>)}</p>
        <Link className="primary" href="/buyer/orders">{t.orders.place}</Link>
      </section>
    </>
  );
}
