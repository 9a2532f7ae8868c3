import QRCode from "qrcode";
import { api, getContext, unlessForbidden } from "@/server/api/rsc";
import { Refusal } from "../../../_components/refusal";
import { getDictionary } from "../../../i18n/server";
import { ConsentConsole } from "./console";

/** Individual data for buyers: requests to people, approval links with QR codes, envelopes opened in the browser. */
export default async function ConsentsPage() {
  const [{ t, locale }, ctx, caller] = await Promise.all([getDictionary(), getContext(), api()]);
  const [resources, requests] = await Promise.all([unlessForbidden(caller.buyer.personResources()), unlessForbidden(caller.buyer.consentRequests())]);
  if (!resources || !requests) return <Refusal ctx={ctx} role="BUYER" t={t} locale={locale} />;
  const base = process.env.NEXTAUTH_URL ?? "http://localhost:3000";
  const qr: Record<string, { url: string; svg: string }> = {};
  for (const r of requests.filter((x) => x.status === "PENDING")) {
    const url = `${base}/consent/${r.id}`;
    qr[r.id] = { url, svg: await QRCode.toString(url, { type: "svg", margin: 1, errorCorrectionLevel: "M" }) };
  }
  return (
    <>
      <h1>{t.consent.title}</h1>
      <ConsentConsole orgId={ctx.active!.organisation.id} resources={resources.map((r) => ({ id: r.id, name: locale === "zh" && r.nameZh ? r.nameZh : r.name, holder: r.holder, fields: r.fields }))} qr={qr} />
    </>
  );
}
