/**
 * The consent page a person reaches by scanning the buyer's QR code, made for a phone: who
 * asks, for which fields (in the holder's words), for what purpose and how long; large
 * Approve and Refuse; a confirmation. Signing in from here comes back here.
 */
import Link from "next/link";
import { redirect } from "next/navigation";
import { api, getContext, unlessForbidden } from "@/server/api/rsc";
import { TRPCError } from "@trpc/server";
import { LangSwitch, SignOutButton } from "../../_components/controls";
import { getDictionary } from "../../i18n/server";
import { ConsentAnswer } from "./answer";

export const dynamic = "force-dynamic";

export default async function ConsentPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const [ctx, { t, locale }] = await Promise.all([getContext(), getDictionary()]);
  if (!ctx.user) redirect(`/signin?next=${encodeURIComponent(`/consent/${id}`)}&for=consent`);
  const caller = await api();
  const request = /^[0-9a-f-]{36}$/i.test(id)
    ? await unlessForbidden(caller.subject.consentRequest({ requestId: id })).catch((e) => { if (e instanceof TRPCError && e.code === "NOT_FOUND") return null; throw e; })
    : null;
  const subjectRef = request ? (await unlessForbidden(caller.subject.safeBox()))?.subjectRef ?? null : null;
  return (
    <>
      <header className="topbar">
        <Link href="/subject" className="brand"><img src="/icon.svg" alt="" />{t.appName}</Link>
        <div className="tools" style={{ marginLeft: "auto" }}><LangSwitch /><SignOutButton /></div>
      </header>
      <main className="consent-page">
        {!request || !subjectRef ? (
          <section className="panel"><h1>{t.consentPage.notFound}</h1><p className="muted">{t.consentPage.notFoundNote}</p><Link href="/subject">{t.consentPage.safeBox}</Link></section>
        ) : (
          <ConsentAnswer request={request} subjectRef={subjectRef} locale={locale} />
        )}
      </main>
    </>
  );
}
