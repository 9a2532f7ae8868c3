import { api, unlessForbidden } from "@/server/api/rsc";
import { RoleHome } from "../../_components/role-home";
import { getDictionary } from "../../i18n/server";
import { LedgerProof } from "../ledger/proof-badge";
import { DecideConsent, RevokeConsent } from "./decide";
import { LinkedHolders } from "./keys";

/** A person's digital safe box: who asked for which of their records, what they allowed, and every use. */
export default async function SafeBox({ searchParams }: { searchParams: Promise<{ request?: string }> }) {
  const [{ t, locale }, caller, { request: highlight }] = await Promise.all([getDictionary(), api(), searchParams]);
  const box = await unlessForbidden(caller.subject.safeBox());
  const when = (d: Date) => d.toLocaleString(locale === "zh" ? "zh-CN" : "en-GB");
  return (
    <RoleHome role="SUBJECT">
      {box && (
        <>
          <section className="panel" data-testid="safe-box">
            <h2>{t.consent.safeBox} {box.subjectRef && <code className="muted">{box.subjectRef}</code>}</h2>
            {!box.subjectRef ? <p className="muted">{t.consent.noIdentity}</p> : box.requests.length === 0 ? <p className="muted">{t.consent.noRequests}</p> : (
              <table>
                <tbody>
                  {box.requests.map((r) => (
                    <tr key={r.id} data-request={r.id} style={r.id === highlight ? { outline: "2px solid var(--accent, #2563eb)" } : undefined}>
                      <td><strong>{r.buyer}</strong> {t.consent.asks} {r.fields.join(", ")} {t.consent.from} {r.resource} ({r.holder})<div className="muted">{t.consent.for}: {r.purpose} · {when(r.validUntil)}</div></td>
                      <td>{t.consent.status[r.status]}{r.status !== "PENDING" && <div className="muted">{t.consent.uses}: {r.uses - r.usesLeft} / {r.uses}</div>}</td>
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
                <tr key={d.envelopeHash}><td>{when(d.deliveredAt)}</td><td>{box.requests.find((r) => r.id === d.requestId)?.buyer}</td><td className="muted">{t.consent.envelopeHash}: <code>{d.envelopeHash.slice(0, 16)}…</code></td>
                  <td>{d.ledgerEntryId && <LedgerProof entryId={d.ledgerEntryId} mustContain={d.envelopeHash} />}</td></tr>
              ))}</tbody></table>
            </section>
          )}
        </>
      )}
    </RoleHome>
  );
}
