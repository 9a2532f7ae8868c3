import { api, getContext, unlessForbidden } from "@/server/api/rsc";
import { Refusal } from "../../../_components/refusal";
import { getDictionary } from "../../../i18n/server";
import { QueryConsole } from "./console";

export default async function QueryPage() {
  const [{ t, locale }, ctx, caller] = await Promise.all([getDictionary(), getContext(), api()]);
  const products = await unlessForbidden(caller.buyer.products());
  if (!products) return <Refusal ctx={ctx} role="BUYER" t={t} locale={locale} />;
  return (
    <>
      <h1>{t.query.consoleTitle}</h1>
      <QueryConsole products={products} />
    </>
  );
}
