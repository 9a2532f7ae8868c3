import { TRPCError } from "@trpc/server";
import { api, getContext } from "@/server/api/rsc";
import { Refusal } from "../../../_components/refusal";
import { getDictionary } from "../../../i18n/server";
import { QueryConsole } from "./console";

export default async function QueryPage() {
  const [{ t, locale }, ctx, caller] = await Promise.all([getDictionary(), getContext(), api()]);
  const products = await caller.buyer.products().catch((e) => {
    if (e instanceof TRPCError && e.code === "FORBIDDEN") return null;
    throw e;
  });
  if (!products) return <Refusal ctx={ctx} role="BUYER" t={t} locale={locale} />;
  return (
    <>
      <h1>{t.query.consoleTitle}</h1>
      <QueryConsole products={products} />
    </>
  );
}
