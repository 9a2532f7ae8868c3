import { getContext } from "@/server/api/rsc";
import { orgLabel } from "../../_components/shell";
import { getDictionary } from "../../i18n/server";
import { LedgerFeed } from "./feed";

/** Any organisation's own events on the ledger, each proof checked in the browser. */
export default async function LedgerPage() {
  const [{ t, locale }, ctx] = await Promise.all([getDictionary(), getContext()]);
  const org = ctx.active?.organisation;
  return (
    <>
      <h1>{t.ledger.title}</h1>
      {org ? <LedgerFeed mode="mine" orgs={{ [org.id]: orgLabel(org, locale) }} /> : <p className="panel muted">{t.ledger.none}</p>}
    </>
  );
}
