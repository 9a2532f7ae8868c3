import { getContext } from "@/server/api/rsc";
import { listWitnesses } from "@/server/ledger/witnesses";
import { orgLabel } from "../../_components/shell";
import { dateTime, integer } from "../../_lib/format";
import { getDictionary } from "../../i18n/server";
import { LedgerFeed } from "./feed";

/** Any organisation's own events on the ledger, each proof checked in the browser; and who cosigns the ledger. */
export default async function LedgerPage() {
  const [{ t, locale }, ctx] = await Promise.all([getDictionary(), getContext()]);
  const org = ctx.active?.organisation;
  const { witnesses } = await listWitnesses(ctx.prisma);
  return (
    <>
      <h1>{t.ledger.title}</h1>
      {org ? <LedgerFeed mode="mine" orgs={{ [org.id]: orgLabel(org, locale) }} /> : <p className="panel muted">{t.ledger.none}</p>}
      <section className="panel" aria-labelledby="witnesses">
        <h2 id="witnesses">{t.ledger.witnesses}</h2>
        <p className="muted">{t.ledger.witnessesHint}</p>
        {witnesses.length === 0 ? <p className="muted">{t.ledger.noWitnesses}</p> : (
          <table>
            <thead><tr><th>{t.ledger.witness}</th><th>{t.ledger.witnessKey}</th><th>{t.ledger.cosigned}</th></tr></thead>
            <tbody>
              {witnesses.map((w) => (
                <tr key={w.vkey}>
                  <td>{w.name}</td>
                  <td><code className="wrap">{w.vkey}</code></td>
                  <td>{w.cosigned ? `${integer(w.cosigned.size, locale)} ${t.ledger.size} · ${dateTime(new Date(w.cosigned.at), locale)}` : t.ledger.notYet}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
