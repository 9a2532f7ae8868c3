import Link from "next/link";
import { notFound } from "next/navigation";
import { TRPCError } from "@trpc/server";
import { api } from "@/server/api/rsc";
import { ProductFacts } from "../../../../_components/product-facts";
import { getDictionary } from "../../../../i18n/server";

/** A listed product: fields, policy, pricing, holders and the shape of a result (never sample rows). */
export default async function ProductPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const [{ t, locale }, caller] = await Promise.all([getDictionary(), api()]);
  const p = await caller.catalog.product({ id }).catch((e) => { if (e instanceof TRPCError && (e.code === "NOT_FOUND" || e.code === "BAD_REQUEST")) notFound(); throw e; });
  const name = (o: { name: string; nameZh: string | null }) => (locale === "zh" && o.nameZh ? o.nameZh : o.name);
  return (
    <>
      <h1>{name(p)}</h1>
      <p className="muted">{p.description}</p>
      <section className="panel">
        <ProductFacts p={p} t={t} locale={locale} />
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
        <Link className="primary" href={`/buyer/orders?product=${p.id}`}>{t.orders.place}</Link>
      </section>
    </>
  );
}
