"use client";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { requestableRoles, type RequestableRole } from "@/server/accounts/roles";
import { useI18n } from "../i18n/client";
import { errorText, useTRPC } from "../trpc";

export function SignUpForm() {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const [signInError, setSignInError] = useState<string | null>(null);
  const signUp = useMutation(trpc.account.signUp.mutationOptions());
  return (
    <form
      className="panel stack"
      onSubmit={async (e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        const email = String(f.get("email"));
        const password = String(f.get("password"));
        const organisationName = String(f.get("organisation") ?? "").trim();
        await signUp.mutateAsync({
          name: String(f.get("name")), email, password,
          organisationName: organisationName || undefined,
          requestedRoles: organisationName ? (f.getAll("requested") as RequestableRole[]) : [],
        }).then(async () => {
          const res = await signIn("credentials", { email, password, redirect: false });
          if (!res || res.error) { setSignInError(t.errors.generic); return; }
          router.push("/");
          router.refresh();
        }, () => { /* shown below from signUp.error */ });
      }}
    >
      <label>{t.signUp.name}<input name="name" required maxLength={100} autoComplete="name" /></label>
      <label>{t.signIn.email}<input name="email" type="email" required autoComplete="email" /></label>
      <label>{t.signIn.password} <span className="muted">{t.signUp.passwordHint}</span>
        <input name="password" type="password" required minLength={10} autoComplete="new-password" /></label>
      <label>{t.signUp.organisation}<input name="organisation" maxLength={120} /></label>
      <fieldset className="checks" style={{ border: 0, padding: 0 }}>
        <legend className="muted" style={{ fontSize: ".9rem" }}>{t.signUp.requested}</legend>
        {requestableRoles.map((r) => <label key={r}><input type="checkbox" name="requested" value={r} />{t.roles[r]}</label>)}
      </fieldset>
      {(signUp.error || signInError) && <p className="error" role="alert">{signInError ?? errorText(t, signUp.error)}</p>}
      <button className="primary" disabled={signUp.isPending}>{signUp.isPending ? t.signUp.busy : t.signUp.submit}</button>
      <p className="muted">{t.signUp.haveAccount} <Link href="/signin">{t.nav.signIn}</Link></p>
    </form>
  );
}
