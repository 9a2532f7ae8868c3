"use client";
import { useMutation } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useRouter } from "next/navigation";
import { useRef, useState } from "react";
import { ZodError } from "zod";
import { zodText } from "@/core/zod-text";
import type { AppRouter } from "@/server/api/root";
import { resourceFloor } from "@/server/queries/floor";
import { queryPolicy, type QueryPolicy } from "@/server/queries/policy";
import { fill } from "../../i18n/dictionaries";
import { useI18n } from "../../i18n/client";
import { errorText, useTRPC } from "../../trpc";
import { splitList } from "../../_lib/format";
import { columnName, PolicyBuilder, problemText } from "./policy-builder";
import { buildPolicy, commonFields, emptyDraft, randomSuffix, slugFromName, type Floor, type PolicyDraft } from "./policy-draft";

type BuildableResource = inferRouterOutputs<AppRouter>["developer"]["buildableResources"][number];

/**
 * Build a product: name it (its address follows the English name), pick the resources, and
 * say field by field what buyers may group, filter and compute (PolicyBuilder). The policy is
 * checked here as it is built (policy-draft.ts, then queryPolicy itself); the server checks it
 * again, with the market's floor and every source node's own policy.
 */
export function BuildProductForm({ resources, floor }: { resources: BuildableResource[]; floor: Floor }) {
  const { t, locale } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const [name, setName] = useState("");
  const [nameZh, setNameZh] = useState("");
  const [description, setDescription] = useState("");
  const [slug, setSlug] = useState("");
  const [slugEdited, setSlugEdited] = useState(false);
  const suffix = useRef<string | null>(null);
  const [picked, setPicked] = useState<string[]>([]);
  const [draft, setDraft] = useState<PolicyDraft>(() => emptyDraft(floor));
  const [expert, setExpert] = useState(false);
  const [json, setJson] = useState("");
  const [tried, setTried] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const pick = (en: string, zh: string | null) => (locale === "zh" && zh ? zh : en);

  const chosen = resources.filter((r) => picked.includes(r.id));
  const floors = chosen.map((r) => resourceFloor({ name: r.name, sharing: r.sharing, fields: r.fields }));
  const dpRequired = floors.some((f) => f.dpRequired);
  const fields = commonFields(chosen.map((r) => r.fields), floors.flatMap((f) => f.personal));
  const built = buildPolicy(fields, draft, { floor, dpRequired, resources: chosen.length });
  const column = (c: string) => columnName(fields, c, locale);
  const schemaIssues = (value: unknown) => {
    const r = queryPolicy.safeParse(value);
    return r.success ? [] : r.error.issues.map((i) => zodText(new ZodError([i])));
  };
  let policy: unknown = built.policy;
  let problems: string[];
  if (expert) {
    problems = chosen.length ? [] : [t.builder.problems.noResource];
    try { policy = JSON.parse(json); problems.push(...schemaIssues(policy)); } catch (err) { problems.push(`${t.products.policyJson}: ${(err as Error).message}`); }
  } else {
    problems = built.problems.map((p) => problemText(t, p, floor, locale, column));
    if (!problems.length) problems = schemaIssues(built.policy);
  }

  const create = useMutation(trpc.developer.createProduct.mutationOptions({
    onSuccess: (_r, input) => {
      setDone(fill(t.builder.created, { name: input.name }));
      setName(""); setNameZh(""); setDescription(""); setSlug(""); setSlugEdited(false); suffix.current = null;
      setPicked([]); setDraft(emptyDraft(floor)); setExpert(false); setJson(""); setTried(false);
      router.refresh();
    },
  }));

  return (
    <form className="stack" style={{ maxWidth: 760 }} data-testid="build-product" onSubmit={(e) => {
      e.preventDefault();
      setDone(null);
      if (problems.length) { setTried(true); return; }
      create.mutate({ slug, name: name.trim(), nameZh: nameZh.trim() || undefined, description, policy: policy as QueryPolicy, resourceIds: picked });
    }}>
      <h2>{t.products.build}</h2>
      <label>{t.resources.name}<input name="name" required minLength={2} maxLength={120} value={name} onChange={(e) => {
        setName(e.target.value);
        if (!slugEdited) setSlug(slugFromName(e.target.value, () => (suffix.current ??= randomSuffix())));
      }} /></label>
      <label>{t.account.newOrgNameZh}<input name="nameZh" maxLength={120} value={nameZh} onChange={(e) => setNameZh(e.target.value)} /></label>
      <div style={{ display: "grid", gap: ".3rem" }}>
        <label>{t.builder.address}
          <input name="slug" required pattern="[a-z0-9\-]{3,60}" maxLength={60} value={slug} aria-describedby="slug-hint"
            onChange={(e) => { setSlug(e.target.value); setSlugEdited(e.target.value !== ""); }} />
        </label>
        <span id="slug-hint" className="muted" style={{ fontSize: ".85rem" }}>{t.builder.addressHint}</span>
      </div>
      <label>{t.resources.description}<textarea name="description" rows={2} maxLength={4000} value={description} onChange={(e) => setDescription(e.target.value)} /></label>
      <fieldset className="checks" style={{ border: 0, padding: 0, margin: 0, minWidth: 0, display: "grid", gap: ".35rem" }} data-testid="product-resources">
        <legend>{t.products.resources}</legend>
        {resources.length === 0 ? <p className="muted">{t.builder.noResources}</p> : resources.map((r) => (
          <label key={r.id}><input type="checkbox" name="resource" value={r.id} checked={picked.includes(r.id)}
            onChange={(e) => setPicked(e.target.checked ? [...picked, r.id] : picked.filter((id) => id !== r.id))} />{pick(r.name, r.nameZh)} · {pick(r.holder.name, r.holder.nameZh)}</label>
        ))}
        <span className="muted">{t.builder.resourcesHint}</span>
      </fieldset>
      {chosen.length === 0 ? <p className="muted">{t.builder.pickFirst}</p>
        : fields.length === 0 ? <p className="muted">{t.builder.noCommon}</p>
        : <PolicyBuilder fields={fields} draft={draft} onChange={setDraft} problems={built.problems} floor={floor} dpRequired={dpRequired} disabled={expert} />}
      <details>
        <summary>{t.builder.json}</summary>
        <div className="stack" style={{ display: "grid", gap: ".5rem", marginTop: ".5rem" }}>
          <div className="checks"><label><input type="checkbox" checked={expert} onChange={(e) => {
            if (e.target.checked) setJson(JSON.stringify(built.policy, null, 2));
            setExpert(e.target.checked);
          }} />{t.builder.editJson}</label></div>
          {expert ? (
            <>
              <p className="muted" style={{ margin: 0 }}>{t.builder.jsonIgnoresForm}</p>
              <label>{t.products.policy}<textarea name="policy" rows={16} value={json} onChange={(e) => setJson(e.target.value)} style={{ fontFamily: "monospace", fontSize: ".8rem" }} /></label>
            </>
          ) : (
            <pre data-testid="policy-json" style={{ margin: 0, maxHeight: "24rem", overflow: "auto", fontSize: ".8rem", background: "var(--accent)", padding: ".6rem", borderRadius: 6 }}>{JSON.stringify(built.policy, null, 2)}</pre>
          )}
        </div>
      </details>
      {problems.length > 0 && (chosen.length > 0 || tried) ? (
        <div className={tried ? "error" : "muted"} role={tried ? "alert" : undefined} data-testid="policy-problems">
          {t.builder.problemsTitle}
          <ul className="plain">{problems.map((p, i) => <li key={i}>{p}</li>)}</ul>
        </div>
      ) : problems.length === 0 && <p className="muted" data-testid="policy-valid">✓ {t.builder.valid}</p>}
      {create.error && <p className="error" role="alert">{errorText(t, create.error)}</p>}
      {done && <p className="notice" role="status">{done}</p>}
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
