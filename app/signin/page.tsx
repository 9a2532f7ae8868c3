import { redirect } from "next/navigation";
import { getContext } from "@/server/api/rsc";
import { getDictionary } from "../i18n/server";
import { SignInForm } from "./form";

export const dynamic = "force-dynamic";

export default async function SignInPage() {
  const [ctx, { t }] = await Promise.all([getContext(), getDictionary()]);
  if (ctx.user) redirect("/");
  return (
    <main className="auth">
      <h1>{t.signIn.title} · {t.appName}</h1>
      <SignInForm />
    </main>
  );
}
