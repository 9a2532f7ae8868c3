"use client";
/** Small client controls of the shell: organisation switcher, language switch, sign-out. */
import { useMutation } from "@tanstack/react-query";
import { signOut } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useI18n } from "../i18n/client";
import { useTRPC } from "../trpc";

export function OrgSwitcher(props: { activeId: string | null; options: { id: string; label: string }[] }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const change = useMutation(trpc.account.switchOrganisation.mutationOptions({
    onSuccess: () => { router.push("/"); router.refresh(); },
  }));
  if (props.options.length === 0) return null;
  return (
    <label className="org-switch" style={{ display: "flex", gap: ".4rem", alignItems: "center" }}>
      <span>{t.shell.switchOrg}</span>
      <select
        aria-label={t.shell.switchOrg}
        value={props.activeId ?? ""}
        disabled={change.isPending}
        onChange={(e) => change.mutate({ organisationId: e.target.value })}
      >
        {props.options.map((o) => <option key={o.id} value={o.id}>{o.label}</option>)}
      </select>
    </label>
  );
}

export function LangSwitch() {
  const { t, locale } = useI18n();
  const router = useRouter();
  const next = locale === "zh" ? "en" : "zh";
  return (
    <button
      type="button"
      aria-label={t.lang.label}
      onClick={() => {
        document.cookie = `lang=${next}; Path=/; Max-Age=31536000; SameSite=Lax`;
        router.refresh();
      }}
    >
      {next === "en" ? t.lang.en : t.lang.zh}
    </button>
  );
}

export function SignOutButton() {
  const { t } = useI18n();
  return <button type="button" onClick={() => signOut({ callbackUrl: "/signin" })}>{t.nav.signOut}</button>;
}
