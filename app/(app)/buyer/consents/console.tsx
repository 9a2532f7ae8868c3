"use client";
/**
 * The buyer's side of individual data: an envelope key made and kept in this browser (only its
 * public half is registered), requests to people, and envelopes fetched and opened here.
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import { exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { openEnvelope } from "@/core/envelope";
import { verifyNodeSignature } from "@/core/node-signature";
import { fill } from "../../../i18n/dictionaries";
import { useI18n } from "../../../i18n/client";
import { errorText, useTRPC } from "../../../trpc";
import { getItem, putItem } from "../../../_lib/keystore";

type Resource = { id: string; name: string; holder: string; fields: string[] };
/** The envelope key pair kept in IndexedDB: the private key is a non-extractable CryptoKey (no script can read it out). */
type Stored = { kid: string; pair: CryptoKeyPair };

/** This browser's envelope key for the organisation; a key from an older version (a clear JWK in localStorage) is moved into IndexedDB as non-extractable once, and the clear copy deleted. */
async function loadEnvelopeKey(orgId: string): Promise<Stored | null> {
  const name = `envelope-key:${orgId}`, legacy = `qc-envelope-key:${orgId}`;
  const old = localStorage.getItem(legacy);
  if (old) {
    const { kid, privateJwk } = JSON.parse(old) as { kid: string; privateJwk: JWK };
    const { d: _d, ...publicJwk } = privateJwk;
    const pair = {
      privateKey: await importJWK(privateJwk, "ECDH-ES", { extractable: false }) as CryptoKey,
      publicKey: await importJWK(publicJwk, "ECDH-ES", { extractable: true }) as CryptoKey,
    };
    await putItem(name, { kid, pair } satisfies Stored);
    localStorage.removeItem(legacy);
  }
  return (await getItem<Stored>(name)) ?? null;
}

