"use client";
/**
 * Audits of delivered queries, shared by the supervisor's console and the buyer's query page.
 * An audit's proofs are checked again here, in the browser, by the same verifier the
 * marketplace and the CLI run (core/zk/verify.ts): nobody has to take the
 * marketplace's verdict on trust.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { Fragment, useState } from "react";
import type { AppRouter } from "@/server/api/root";
import type { AuditVerification, Check } from "@/core/zk/verify";
import { fill } from "../i18n/dictionaries";
import { useI18n } from "../i18n/client";
import { errorText, useTRPC } from "../trpc";

type Audit = inferRouterOutputs<AppRouter>["audit"]["list"][number];

export const shortId = (id: string) => `${id.slice(0, 8)}…`;

/** Audits, polled every 3 s while any is still running: proving takes seconds to minutes on the nodes. */
export function useAudits(input: { queryId?: string; flagged?: boolean; limit?: number }) {
  const trpc = useTRPC();
  return useQuery(trpc.audit.list.queryOptions(input, { refetchInterval: (q) => (q.state.data?.some((a) => a.status === "RUNNING") ? 3000 : false) }));
}

/** Starts an audit of every node of a delivered query, proving the given percentage of each node's chunks. */
export function RequestAudit({ queryId, label }: { queryId: string; label: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [percent, setPercent] = useState(1);
  const request = useMutation(trpc.audit.request.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(trpc.audit.pathFilter()) }));
  const bps = Math.min(10_000, Math.max(1, Math.round(percent * 100)));
  return (
    <div style={{ display: "flex", gap: ".4rem", alignItems: "center", flexWrap: "wrap" }}>
      <input type="number" min={0.01} max={100} step={0.01} value={percent} aria-label={t.audits.rate} title={t.audits.rate} style={{ width: "5.5rem" }}
        onChange={(e) => setPercent(Number(e.target.value))} />%
      <button type="button" className="secondary" disabled={request.isPending || !(percent > 0)}
        onClick={() => request.mutate({ queryId, sampleBps: bps, idempotencyKey: crypto.randomUUID() })}>{label}</button>
      {request.data && <span className="muted" role="status">{fill(t.audits.started, { n: request.data.length })}</span>}
      {request.error && <span className="error" role="alert">{errorText(t, request.error)}</span>}
    </div>
  );
}

/** A delivered query's audits, for its buyer: start one, watch it, check its proofs. */
export function QueryAudits({ queryId }: { queryId: string }) {
  const { t } = useI18n();
  const audits = useAudits({ queryId });
  return (
    <div data-testid="query-audits">
      <h3>{t.audits.mine}</h3>
      <RequestAudit queryId={queryId} label={t.audits.requestQuery} />
      {audits.error && <p className="error" role="alert">{errorText(t, audits.error)}</p>}
      {audits.data && <AuditTable audits={audits.data} />}
    </div>
  );
}

