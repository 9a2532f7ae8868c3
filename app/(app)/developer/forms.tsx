"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useI18n } from "../../i18n/client";
import { errorText, useTRPC } from "../../trpc";
import { splitList } from "../../_lib/format";

export function BuildProductForm({ resources, policyTemplate }: { resources: { id: string; title: string; sharing: string | null }[]; policyTemplate: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const [policyError, setPolicyError] = useState<string | null>(null);
  const create = useMutation(trpc.developer.createProduct.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <form className="stack" style={{ maxWidth: 720 }} onSubmit={(e) => {
      e.preventDefault();
      const f = new FormData(e.currentTarget);
      let policy: unknown;
      try { policy = JSON.parse(String(f.get("policy"))); setPolicyError(null); } catch (err) { setPolicyError(`${t.products.policyJson}: ${(err as Error).message}`); return; }
      create.mutate({
        slug: String(f.get("slug")), name: String(f.get("name")), nameZh: String(f.get("nameZh") ?? "").trim() || undefined,
        description: String(f.get("description") ?? ""), policy: policy as never, resourceIds: f.getAll("resource").map(String),
      });
    }}>
      <h2>{t.products.build}</h2>
      <label>{t.products.slug}<input name="slug" required pattern="[a-z0-9-]{3,60}" /></label>
      <label>{t.resources.name}<input name="name" required minLength={2} /></label>
      <label>{t.account.newOrgNameZh}<input name="nameZh" /></label>
      <label>{t.resources.description}<textarea name="description" rows={2} /></label>
      <fieldset className="checks" style={{ border: 0, padding: 0 }}>
        <legend>{t.products.resources}</legend>
        {resources.filter((r) => r.sharing !== "NOT_SHARED").map((r) => <label key={r.id}><input type="checkbox" name="resource" value={r.id} />{r.title}</label>)}
      </fieldset>
      <label>{t.products.policy}<textarea name="policy" rows={10} defaultValue={policyTemplate} style={{ fontFamily: "monospace", fontSize: ".8rem" }} /></label>
      {(policyError || create.error) && <p className="error" role="alert">{policyError ?? errorText(t, create.error)}</p>}
      <button className="primary" disabled={create.isPending}>{t.products.create}</button>
    </form>
  );
}

export function TermsForm({ productId }: { productId: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const save = useMutation(trpc.developer.setProductTerms.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <form className="stack" onSubmit={(e) => {
      e.preventDefault();
      const f = new FormData(e.currentTarget);
      const pct = (k: string) => Math.round(Number(f.get(k)) * 100);
      save.mutate({
        productId, pricing: { model: "PER_QUERY", priceMinor: Math.round(Number(f.get("price")) * 100) },
        shares: { developerBps: pct("developer"), operatorBps: pct("operator"), holdersBps: pct("holders") },
        licence: String(f.get("licence")), purposes: splitList(String(f.get("purposes"))),
      });
    }}>
      <label>{t.products.pricePerQuery}<input name="price" type="number" step="0.01" min="0.01" required /></label>
      <div style={{ display: "flex", gap: ".4rem" }}>
        <label>{t.products.developerShare}<input name="developer" type="number" step="0.01" defaultValue={25} required /></label>
        <label>{t.products.operatorShare}<input name="operator" type="number" step="0.01" defaultValue={10} required /></label>
        <label>{t.products.holdersShare}<input name="holders" type="number" step="0.01" defaultValue={65} required /></label>
      </div>
      <label>{t.products.licence}<textarea name="licence" rows={2} required /></label>
      <label>{t.products.purposes}<input name="purposes" required placeholder="insurance pricing, public health research" /></label>
      {save.error && <p className="error" role="alert">{errorText(t, save.error)}</p>}
      {save.isSuccess && <p className="notice" role="status">{t.products.saved}</p>}
      <button className="secondary" disabled={save.isPending}>{t.products.saveTerms}</button>
    </form>
  );
}

export function SubmitProduct({ productId }: { productId: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const submit = useMutation(trpc.developer.submitProduct.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <>
      <button type="button" className="primary" disabled={submit.isPending} onClick={() => submit.mutate({ productId })}>{t.products.submit}</button>
      {submit.error && <p className="error" role="alert">{errorText(t, submit.error)}</p>}
    </>
  );
}

/** A listed product can be paused (it leaves the catalog, running orders cannot query) and resumed. */
export function PauseResume({ productId, paused }: { productId: string; paused: boolean }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const opts = { onSuccess: () => router.refresh() };
  const pause = useMutation(trpc.developer.pauseProduct.mutationOptions(opts));
  const resume = useMutation(trpc.developer.resumeProduct.mutationOptions(opts));
  const act = paused ? resume : pause;
  return (
    <>
      <button type="button" className="secondary" disabled={act.isPending} onClick={() => act.mutate({ productId })}>{paused ? t.products.resume : t.products.pause}</button>
      {act.error && <p className="error" role="alert">{errorText(t, act.error)}</p>}
    </>
  );
}
