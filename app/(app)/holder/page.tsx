import Link from "next/link";
import { dateTime, money } from "../../_lib/format";
import { api, unlessForbidden } from "@/server/api/rsc";
import { PayoutSetup } from "../_payouts";
import { PrivacyBudgets } from "../../_components/privacy-budgets";
import { RoleHome } from "../../_components/role-home";
import { getDictionary } from "../../i18n/server";
import { ApprovalList } from "./approval-list";
import { RegisterNodeForm } from "./register-node";
import { NodePolicies } from "./node-policy";

export default async function HolderHome() {
  const [{ t, locale }, caller] = await Promise.all([getDictionary(), api()]);
  const [nodes, approvals, figures, budgets] = await Promise.all([
    unlessForbidden(caller.holder.nodes()), unlessForbidden(caller.holder.approvals()), unlessForbidden(caller.holder.figures()), unlessForbidden(caller.holder.privacyBudgets()),
  ]);
  const when = (d: Date | null) => (d ? dateTime(d, locale) : t.nodes.never);
  return (
    <RoleHome role="HOLDER">
      {figures && (
        <dl className="panel grid" data-testid="figures">
          <div className="stat"><dt>{t.figures.resources}</dt><dd>{figures.resources}</dd></div>
          <div className="stat"><dt>{t.figures.pendingApprovals}</dt><dd>{figures.pendingApprovals}</dd></div>
          <div className="stat"><dt>{t.figures.queriesServed}</dt><dd>{figures.queriesServed}</dd></div>
          <div className="stat"><dt>{t.money.earned}</dt><dd data-testid="earned">{money(figures.earnedMinor, locale)}</dd></div>
          <div className="stat"><dt>{t.money.paidOut}</dt><dd>{money(figures.paidOutMinor, locale)}</dd></div>
          <div className="stat"><dt>{t.money.owed}</dt><dd>{money(figures.owedMinor, locale)}</dd></div>
          <div className="stat"><dt>{t.money.statement}</dt><dd><a href="/api/statements" download>CSV</a> · <a href="/api/statements?format=pdf" download>PDF</a></dd></div>
          <div className="stat"><dt>{t.money.payoutTo}</dt><dd><PayoutSetup /></dd></div>
        </dl>
      )}
      {approvals && <ApprovalList rows={approvals} t={t} locale={locale} />}
      {nodes && nodes.length > 0 && <NodePolicies />}
      {budgets && <PrivacyBudgets rows={budgets} t={t} locale={locale} show="holder" />}
      {nodes && (
        <section className="panel">
          <p><Link className="primary" href="/holder/resources">{t.resources.manage}</Link></p>
          <h2>{t.nodes.title}</h2>
          {nodes.length === 0 ? <p className="muted">{t.nodes.empty}</p> : (
            <table data-testid="nodes">
              <thead><tr><th>{t.nodes.name}</th><th>{t.nodes.url}</th><th>{t.nodes.key}</th><th>{t.nodes.lastSeen}</th></tr></thead>
              <tbody>
                {nodes.map((n) => (
                  <tr key={n.id}><td>{n.name}</td><td><code>{n.url}</code></td><td><code title={n.signingKey}>{n.signingKey.slice(0, 12)}…</code></td><td>{when(n.lastSeenAt)}</td></tr>
                ))}
              </tbody>
            </table>
          )}
          <p className="muted">{t.nodes.howto}</p>
          <RegisterNodeForm />
        </section>
      )}
    </RoleHome>
  );
}
