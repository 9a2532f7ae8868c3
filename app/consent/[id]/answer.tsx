"use client";
import Link from "next/link";
import { useEffect, useState } from "react";
import { dateTime } from "../../_lib/format";
import { fill, type Locale } from "../../i18n/dictionaries";
import { useI18n } from "../../i18n/client";
import { errorText } from "../../trpc";
import { useDecideConsent, RevokeConsent } from "../../(app)/subject/decide";
import { LinkedHolders, linkedKey } from "../../(app)/subject/keys";

type Request = {
  id: string; status: "PENDING" | "APPROVED" | "REFUSED" | "REVOKED" | "SPENT" | "EXPIRED"; purpose: string; validUntil: Date; uses: number; usesLeft: number;
  refusal: string | null; buyer: string; buyerZh: string | null; resource: string; resourceZh: string | null; holder: string; holderZh: string | null;
  fieldLabels: { name: string; label: string | null; labelZh: string | null }[]; buyerSuspended: boolean; nodeId: string | null;
};

export function ConsentAnswer({ request: r, subjectRef, locale }: { request: Request; subjectRef: string; locale: Locale }) {
  const { t } = useI18n();
  const zh = locale === "zh";
  const buyer = zh && r.buyerZh ? r.buyerZh : r.buyer;
  const holder = zh && r.holderZh ? r.holderZh : r.holder;
  const [answered, setAnswered] = useState<string | null>(null);
  const [refusing, setRefusing] = useState(false);
  const [reason, setReason] = useState("");
  const { draft, nodes, decide, envelopeKey: ek } = useDecideConsent(r.id, setAnswered);
  const [linked, setLinked] = useState<boolean | null>(null);
  const nodeKeys = nodes.data?.find((n) => n.nodeId === r.nodeId)?.keys;
  useEffect(() => { if (nodeKeys) void linkedKey(nodeKeys).then((k) => setLinked(!!k)); }, [nodeKeys]);
  const status = answered ?? r.status;

  return (
    <article className="panel consent" data-testid="consent-request">
      <h1>{fill(t.consentPage.asks, { buyer })}</h1>
      <dl className="facts single">
        <div><dt>{t.consentPage.fields}</dt><dd><ul className="plain" data-testid="consent-fields">{r.fieldLabels.map((f) => <li key={f.name}>{(zh && f.labelZh) || f.label || f.name}</li>)}</ul></dd></div>
        <div><dt>{t.consentPage.from}</dt><dd>{zh && r.resourceZh ? r.resourceZh : r.resource} · {holder}</dd></div>
        <div><dt>{t.consentPage.purpose}</dt><dd>{r.purpose}</dd></div>
        <div><dt>{t.consentPage.until}</dt><dd>{dateTime(new Date(r.validUntil), locale)}</dd></div>
        <div><dt>{t.consentPage.uses}</dt><dd>{fill(r.uses === 1 ? t.consentPage.once : t.consentPage.times, { n: r.uses })}</dd></div>
      </dl>
      <p className="muted">{t.consentPage.sealed}</p>
      {ek && status === "PENDING" && <p className="muted" data-testid="envelope-key">{t.consent.sealedTo} <code>{ek.slice(0, 8)} {ek.slice(8, 16)}</code></p>}

      {status === "PENDING" && r.buyerSuspended && <p className="error" role="alert" data-testid="requester-suspended">{fill(t.consentPage.suspended, { buyer })}</p>}

      {status === "PENDING" && !r.buyerSuspended && linked === false && (
        <div data-testid="link-first">
          <p className="notice">{fill(t.consentPage.linkFirst, { holder })}</p>
          <LinkedHolders subjectRef={subjectRef} only={r.nodeId} withRecords={false} />
        </div>
      )}

      {status === "PENDING" && !refusing && (
        <div className="big-actions">
          {!r.buyerSuspended && (
            <button type="button" className="primary big" disabled={decide.isPending || !draft.data || !linked} onClick={() => decide.mutate({ decision: "approve" })}>{t.consentPage.approve}</button>
          )}
          <button type="button" className="secondary big" disabled={decide.isPending} onClick={() => setRefusing(true)}>{t.consentPage.refuse}</button>
        </div>
      )}
      {status === "PENDING" && refusing && (
        <div className="stack">
          <label>{t.consent.reason}<textarea rows={3} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={1000} /></label>
          <div className="big-actions">
            <button type="button" className="primary big" disabled={decide.isPending} onClick={() => decide.mutate({ decision: "refuse", reason: reason.trim() || undefined })}>{t.consentPage.confirmRefuse}</button>
            <button type="button" className="secondary big" onClick={() => setRefusing(false)}>{t.orders.back}</button>
          </div>
        </div>
      )}
      {decide.error ? <p className="error" role="alert">{errorText(t, decide.error)}</p> : null}

      {status !== "PENDING" && (
        <div className={status === "APPROVED" ? "notice" : "muted"} role="status" data-testid="consent-outcome">
          <strong>{t.consentPage.outcome[status as keyof typeof t.consentPage.outcome]}</strong>
          {status === "APPROVED" && <p>{fill(t.consentPage.approvedNote, { buyer, until: dateTime(new Date(r.validUntil), locale) })}</p>}
          {status === "REFUSED" && r.refusal && <p>{r.refusal}</p>}
        </div>
      )}
      {status === "APPROVED" && <RevokeConsent requestId={r.id} />}
      <p><Link href="/subject">{t.consentPage.safeBox}</Link></p>
    </article>
  );
}
