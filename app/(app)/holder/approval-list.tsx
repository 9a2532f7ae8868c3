/** A holder's approval queue: each request with who asks, for which product, purpose, quantity, amount and fields. */
import Link from "next/link";
import type { Dictionary, Locale } from "../../i18n/dictionaries";
import { fill } from "../../i18n/dictionaries";
import { dateTime, money } from "../../_lib/format";
import { ApprovalActions } from "./approvals";

type Named = { name: string; nameZh: string | null };
export type ApprovalRow = {
  orderId: string; status: "PENDING" | "APPROVED" | "REFUSED"; reason: string | null; dueAt: Date; decidedAt: Date | null; overdue: boolean;
  order: { purpose: string; productId: string; createdAt: Date; quota: number | null; amountMinor: bigint; model: string };
  buyer: Named; product: Named & { fields: { column: string; role: "dimension" | "measure"; label: string | null; labelZh: string | null }[]; resources: Named[] };
};

export function ApprovalList({ rows, t, locale }: { rows: ApprovalRow[]; t: Dictionary; locale: Locale }) {
  const name = (o: Named) => (locale === "zh" && o.nameZh ? o.nameZh : o.name);
  const pending = rows.filter((a) => a.status === "PENDING");
  const decided = rows.filter((a) => a.status !== "PENDING");
  return (
    <section className="panel">
      <h2>{t.approvals.title}</h2>
      {pending.length === 0 ? <p className="muted">{t.approvals.none}</p> : (
        <div data-testid="approvals" className="cards">
          {pending.map((a) => (
            <article key={a.orderId} className="card" data-testid="approval">
              <dl className="facts">
                <div><dt>{t.approvals.buyer}</dt><dd data-testid="approval-buyer">{name(a.buyer)}</dd></div>
                <div><dt>{t.approvals.product}</dt><dd><Link href={`/catalog/product/${a.order.productId}`}>{name(a.product)}</Link></dd></div>
                <div><dt>{t.orders.purpose}</dt><dd>{a.order.purpose}</dd></div>
                <div><dt>{t.approvals.quantity}</dt><dd>{a.order.quota === null ? t.orders.models.SUBSCRIPTION : fill(t.approvals.queries, { n: a.order.quota })} · {t.orders.models[a.order.model as keyof Dictionary["orders"]["models"]] ?? a.order.model}</dd></div>
                <div><dt>{t.approvals.amount}</dt><dd>{money(a.order.amountMinor, locale)}</dd></div>
                <div><dt>{t.approvals.due}</dt><dd className={a.overdue ? "error" : ""}>{dateTime(a.dueAt, locale)}{a.overdue ? ` · ${t.approvals.overdue}` : ""}</dd></div>
                {a.product.resources.length > 0 && <div><dt>{t.approvals.yourResources}</dt><dd>{a.product.resources.map(name).join(locale === "zh" ? "、" : ", ")}</dd></div>}
              </dl>
              <p className="muted" style={{ margin: ".5rem 0 .25rem" }}>{t.approvals.fields}</p>
              <p className="chips" data-testid="approval-fields">
                {a.product.fields.map((f) => (
                  <span key={`${f.role}:${f.column}`} className="chip" title={f.role === "dimension" ? t.approvals.dimension : t.approvals.measure}>
                    {(locale === "zh" && f.labelZh) || f.label ? `${(locale === "zh" && f.labelZh) || f.label} (${f.column})` : f.column} · {f.role === "dimension" ? t.approvals.dimension : t.approvals.measure}
                  </span>
                ))}
              </p>
              <ApprovalActions orderId={a.orderId} />
            </article>
          ))}
        </div>
      )}
      {decided.length > 0 && (
        <details>
          <summary>{t.approvals.decided} ({decided.length})</summary>
          <table>
            <tbody>{decided.map((a) => (
              <tr key={a.orderId}><td>{name(a.buyer)}</td><td>{name(a.product)}</td><td>{a.order.purpose}</td>
                <td>{t.approvals.status[a.status]}{a.reason ? `: ${a.reason}` : ""}</td><td>{a.decidedAt ? dateTime(a.decidedAt, locale) : ""}</td></tr>
            ))}</tbody>
          </table>
        </details>
      )}
    </section>
  );
}
