import { api, unlessForbidden } from "@/server/api/rsc";
import { floorSettings } from "@/server/queries/floor";
import { PayoutSetup } from "../_payouts";
import { RoleHome } from "../../_components/role-home";
import { getDictionary } from "../../i18n/server";
import { BuildProductForm, PauseResume, SubmitProduct, TermsForm } from "./forms";
import { money as moneyText } from "../../_lib/format";

export default async function DeveloperHome() {
  const [{ t, locale }, caller] = await Promise.all([getDictionary(), api()]);
  const [products, usage, earnings] = await Promise.all([
    unlessForbidden(caller.developer.products()), unlessForbidden(caller.developer.usage()), unlessForbidden(caller.developer.earnings()),
  ]);
  const yuan = (minor: number) => moneyText(minor, locale);
  const resources = products ? await caller.developer.buildableResources() : null;
  const { minCohort, epsilonMin, epsilonMax } = floorSettings();
  return (
    <RoleHome role="DEVELOPER">
      {products && resources && (
        <>
          {earnings && (
            <dl className="panel grid" data-testid="figures">
              <div className="stat"><dt>{t.money.earned}</dt><dd>{yuan(earnings.earnedMinor)}</dd></div>
              <div className="stat"><dt>{t.money.paidOut}</dt><dd>{yuan(earnings.paidOutMinor)}</dd></div>
              <div className="stat"><dt>{t.money.owed}</dt><dd>{yuan(earnings.owedMinor)}</dd></div>
              <div className="stat"><dt>{t.money.statement}</dt><dd><a href="/api/statements" download>CSV</a> · <a href="/api/statements?format=pdf" download>PDF</a></dd></div>
              <div className="stat"><dt>{t.money.payoutTo}</dt><dd><PayoutSetup /></dd></div>
            </dl>
          )}
          <section className="panel">
            <h2>{t.products.mine}</h2>
            {products.length === 0 ? <p className="muted">{t.products.none}</p> : (
              <table data-testid="products">
                <thead><tr><th>{t.resources.name}</th><th>{t.query.state}</th><th>{t.figures.queries}</th><th /></tr></thead>
                <tbody>
                  {products.map((p) => (
                    <tr key={p.id}>
                      <td>{locale === "zh" && p.nameZh ? p.nameZh : p.name}<div className="muted">{p.slug}</div></td>
                      <td>{t.products.status[p.status]}{p.reviewNote && <div className="error">{p.reviewNote}</div>}</td>
                      <td>{usage?.[p.id] ?? 0}</td>
                      <td>{(p.status === "DRAFT" || p.status === "REJECTED") && <><TermsForm productId={p.id} /><SubmitProduct productId={p.id} /></>}
                        {(p.status === "LISTED" || p.status === "PAUSED") && <PauseResume productId={p.id} paused={p.status === "PAUSED"} />}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section className="panel">
            <BuildProductForm resources={resources} floor={{ minCohort, epsilonMin, epsilonMax }} />
          </section>
        </>
      )}
    </RoleHome>
  );
}
