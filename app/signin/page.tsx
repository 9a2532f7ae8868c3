import { redirect } from "next/navigation";
import { getContext } from "@/server/api/rsc";
import { LangSwitch } from "../_components/controls";
import { safeNext } from "../_lib/next-path";
import { getDictionary } from "../i18n/server";
import { SignInForm } from "./form";

export const dynamic = "force-dynamic";

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string; for?: string }> }) {
  const [ctx, { t }, sp] = await Promise.all([getContext(), getDictionary(), searchParams]);
  const next = safeNext(sp.next);
  if (ctx.user) redirect(next);
  return (
    <main className="auth">
      <div style={{ display: "flex", justifyContent: "space-between", alignItems: "baseline", gap: "1rem", flexWrap: "wrap" }}>
        <h1>{t.signIn.title} · {t.appName}</h1>
        <LangSwitch />
      </div>
      {sp.for === "consent" && <p className="notice" data-testid="signin-reason">{t.signIn.forConsent}</p>}
      <SignInForm next={next} />
    </main>
  );
}
