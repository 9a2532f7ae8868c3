import { api, unlessForbidden } from "@/server/api/rsc";
import { PrivacyBudgets } from "../../_components/privacy-budgets";
import { RoleHome } from "../../_components/role-home";
import { getDictionary } from "../../i18n/server";
import { LedgerFeed } from "../ledger/feed";
import { IssueCheckpoint, LiftSuspension, SuspendForm } from "./actions";
import { AuditsConsole } from "./audits";

/** The supervisor's console: statistics read from the ledger, suspensions, audits of delivered queries, and the live feed with proofs. */
export default async function SupervisorHome() {
  const [{ t, locale }, caller] = await Promise.all([getDictionary(), api()]);
  const [stats, suspensions, directory, budgets] = await Promise.all([
    unlessForbidden(caller.supervisor.statistics()), unlessForbidden(caller.supervisor.suspensions()), unlessForbidden(caller.supervisor.directory()),
    unlessForbidden(caller.supervisor.privacyBudgets()),
  ]);
  const label = (x: { name: string; nameZh: string | null }) => (locale === "zh" && x.nameZh ? x.nameZh : x.name);
  const orgs = Object.fromEntries((directory?.orgs ?? []).map((o) => [o.id, label(o)]));
  const products = Object.fromEntries((directory?.products ?? []).map((p) => [p.id, label(p)]));
  const name = (id: string | null) => (id ? orgs[id] ?? products[id] ?? `${id.slice(0, 8)}…` : "—");
  const bars = (rows: { key: string; v: number }[]) => {
    const max = Math.max(1, ...rows.map((r) => r.v));
    return rows.length === 0 ? <p className="muted">{t.ledger.none}</p> : (
      <table><tbody>{rows.map((r) => (
        <tr key={r.key}><td>{r.key}</td><td style={{ width: "50%" }}><div style={{ background: "var(--accent, #2563eb)", height: ".8rem", width: `${(100 * r.v) / max}%` }} /></td><td>{Number.isInteger(r.v) ? r.v : r.v.toFixed(2)}</td></tr>
      ))}</tbody></table>
    );
  };
  return (
    <RoleHome role="SUPERVISOR">
      {stats && suspensions && directory && (
        <>
          <section className="panel" data-testid="ledger-stats">
            <h2>{t.ledger.stats}</h2>
            <div className="grid">
              <div><h3>{t.ledger.perProduct}</h3>{bars(stats.perProduct.map((r) => ({ key: name(r.productId), v: r.n })))}</div>
              <div><h3>{t.ledger.epsilon}</h3>{bars(stats.epsilonPerBuyer.map((r) => ({ key: name(r.buyerOrgId), v: r.epsilon })))}</div>
              <div><h3>{t.ledger.refused}</h3>{bars(stats.refused.map((r) => ({ key: r.code ?? "—", v: r.n })))}</div>
              <div><h3>{t.ledger.consents}</h3>{bars(stats.consentsPerPurpose.map((r) => ({ key: r.purpose ?? "—", v: r.n })))}</div>
            </div>
            <IssueCheckpoint />
          </section>
          <section className="panel">
            <h2>{t.ledger.suspensions}</h2>
            {suspensions.length > 0 && (
              <table data-testid="suspensions"><tbody>{suspensions.map((s) => (
                <tr key={s.id}>
                  <td>{s.kind === "BUYER" ? t.ledger.buyer : t.ledger.product}: {name(s.targetId)}</td>
                  <td>{s.reason}</td>
                  <td>{s.liftedAt ? `${t.ledger.lifted}: ${s.liftReason ?? ""}` : <LiftSuspension suspensionId={s.id} />}</td>
                </tr>
              ))}</tbody></table>
            )}
            <SuspendForm
              buyers={directory.orgs.filter((o) => o.roles.includes("BUYER")).map((o) => ({ id: o.id, label: label(o) }))}
              products={directory.products.map((p) => ({ id: p.id, label: label(p) }))}
            />
          </section>
          {budgets && <PrivacyBudgets rows={budgets} t={t} locale={locale} show="all" />}
          <AuditsConsole orgs={orgs} />
          <LedgerFeed mode="all" orgs={orgs} />
        </>
      )}
    </RoleHome>
  );
}
