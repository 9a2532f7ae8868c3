"use client";
/** The supervisor's audits: start one on any delivered query, follow every audit, check the proofs here. */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { AuditTable, RequestAudit, shortId, useAudits } from "../../_components/audits";
import { useI18n } from "../../i18n/client";
import { errorText, useTRPC } from "../../trpc";
import { dateTime } from "../../_lib/format";

export function AuditsConsole({ orgs }: { orgs: Record<string, string> }) {
  const { t, locale } = useI18n();
  const trpc = useTRPC();
  const [flagged, setFlagged] = useState(false);
  const queries = useQuery(trpc.audit.queries.queryOptions());
  const audits = useAudits({ flagged: flagged || undefined, limit: 100 });
  const label = (x: { name: string; nameZh: string | null }) => (locale === "zh" && x.nameZh ? x.nameZh : x.name);
  const products = Object.fromEntries((queries.data ?? []).map((q) => [q.id, label(q.product)]));
  const time = (d: Date | null) => (d ? dateTime(d, locale) : "—");
  return (
    <section className="panel" data-testid="audits">
      <h2>{t.audits.title}</h2>
      <p className="muted">{t.audits.intro}</p>
      <h3>{t.audits.queries}</h3>
      {queries.error && <p className="error" role="alert">{errorText(t, queries.error)}</p>}
      {queries.data?.length === 0 && <p className="muted">{t.audits.noQueries}</p>}
      {!!queries.data?.length && (
        <div style={{ overflowX: "auto", maxHeight: "24rem", overflowY: "auto" }}>
          <table data-testid="auditable-queries">
            <thead><tr><th>{t.audits.query}</th><th>{t.audits.product}</th><th>{t.audits.buyer}</th><th>{t.audits.delivered}</th><th>{t.audits.count}</th><th>{t.audits.rate}</th></tr></thead>
            <tbody>
              {queries.data.map((q) => (
                <tr key={q.id} data-query={q.id}>
                  <td><code title={q.id}>{shortId(q.id)}</code></td>
                  <td>{label(q.product)}</td>
                  <td>{orgs[q.buyerOrgId] ?? shortId(q.buyerOrgId)}</td>
                  <td>{time(q.finishedAt)}</td>
                  <td>{q.audits}</td>
                  <td><RequestAudit queryId={q.id} label={t.audits.request} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3>{t.audits.list}</h3>
      <div className="checks"><label><input type="checkbox" checked={flagged} onChange={(e) => setFlagged(e.target.checked)} />{t.audits.flaggedOnly}</label></div>
      {audits.error && <p className="error" role="alert">{errorText(t, audits.error)}</p>}
      {audits.data && <AuditTable audits={audits.data} products={products} />}
    </section>
  );
}
