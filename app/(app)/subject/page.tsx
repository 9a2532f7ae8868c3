import Link from "next/link";
import { api, unlessForbidden } from "@/server/api/rsc";
import { dateTime } from "../../_lib/format";
import { RoleHome } from "../../_components/role-home";
import { getDictionary } from "../../i18n/server";
import { LedgerProof } from "../ledger/proof-badge";
import { DecideConsent, RevokeConsent } from "./decide";
import { LinkedHolders } from "./keys";

/** A person's digital safe box: who asked for which of their records, what they allowed, and every use. */
export default async function SafeBox({ searchParams }: { searchParams: Promise<{ request?: string }> }) {
  const [{ t, locale }, caller, { request: highlight }] = await Promise.all([getDictionary(), api(), searchParams]);
  const box = await unlessForbidden(caller.subject.safeBox());
  const when = (d: Date) => dateTime(d, locale);
  const name = (en: string, zh: string | null) => (locale === "zh" && zh ? zh : en);
  return (
    <RoleHome role="SUBJECT">
      {box && (
        <>
          <section className="panel" data-testid="safe-box">
            <h2>{t.consent.safeBox} {box.subjectRef && <code className="muted">{box.subjectRef}</code>}</h2>
            {!box.subjectRef ? <><p className="muted">{t.consent.noIdentity}</p><p data-testid="how-to-verify">{t.consent.howToVerify}</p></> : box.requests.length === 0 ? <p className="muted">{t.consent.noRequests}</p> : (
              <table>
                <tbody>
                  {box.requests.map((r) => (
                    <tr key={r.id} data-request={r.id} style={r.id === highlight ? { outline: "2px solid var(--accent, #2563eb)" } : undefined}>
                      <td>
                        <strong>{name(r.buyer, r.buyerZh)}</strong> {t.consent.asks} {r.fieldLabels.map((f) => (locale === "zh" && f.labelZh) || f.label || f.name).join(locale === "zh" ? "、" : ", ")} {t.consent.from} {name(r.resource, r.resourceZh)} ({name(r.holder, r.holderZh)})
                        <div className="muted">{t.consent.for}: {r.purpose} · {dateTime(r.validUntil, locale)}</div>
                        {r.status === "PENDING" && <Link href={`/consent/${r.id}`}>{t.consent.openRequest}</Link>}
                      </td>
                      <td>{t.consent.status[r.status]}{(r.status === "APPROVED" || r.status === "SPENT") && <div className="muted">{t.consent.uses}: {r.uses - r.usesLeft} / {r.uses}</div>}
                        {r.status === "REFUSED" && r.refusal && <div className="muted">{r.refusal}</div>}</td>
                      <td>{r.status === "PENDING" ? <DecideConsent requestId={r.id} /> : r.status === "APPROVED" ? <RevokeConsent requestId={r.id} /> : null}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          {box.subjectRef && <LinkedHolders subjectRef={box.subjectRef} />}
          {box.deliveries.length > 0 && (
            <section className="panel">
              <h2>{t.consent.deliveredAt}</h2>
              <table data-testid="deliveries"><tbody>{box.deliveries.map((d) => (
                <tr key={d.envelopeHash}><td>{when(d.deliveredAt)}</td><td>{(() => { const r = box.requests.find((x) => x.id === d.requestId); return r ? name(r.buyer, r.buyerZh) : ""; })()}</td><td className="muted">{t.consent.envelopeHash}: <code>{d.envelopeHash.slice(0, 16)}…</code></td>
                  <td>{d.ledgerEntryId && <LedgerProof entryId={d.ledgerEntryId} mustContain={d.envelopeHash} />}</td></tr>
              ))}</tbody></table>
            </section>
          )}
        </>
      )}
    </RoleHome>
  );
}
