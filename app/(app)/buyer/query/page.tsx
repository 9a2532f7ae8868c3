import { api, getContext, unlessForbidden } from "@/server/api/rsc";
import { PrivacyBudgets } from "../../../_components/privacy-budgets";
import { Refusal } from "../../../_components/refusal";
import { getDictionary } from "../../../i18n/server";
import { QueryConsole } from "./console";
import { EvalGuard } from "./eval-guard";
import { RecentQueries } from "./recent";

export default async function QueryPage({ searchParams }: { searchParams: Promise<{ job?: string }> }) {
  const [{ t, locale }, ctx, caller, sp] = await Promise.all([getDictionary(), getContext(), api(), searchParams]);
  const [products, budgets, queries] = await Promise.all([unlessForbidden(caller.buyer.products()), unlessForbidden(caller.buyer.privacyBudgets()), unlessForbidden(caller.buyer.queries())]);
  if (!products) return <Refusal ctx={ctx} role="BUYER" t={t} locale={locale} />;
  return (
    <>
      <EvalGuard />
      <h1>{t.query.consoleTitle}</h1>
      <QueryConsole products={products} initialJobId={sp.job && /^[0-9a-f-]{36}$/i.test(sp.job) ? sp.job : null} />
      {queries && queries.length > 0 && <RecentQueries queries={queries} t={t} locale={locale} />}
      {budgets && <PrivacyBudgets rows={budgets} t={t} locale={locale} show="buyer" />}
    </>
  );
}
