import { api, getContext, unlessForbidden } from "@/server/api/rsc";
import { PrivacyBudgets } from "../../../_components/privacy-budgets";
import { Refusal } from "../../../_components/refusal";
import { getDictionary } from "../../../i18n/server";
import { QueryConsole } from "./console";

export default async function QueryPage() {
  const [{ t, locale }, ctx, caller] = await Promise.all([getDictionary(), getContext(), api()]);
  const [products, budgets] = await Promise.all([unlessForbidden(caller.buyer.products()), unlessForbidden(caller.buyer.privacyBudgets())]);
  if (!products) return <Refusal ctx={ctx} role="BUYER" t={t} locale={locale} />;
  return (
    <>
      <h1>{t.query.consoleTitle}</h1>
      <QueryConsole products={products} />
      {budgets && <PrivacyBudgets rows={budgets} t={t} locale={locale} show="buyer" />}
    </>
  );
}
