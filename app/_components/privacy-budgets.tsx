/**
 * ε accounts per buyer and dataset (server/queries/budgets.ts): spent, left, and when ε starts
 * coming back. Rendered by the buyer's query console, the holder's home and the supervisor's
 * console; each sees only the accounts its role may see (checked on the server).
 */
import type { BudgetRow } from "@/server/queries/budgets";
import type { Dictionary, Locale } from "../i18n/dictionaries";
import { fill } from "../i18n/dictionaries";
import { date, epsilon } from "../_lib/format";

export function PrivacyBudgets({ rows, t, locale, show }: { rows: BudgetRow[]; t: Dictionary; locale: Locale; show: "buyer" | "holder" | "all" }) {
  const name = (x: { name: string; nameZh: string | null }) => (locale === "zh" && x.nameZh ? x.nameZh : x.name);
  const eps = (e: number) => epsilon(e, locale);
  const day = (d: Date | null) => (d ? date(new Date(d), locale) : "—");
  return (
    <section className="panel" data-testid="privacy-budgets">
      <h2>{t.budgets.title}</h2>
      <p className="muted">{fill(t.budgets.explain, { days: rows[0]?.periodDays ?? 30 })}</p>
      {rows.length === 0 ? <p className="muted">{t.budgets.none}</p> : (
        <div style={{ overflowX: "auto" }}>
          <table>
            <thead><tr>
              {show !== "buyer" && <th>{t.budgets.buyer}</th>}
              {show !== "holder" && <th>{t.budgets.holder}</th>}
              <th>{t.budgets.dataset}</th><th>{t.budgets.spent}</th><th>{t.budgets.left}</th><th>{t.budgets.queries}</th><th>{t.budgets.refresh}</th>
            </tr></thead>
            <tbody>{rows.map((r, i) => (
              <tr key={i}>
                {show !== "buyer" && <td>{name(r.buyer)}</td>}
                {show !== "holder" && <td>{name(r.holder)}</td>}
                <td>{r.dataset} <span className="muted">({r.node})</span></td>
                <td>{eps(r.spent)} / {eps(r.total)}</td>
                <td>{eps(Math.max(0, r.total - r.spent))}</td>
                <td>{r.queries}</td>
                <td>{day(r.refreshesAt)}</td>
              </tr>
            ))}</tbody>
          </table>
        </div>
      )}
    </section>
  );
}
