/** The signed-in frame: brand, navigation by the active organisation's roles, switchers. */
import Link from "next/link";
import { roleHome } from "@/server/accounts/roles";
import type { Context } from "@/server/api/trpc";
import { fill, type Dictionary, type Locale } from "../i18n/dictionaries";
import { LangSwitch, OrgSwitcher, SignOutButton } from "./controls";
import { dateTime } from "../_lib/format";

export function orgLabel(o: { name: string; nameZh: string | null }, locale: Locale) {
  return locale === "zh" && o.nameZh ? o.nameZh : o.name;
}

export function Shell(props: { ctx: Context; t: Dictionary; locale: Locale; suspension?: { reason: string; createdAt: Date } | null; children: React.ReactNode }) {
  const { ctx, t, locale } = props;
  const roles = ctx.active?.organisation.roles ?? [];
  return (
    <>
      <header className="topbar">
        <Link href="/" className="brand"><img src="/icon.svg" alt="" />{t.appName}</Link>
        <nav aria-label="main">
          {roles.map((r) => <Link key={r} href={roleHome[r]}>{t.roles[r]}</Link>)}
          <Link href="/catalog">{t.nav.catalog}</Link>
          {roles.some((r) => r === "BUYER" || r === "HOLDER" || r === "DEVELOPER") && <Link href="/demands">{t.nav.demands}</Link>}
          <Link href="/ledger">{t.nav.ledger}</Link>
          <Link href="/organisation">{t.nav.organisation}</Link>
          <Link href="/account">{t.nav.account}</Link>
        </nav>
        <div className="tools">
          <OrgSwitcher
            activeId={ctx.active?.organisation.id ?? null}
            options={ctx.memberships.map((m) => ({ id: m.organisation.id, label: orgLabel(m.organisation, locale) }))}
          />
          <LangSwitch />
          <span className="muted" style={{ color: "inherit", opacity: .85 }}>{ctx.user?.name}</span>
          <SignOutButton />
        </div>
      </header>
      {props.suspension && ctx.active && (
        <div className="banner" role="alert" data-testid="suspension-banner">
          <strong>{fill(t.shell.suspended, {
            org: orgLabel(ctx.active.organisation, locale), reason: props.suspension.reason,
            since: dateTime(props.suspension.createdAt, locale),
          })}</strong>
          <div>{t.shell.suspendedEffect}</div>
        </div>
      )}
      <main>{props.children}</main>
    </>
  );
}