/** One row per audit (one node's part in one query); its proofs open beneath it. */
export function AuditTable({ audits, products }: { audits: Audit[]; products?: Record<string, string> }) {
  const { t, locale } = useI18n();
  const [open, setOpen] = useState<string | null>(null);
  if (audits.length === 0) return <p className="muted">{t.audits.none}</p>;
  const columns = products ? 9 : 8;
  return (
    <div style={{ overflowX: "auto" }}>
      <table data-testid="audit-list">
        <thead><tr>
          {products && <th>{t.audits.query}</th>}<th>{t.audits.node}</th><th>{t.audits.holder}</th><th>{t.audits.verdict}</th>
          <th>{t.audits.chunks}</th><th>{t.audits.sample}</th><th>{t.audits.proving}</th><th>{t.audits.reason}</th><th />
        </tr></thead>
        <tbody>
          {audits.map((a) => (
            <Fragment key={a.id}>
              <tr data-status={a.status} data-flagged={a.flagged}>
                {products && <td><code title={a.queryId}>{shortId(a.queryId)}</code>{products[a.queryId] && <div className="muted">{products[a.queryId]}</div>}</td>}
                <td>{a.node}</td>
                <td>{a.holder ? (locale === "zh" && a.holder.nameZh ? a.holder.nameZh : a.holder.name) : "—"}</td>
                <td data-testid="audit-verdict" style={{ whiteSpace: "nowrap" }}>{t.audits.status[a.status]}{a.flagged && <div><strong className="error">{t.audits.flagged}</strong></div>}</td>
                <td>{a.chunks === null ? "—" : `${a.sample.length} / ${a.chunks}`}</td>
                <td>{a.sampleBps / 100}%</td>
                <td>{a.provingMs === null ? "—" : `${(a.provingMs / 1000).toFixed(1)} s`}</td>
                <td className="muted" style={{ fontSize: ".85rem" }}>{a.reason ?? ""}</td>
                <td>{a.status !== "RUNNING" && (
                  <button type="button" className="secondary" aria-expanded={open === a.id} onClick={() => setOpen(open === a.id ? null : a.id)}>
                    {open === a.id ? t.audits.hide : t.audits.proofs}
                  </button>
                )}</td>
              </tr>
              {open === a.id && <tr><td colSpan={columns}><AuditProofs auditId={a.id} /></td></tr>}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The audit's stored proofs: the marketplace's checks, a check in this browser, and a download for the CLI. */
export function AuditProofs({ auditId }: { auditId: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  // A finished audit never changes.
  const audit = useQuery(trpc.audit.get.queryOptions({ auditId }, { staleTime: Infinity }));
  const verify = useMutation({ mutationFn: (bundle: unknown) => verifyHere(bundle) });
  if (audit.error) return <p className="error" role="alert">{errorText(t, audit.error)}</p>;
  if (!audit.data) return <p className="muted">{t.audits.loading}</p>;
  const { bundle, checks } = audit.data;
  return (
    <div data-testid="audit-proofs">
      {checks && <><h4>{t.audits.serverChecks}</h4><Checks checks={checks} testId="server-checks" /></>}
      {bundle ? (
        <>
          <p className="chips">
            <button type="button" className="secondary" disabled={verify.isPending} onClick={() => verify.mutate(bundle)}>{verify.isPending ? t.audits.verifying : t.audits.verify}</button>
            <button type="button" className="secondary" onClick={() => download(`audit-${auditId.slice(0, 8)}.json`, audit.data)}>{t.audits.download}</button>
          </p>
          <p className="muted">{t.audits.cli}</p>
        </>
      ) : audit.data.bundleHash
        ? <p className="muted" data-testid="bundle-hash" style={{ wordBreak: "break-all" }}>{fill(t.audits.bundleWithSupervisor, { hash: audit.data.bundleHash })}</p>
        : <p className="muted">{t.audits.noBundle}</p>}
      {verify.error && <p className="error" role="alert">{verify.error.message}</p>}
      {verify.data && (
        <>
          <h4>{t.audits.browserChecks}</h4>
          <p className={verify.data.ok ? "notice" : "error"} role="status" data-testid="browser-verdict">{verify.data.ok ? t.audits.verified : t.audits.notVerified}</p>
          <Checks checks={verify.data.checks} testId="browser-checks" />
          <p className="muted" style={{ fontSize: ".8rem", wordBreak: "break-all" }}>{fill(t.audits.pins, { pins: verify.data.pins })}</p>
        </>
      )}
    </div>
  );
}

function Checks({ checks, testId }: { checks: Check[]; testId: string }) {
  return (
    <ul data-testid={testId} style={{ margin: 0, paddingLeft: "1.2rem" }}>
      {checks.map((c, i) => (
        <li key={i} data-ok={c.ok} className={c.ok ? "" : "error"}>{c.ok ? "✔" : "✖"} {c.what}{c.detail ? <span className="muted">: {c.detail}</span> : null}</li>
      ))}
    </ul>
  );
}

/**
 * Verifies a bundle in this browser with the keys this site publishes. The verifier refuses
 * keys whose hashes differ from the pins; since both come from this site, the pins are shown
 * so they can be compared with the repository, and the CLI checks against the repository alone.
 */
async function verifyHere(bundle: unknown): Promise<AuditVerification & { pins: string }> {
  const res = await fetch("/api/zk/keys");
  if (!res.ok) throw new Error(`/api/zk/keys: HTTP ${res.status}`);
  const { keys, pins } = (await res.json()) as { keys: Record<string, object>; pins: Record<string, string> };
  // The verifier pulls in snarkjs and Poseidon: load it only when asked. It picks the circuit from the query itself.
  const { verifyAudit } = await import("@/core/zk/verify");
  const result = await verifyAudit(bundle, keys, pins);
  return { ...result, pins: Object.entries(pins).map(([name, pin]) => `${name} ${pin.slice(0, 16)}…`).join(", ") };
}

function download(name: string, data: unknown) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
