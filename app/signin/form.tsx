"use client";
import Link from "next/link";
import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useI18n } from "../i18n/client";

export function SignInForm({ next = "/" }: { next?: string }) {
  const { t } = useI18n();
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="panel stack"
      onSubmit={async (e) => {
        e.preventDefault();
        const form = new FormData(e.currentTarget);
        setBusy(true);
        setError(null);
        const res = await signIn("credentials", { email: form.get("email"), password: form.get("password"), redirect: false });
        setBusy(false);
        if (!res || res.error) { setError(res?.error === "TOO_MANY_ATTEMPTS" ? t.signIn.tooMany : t.errors.WRONG_CREDENTIALS); return; }
        router.push(next);
        router.refresh();
      }}
    >
      <label>{t.signIn.email}<input name="email" type="email" autoComplete="username" required /></label>
      <label>{t.signIn.password}<input name="password" type="password" autoComplete="current-password" required /></label>
      {error && <p className="error" role="alert">{error}</p>}
      <button className="primary" disabled={busy}>{busy ? t.signIn.busy : t.signIn.submit}</button>
      <p className="muted">{t.signIn.noAccount} <Link href="/signup">{t.nav.signUp}</Link></p>
    </form>
  );
}