export function ConsentConsole({ orgId, resources, qr }: { orgId: string; resources: Resource[]; qr: Record<string, { url: string; svg: string }> }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const [stored, setStored] = useState<Stored | null>(null);
  useEffect(() => { void loadEnvelopeKey(orgId).then(setStored); }, [orgId]);
  const register = useMutation(trpc.buyer.registerEnvelopeKey.mutationOptions({ onSuccess: () => void keys.refetch() }));
  const keys = useQuery(trpc.buyer.envelopeKeys.queryOptions());
  const retire = useMutation(trpc.buyer.retireEnvelopeKey.mutationOptions({ onSuccess: () => void keys.refetch() }));
  const [resourceId, setResourceId] = useState(resources[0]?.id ?? "");
  const resource = resources.find((r) => r.id === resourceId);
  const ask = useMutation(trpc.buyer.requestConsent.mutationOptions({ onSuccess: () => { void requests.refetch(); router.refresh(); } }));
  const requests = useQuery(trpc.buyer.consentRequests.queryOptions());
  const deliver = useMutation(trpc.buyer.deliverEnvelope.mutationOptions());
  const [opened, setOpened] = useState<Record<string, Record<string, unknown>>>({});
  const [unsaved, setUnsaved] = useState(0);
  // An opened record cannot be fetched again (its consent is spent): warn before it is lost with the page.
  useEffect(() => {
    if (!unsaved) return;
    const warn = (e: BeforeUnloadEvent) => { e.preventDefault(); };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [unsaved]);
  const saveRecord = (r: { id: string; subjectRef: string; purpose: string }, fields: Record<string, unknown>) => {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([JSON.stringify({ request: r.id, subjectRef: r.subjectRef, purpose: r.purpose, openedAt: new Date().toISOString(), fields }, null, 2)], { type: "application/json" }));
    a.download = `record-${r.subjectRef}-${r.id.slice(0, 8)}.json`;
    a.click();
    setUnsaved((n) => Math.max(0, n - 1));
  };
  const [openError, setOpenError] = useState<string | null>(null);

  async function makeKey() {
    // Non-extractable: the private key can open envelopes in this page but never be read out. The public half stays exportable.
    const pair = await generateKeyPair("ECDH-ES", { crv: "P-256", extractable: false }) as CryptoKeyPair;
    const pub = await exportJWK(pair.publicKey);
    const { thumbprint } = await register.mutateAsync({ publicJwk: { kty: pub.kty, crv: pub.crv, x: pub.x, y: pub.y } });
    const s: Stored = { kid: thumbprint, pair };
    await putItem(`envelope-key:${orgId}`, s);
    setStored(s);
  }

  async function open(requestId: string) {
    setOpenError(null);
    try {
      const { envelope, envelopeHash, signed, nodeKey } = await deliver.mutateAsync({ requestId });
      // Open only what the holder's node signed: the relay cannot swap the envelope.
      if (!verifyNodeSignature(signed, nodeKey) || signed.payload.envelope !== envelope || signed.payload.envelopeHash !== envelopeHash || signed.payload.requestId !== requestId) {
        throw new Error(t.consent.badEnvelopeSignature);
      }
      const content = await openEnvelope(envelope, stored!.pair.privateKey) as { fields: Record<string, unknown> };
      setOpened((o) => ({ ...o, [requestId]: content.fields }));
      setUnsaved((n) => n + 1);
      void requests.refetch();
    } catch (e) {
      setOpenError(e instanceof Error && !("data" in e) ? e.message : errorText(t, e));
    }
  }

  return (
    <>
      <section className="panel">
        <h2>{t.consent.key}</h2>
        {stored ? <p data-testid="envelope-key">{fill(t.consent.keyReady, { kid: stored.kid.slice(0, 12) })}</p> : <p className="muted">{t.consent.noKey}</p>}
        <button type="button" className={stored ? "secondary" : "primary"} disabled={register.isPending} onClick={() => void makeKey()}>{stored ? t.consent.rotateKey : t.consent.makeKey}</button>
        {(keys.data ?? []).filter((k) => !k.retiredAt && k.thumbprint !== stored?.kid).map((k) => (
          <p key={k.thumbprint} className="muted"><code>{k.thumbprint.slice(0, 12)}</code> {t.consent.otherKey}{" "}
            <button type="button" className="secondary" disabled={retire.isPending} onClick={() => retire.mutate({ thumbprint: k.thumbprint })}>{t.consent.retireKey}</button></p>
        ))}
        {(register.error ?? retire.error) && <p className="error" role="alert">{errorText(t, register.error ?? retire.error)}</p>}
      </section>
      <section className="panel">
        <h2>{t.consent.request}</h2>
        <form className="stack" style={{ maxWidth: 640 }} onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          ask.mutate({ subjectRef: String(f.get("subject")), resourceId, fields: f.getAll("field").map(String), purpose: String(f.get("purpose")) });
        }}>
          <label>{t.consent.subject}<input name="subject" required placeholder="QC-SUBJ-0001" /></label>
          <label>{t.consent.resource}<select value={resourceId} onChange={(e) => setResourceId(e.target.value)}>{resources.map((r) => <option key={r.id} value={r.id}>{r.name} · {r.holder}</option>)}</select></label>
          <fieldset className="checks" style={{ border: 0, padding: 0 }}>
            <legend>{t.consent.fields}</legend>
            {resource?.fields.map((f) => <label key={f}><input type="checkbox" name="field" value={f} defaultChecked />{f}</label>)}
          </fieldset>
          <label>{t.consent.purpose}<input name="purpose" required minLength={2} placeholder="mortgage underwriting" /></label>
          {ask.error && <p className="error" role="alert">{errorText(t, ask.error)}</p>}
          <button className="primary" disabled={ask.isPending || !stored}>{t.consent.ask}</button>
        </form>
      </section>
      <section className="panel">
        <h2>{t.consent.requests}</h2>
        {openError && <p className="error" role="alert">{openError}</p>}
        {(requests.data ?? []).length === 0 ? <p className="muted">{t.consent.none}</p> : (
          <table data-testid="consent-requests">
            <tbody>
              {(requests.data ?? []).map((r) => (
                <tr key={r.id}>
                  <td><code>{r.subjectRef}</code><div className="muted">{r.fields.join(", ")} · {r.purpose}</div></td>
                  <td>{t.consent.status[r.status]}</td>
                  <td>
                    {r.status === "PENDING" && qr[r.id] && (
                      <div><a href={qr[r.id]!.url}>{t.consent.link}</a><div dangerouslySetInnerHTML={{ __html: qr[r.id]!.svg }} style={{ width: 120 }} /></div>
                    )}
                    {r.status === "APPROVED" && stored && <button type="button" className="primary" disabled={deliver.isPending} onClick={() => void open(r.id)}>{t.consent.open}</button>}
                    {opened[r.id] && (
                      <>
                        <table data-testid="envelope-fields"><caption>{t.consent.opened}</caption>
                          <tbody>{Object.entries(opened[r.id]!).map(([k, v]) => <tr key={k}><th>{k}</th><td>{String(v)}</td></tr>)}</tbody></table>
                        {/* The consent is spent and nobody keeps a copy: the record exists only here until it is saved. */}
                        <p className="notice">{t.consent.saveNow}</p>
                        <button type="button" className="primary" onClick={() => saveRecord(r, opened[r.id]!)}>{t.consent.saveRecord}</button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
