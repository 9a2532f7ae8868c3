/** A product's terms and policy as the product page and the operator's review show them. */
import type { Dictionary, Locale } from "../i18n/dictionaries";
import { epsilon, money } from "../_lib/format";

type Named = { name: string; nameZh: string | null };
type Details = {
  developer: Named; holders: Named[]; pricing: { model: "PER_QUERY" | "SUBSCRIPTION" | "ONE_OFF"; priceMinor: number };
  policy: {
    minCohort: number; maxGroups: number;
    privacy: { mode: "none" } | { mode: "dp"; maxEpsilonPerQuery: number; epsilonPerBuyer: number };
    dimensions: { column: string; groupable: boolean; filterOps: string[] }[];
    measures: { column: string; min: number; max: number; aggregates: string[] }[];
  };
};

export function ProductFacts({ p, t, locale, shares }: { p: Details; t: Dictionary; locale: Locale; shares?: { developerBps: number; operatorBps: number; holdersBps: number } | null }) {
  const name = (o: Named) => (locale === "zh" && o.nameZh ? o.nameZh : o.name);
  const privacy = p.policy.privacy;
  return (
    <>
      <dl className="facts">
        <div><dt>{t.productPage.developer}</dt><dd>{name(p.developer)}</dd></div>
        <div><dt>{t.productPage.holders}</dt><dd data-testid="product-holders">{p.holders.map(name).join(locale === "zh" ? "、" : ", ")}</dd></div>
        <div><dt>{t.productPage.price}</dt><dd>{money(p.pricing.priceMinor, locale)} · {t.orders.models[p.pricing.model]}</dd></div>
        <div><dt>{t.productPage.cohort}</dt><dd>k = {p.policy.minCohort} · ≤ {p.policy.maxGroups} {t.productPage.groups}</dd></div>
        <div><dt>{t.productPage.privacy}</dt><dd>{privacy.mode === "dp" ? `ε ${epsilon(privacy.maxEpsilonPerQuery, locale)} / ${t.productPage.query}, ${epsilon(privacy.epsilonPerBuyer, locale)} / ${t.productPage.buyer}` : t.productPage.noDp}</dd></div>
        {shares && <div><dt>{t.productPage.shares}</dt><dd>{t.products.developerShare} {shares.developerBps / 100} · {t.products.operatorShare} {shares.operatorBps / 100} · {t.products.holdersShare} {shares.holdersBps / 100}</dd></div>}
      </dl>
      <table>
        <caption className="muted" style={{ textAlign: "left" }}>{t.productPage.fields}</caption>
        <tbody>
          {p.policy.dimensions.map((d) => <tr key={d.column}><td><code>{d.column}</code></td><td>{t.productPage.dimension}{d.groupable ? ` · ${t.productPage.groupable}` : ""}</td><td>{d.filterOps.join(", ")}</td></tr>)}
          {p.policy.measures.map((m) => <tr key={m.column}><td><code>{m.column}</code></td><td>{t.productPage.measure} [{m.min}, {m.max}]</td><td>{m.aggregates.join(", ")}</td></tr>)}
        </tbody>
      </table>
    </>
  );
}
