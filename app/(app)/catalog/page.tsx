import Link from "next/link";
import { api } from "@/server/api/rsc";
import { searchInput } from "@/server/catalog/catalog";
import { sharingClasses, updateCycles } from "@/server/resources/schemas";
import { fill } from "../../i18n/dictionaries";
import { getDictionary } from "../../i18n/server";

/** The catalog: a plain GET form, so every search is a shareable URL. */
export default async function CatalogPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const sp = await searchParams;
  const [{ t, locale }, caller] = await Promise.all([getDictionary(), api()]);
  const parsed = searchInput.safeParse({
    q: sp.q ?? "", kind: sp.kind || undefined, domain: sp.domain || undefined, sharing: sp.sharing || undefined,
    updateCycle: sp.cycle || undefined, sort: sp.sort || undefined, page: sp.page ? Number(sp.page) : undefined,
  });
  const input = parsed.success ? parsed.data : { q: "" };
  const result = await caller.catalog.search(input);
  const pages = Math.max(1, Math.ceil(result.total / result.pageSize));
  const link = (page: number) => `/catalog?${new URLSearchParams({ ...Object.fromEntries(Object.entries(sp).filter(([, v]) => v) as [string, string][]), page: String(page) })}`;
  return (
    <>
      <h1>{t.catalog.title}</h1>
      <form className="panel" method="get" style={{ display: "grid", gap: ".6rem", gridTemplateColumns: "repeat(auto-fit, minmax(160px, 1fr))", alignItems: "end" }}>
        <label style={{ gridColumn: "1 / -1" }}>{t.catalog.search}<input name="q" defaultValue={sp.q ?? ""} placeholder={t.catalog.placeholder} /></label>
        <label>{t.catalog.kind}<select name="kind" defaultValue={sp.kind ?? ""}><option value="">{t.query.all}</option><option value="RESOURCE">{t.catalog.resource}</option><option value="PRODUCT">{t.catalog.product}</option></select></label>
        <label>{t.catalog.domain}<input name="domain" defaultValue={sp.domain ?? ""} /></label>
        <label>{t.catalog.sharing}<select name="sharing" defaultValue={sp.sharing ?? ""}><option value="">{t.query.all}</option>{sharingClasses.map((c) => <option key={c} value={c}>{t.catalog.sharingClass[c]}</option>)}</select></label>
        <label>{t.catalog.cycle}<select name="cycle" defaultValue={sp.cycle ?? ""}><option value="">{t.query.all}</option>{updateCycles.map((c) => <option key={c} value={c}>{t.catalog.cycles[c]}</option>)}</select></label>
        <label>{t.catalog.sort}<select name="sort" defaultValue={sp.sort ?? "relevance"}><option value="relevance">{t.catalog.relevance}</option><option value="newest">{t.catalog.newest}</option><option value="used">{t.catalog.used}</option></select></label>
        <button className="primary">{t.catalog.go}</button>
      </form>
      <p className="muted">{fill(t.catalog.count, { n: result.more ? `${result.total}+` : result.total })}</p>
      {result.items.length === 0 ? <p className="panel empty">{t.catalog.none}</p> : result.items.map((i) => (
        <article key={`${i.kind}:${i.refId}`} className="panel" data-testid="catalog-item">
          <h2 style={{ margin: 0 }}>{i.kind === "PRODUCT"
            ? <Link href={`/catalog/product/${i.refId}`}>{locale === "zh" && i.titleZh ? i.titleZh : i.title}</Link>
            : (locale === "zh" && i.titleZh ? i.titleZh : i.title)}</h2>
          <p className="muted" data-testid="catalog-owner">{fill(i.kind === "PRODUCT" ? t.catalog.byDeveloper : t.catalog.byHolder, { org: locale === "zh" && i.ownerNameZh ? i.ownerNameZh : i.ownerName })}</p>
          <p className="chips">
            <span className="chip">{i.kind === "PRODUCT" ? t.catalog.product : t.catalog.resource}</span>
            <span className="chip">{t.domains[i.domain as keyof typeof t.domains] ?? i.domain}</span>
            {i.sharing && <span className="chip">{t.catalog.sharingClass[i.sharing as (typeof sharingClasses)[number]]}</span>}
            {i.updateCycle && <span className="chip">{t.catalog.cycles[i.updateCycle as (typeof updateCycles)[number]]}</span>}
          </p>
          <p className="muted">{i.summary}</p>
        </article>
      ))}
      {pages > 1 && (
        <nav className="chips" aria-label="pages">
          {result.page > 1 && <Link href={link(result.page - 1)}>←</Link>}
          <span>{result.page} / {pages}</span>
          {result.page < pages && <Link href={link(result.page + 1)}>→</Link>}
        </nav>
      )}
    </>
  );
}
