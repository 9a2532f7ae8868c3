import { api, unlessForbidden } from "@/server/api/rsc";
import { RoleHome } from "../../_components/role-home";
import { getDictionary } from "../../i18n/server";
import { PauseListed, ReviewActions } from "./review";

export default async function OperatorHome() {
  const [{ t, locale }, caller] = await Promise.all([getDictionary(), api()]);
  const [queue, overdue, listed] = await Promise.all([
    unlessForbidden(caller.operator.reviewQueue()), unlessForbidden(caller.demand.overdue()), unlessForbidden(caller.operator.listedProducts()),
  ]);
  const day = (d: Date) => d.toLocaleDateString(locale === "zh" ? "zh-CN" : "en-GB");
  return (
    <RoleHome role="OPERATOR">
      {queue && (
        <section className="panel">
          <h2>{t.products.queue}</h2>
          {queue.length === 0 ? <p className="muted">{t.products.queueEmpty}</p> : (
            <table data-testid="review-queue">
              <tbody>
                {queue.map((p) => (
                  <tr key={p.id}><td>{locale === "zh" && p.nameZh ? p.nameZh : p.name}<div className="muted">{p.slug}</div></td><td><ReviewActions productId={p.id} /></td></tr>
                ))}
              </tbody>
            </table>
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
