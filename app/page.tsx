import Link from "next/link";
import { redirect } from "next/navigation";
import { roleHome } from "@/server/accounts/roles";
import { getContext } from "@/server/api/rsc";
import { LangSwitch } from "./_components/controls";
import { getDictionary } from "./i18n/server";

export const dynamic = "force-dynamic";

/** Signed in: go to the first home of the organisation you act for. Signed out: the rules and a way in. */
export default async function Landing() {
  const [ctx, { t }] = await Promise.all([getContext(), getDictionary()]);
  if (ctx.user) {
    const first = ctx.active?.organisation.roles[0];
    redirect(first ? roleHome[first] : "/account");
  }
  return (
    <main>
      <div style={{ display: "flex", justifyContent: "space-between", alignItems: "center" }}>
        <h1 style={{ display: "flex", gap: ".6rem", alignItems: "center" }}><img src="/icon.svg" alt="" width={32} height={32} />{t.appName}</h1>
        <div className="topbar" style={{ borderRadius: 8, padding: ".3rem" }}><LangSwitch /></div>
      </div>
      <p className="muted">{t.tagline}</p>
      <section className="panel">
        <h2>{t.landing.rules}</h2>
        <ol>
          <li>{t.landing.rule1}</li><li>{t.landing.rule2}</li><li>{t.landing.rule3}</li><li>{t.landing.rule4}</li>
        </ol>
        <p style={{ display: "flex", gap: "1rem", alignItems: "center" }}>
          <Link className="primary" href="/signin">{t.landing.cta}</Link>
          <Link href="/signup">{t.nav.signUp}</Link>
        </p>
      </section>
    </main>
  );
}
