import { redirect } from "next/navigation";
import { getContext } from "@/server/api/rsc";
import { activeSuspension } from "@/server/ledger/supervision";
import { Shell } from "../_components/shell";
import { getDictionary } from "../i18n/server";

export const dynamic = "force-dynamic";

export default async function SignedInLayout({ children }: { children: React.ReactNode }) {
  const [ctx, { t, locale }] = await Promise.all([getContext(), getDictionary()]);
  if (!ctx.user) redirect("/signin");
  const suspension = ctx.active ? await activeSuspension(ctx.prisma, ctx.active.organisation.id) : null;
  return <Shell ctx={ctx} t={t} locale={locale} suspension={suspension}>{children}</Shell>;
}
