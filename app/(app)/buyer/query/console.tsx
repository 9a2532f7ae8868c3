"use client";
/**
 * The buyer's query console. The BFV key pair is generated here, in the browser; the
 * secret key stays in this browser's storage (exportable as a file) and is never sent.
 * Results arrive as one summed ciphertext and are decrypted and decoded here.
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { vectorLength } from "@/core/protocol";
import { checkSignedPlan, decodeResult, type ResultRow } from "@/sdk/decode";
import { rememberSignedPlan, signedPlanOf } from "../../../_lib/keystore";
import { importSealed, legacyKeys, loadStoredKey, sealAndStore, sealedFile, unlockKey, type OpenKeys, type StoredHeKey } from "../../../_lib/he-keys";
import { MIN_PASSPHRASE, SealedSecretError } from "../../../_lib/sealed-secret";
import { QueryAudits } from "../../../_components/audits";
import { epsilon as epsilonText } from "../../../_lib/format";
import { fill } from "../../../i18n/dictionaries";
import { useI18n } from "../../../i18n/client";
import { errorText, useTRPC, useTRPCClient } from "../../../trpc";
import { currentKey, QUERY_SIGNER } from "../../../_lib/signer";
import { submitSignedQuery } from "@/core/signed-query";
import { ResultChart } from "./chart";

type Product = inferRouterOutputs<AppRouter>["buyer"]["products"][number];
type Filter = { column: string; op: "eq" | "in" | "between" | "gte" | "lt"; value: string | number | (string | number)[] };

const he = () => import("@/core/he");

/** The stored (sealed) key, the open one while this page lives, and a clear key an earlier version left behind. */
function useHeKey() {
  const [stored, setStored] = useState<StoredHeKey | null>(null);
  const [open, setOpen] = useState<OpenKeys | null>(null);
  const [legacy, setLegacy] = useState<OpenKeys | null>(null);
  const [loaded, setLoaded] = useState(false);
  useEffect(() => {
    setLegacy(legacyKeys());
    void loadStoredKey().then(setStored, () => null).finally(() => setLoaded(true));
  }, []);
  return { stored, setStored, open, setOpen, legacy, setLegacy, loaded };
}
type HeKey = ReturnType<typeof useHeKey>;

/**
 * The HE key: made here, sealed under the buyer's passphrase before it is stored, opened with the
 * passphrase for this page only, exported only sealed (app/_lib/he-keys.ts).
 */
function KeyPanel({ k }: { k: HeKey }) {
  const { t } = useI18n();
  const [passphrase, setPassphrase] = useState("");
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const act = (label: string, f: () => Promise<void>) => async () => {
    setBusy(label); setError(null);
    try { await f(); setPassphrase(""); } catch (e) {
      setError(e instanceof SealedSecretError ? t.query.keyErrors[e.code] : (e as Error).message);
    } finally { setBusy(null); }
  };
  const weak = passphrase.length < MIN_PASSPHRASE;
  const generate = act(t.query.generating, async () => {
    const keys = await (await he()).generateKeys();
    k.setStored(await sealAndStore(keys, passphrase));
    k.setOpen(keys);
  });
  const protect = act(t.query.sealing, async () => {
    k.setStored(await sealAndStore(k.legacy!, passphrase));
    k.setOpen(k.legacy);
    k.setLegacy(null);
  });
  const unlock = act(t.query.unlocking, async () => { k.setOpen(await unlockKey(k.stored!, passphrase)); });
  const passField = (
    <>
      <label>{t.query.passphrase}
        <input type="password" value={passphrase} minLength={MIN_PASSPHRASE} autoComplete={k.stored ? "current-password" : "new-password"}
          onChange={(e) => setPassphrase(e.target.value)} aria-describedby="passphrase-hint" />
      </label>
      <p id="passphrase-hint" className="muted">{fill(t.query.passphraseHint, { n: String(MIN_PASSPHRASE) })}</p>
    </>
  );
  return (
    <>
      <h2>{t.query.keys}</h2>
      {k.open && k.stored ? (
        <p className="notice" data-testid="key-ready">{fill(t.query.keyReady, { date: new Date(k.stored.createdAt).toLocaleString() })}</p>
      ) : k.legacy ? <p className="notice" role="status">{t.query.legacyKey}</p>
        : k.stored ? <p className="muted" data-testid="key-locked">{t.query.keyLocked}</p>
        : <p className="muted" data-testid={k.loaded ? "key-none" : undefined}>{t.query.keyNote}</p>}
      {passField}
      {error && <p className="error" role="alert">{error}</p>}
      <div className="chips">
        {k.legacy && <button type="button" className="primary" disabled={!!busy || weak} onClick={protect}>{busy === t.query.sealing ? busy : t.query.protectKey}</button>}
        {k.stored && !k.open && <button type="button" className="primary" disabled={!!busy || !passphrase} onClick={unlock}>{busy === t.query.unlocking ? busy : t.query.unlock}</button>}
        {/* A new pair replaces the stored one (results encrypted to the old key need the old key's file). */}
        <button type="button" className="secondary" disabled={!!busy || weak} onClick={generate}>{busy === t.query.generating ? busy : t.query.generateKeys}</button>
        {k.open && <button type="button" className="secondary" onClick={() => k.setOpen(null)}>{t.query.lock}</button>}
        {k.stored && <button type="button" className="secondary" onClick={() => {
          const a = document.createElement("a");
          a.href = URL.createObjectURL(sealedFile(k.stored!));
          a.download = "marketplace-he-key.sealed.json";
          a.click();
        }}>{t.query.exportKey}</button>}
        <label className="secondary" style={{ display: "inline-flex" }}>{t.query.importKey}
          <input type="file" accept="application/json" style={{ display: "none" }} onChange={async (e) => {
            const file = e.target.files?.[0];
            e.target.value = "";
            if (file) await act(t.query.unlocking, async () => { const r = await importSealed(await file.text(), passphrase); k.setStored(r.stored); k.setOpen(r.keys); })();
          }} />
        </label>
      </div>
      {k.open && <p className="muted">{t.query.newKeyNote}</p>}
    </>
  );
}

/** A job to reopen: its id is kept in the address (?job=…), so a reload or a link brings the result back. */
function rememberJob(id: string) {
  const url = new URL(window.location.href);
  url.searchParams.set("job", id);
  window.history.replaceState(null, "", url);
}

export function QueryConsole({ products, initialJobId }: { products: Product[]; initialJobId?: string | null }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const key = useHeKey();
  const publicKey = key.open?.publicKey ?? key.stored?.sealed.publicKey ?? null;
  const [productId, setProductId] = useState(products[0]?.id ?? "");
  const product = products.find((p) => p.id === productId);
  const [groupBy, setGroupBy] = useState<string[]>(["district", "age"]);
  const [measures, setMeasures] = useState<string[]>(["claim_amount:AVG"]);
  const [filters, setFilters] = useState<Record<string, Filter | undefined>>({});
  const [epsilon, setEpsilon] = useState(1);
  const [jobId, setJobId] = useState<string | null>(initialJobId ?? null);

  const client = useTRPCClient();
  const [signer, setSigner] = useState<string | null>(null);
  // Every query is signed here with this browser's own key (non-extractable); the nodes refuse unsigned ones.
  const submit = useMutation({
    mutationFn: async (o: { productId: string; publicKey: string; query: Parameters<typeof client.buyer.submitQuery.mutate>[0]["query"] }) => {
      const registered = (await client.buyer.signingKeys.query()).filter((k) => !k.retiredAt).map((k) => k.thumbprint);
      const key = await currentKey(QUERY_SIGNER, registered, (publicJwk) => client.buyer.registerSigningKey.mutate({ publicJwk }));
      setSigner(key.thumbprint);
      const submitted = await submitSignedQuery(client, { ...o, signer: { privateKey: key.pair.privateKey, thumbprint: key.thumbprint }, idempotencyKey: crypto.randomUUID() });
      await rememberSignedPlan(submitted.id, submitted.planHash); // checked against job.planned before decoding
      return submitted;
    },
    onSuccess: (j) => { setJobId(j.id); rememberJob(j.id); },
  });
  const job = useQuery(trpc.buyer.query.queryOptions({ jobId: jobId ?? "00000000-0000-4000-8000-000000000000" }, {
    enabled: jobId !== null,
    refetchInterval: (q) => (q.state.data && (q.state.data.status === "SUCCEEDED" || q.state.data.status === "FAILED") ? false : 800),
  }));

  if (!product) return <p className="panel empty">{t.query.noProducts}</p>;
  const policy = product.policy;
  const dp = policy.privacy.mode === "dp";

  const run = () => {
    if (!publicKey) return;
    submit.mutate({
      productId, publicKey,
      query: {
        groupBy,
        filters: Object.values(filters).filter((f): f is Filter => !!f),
        measures: measures.map((m) => { const [column, aggregate] = m.split(":"); return { column: column!, aggregate: aggregate as "AVG" }; }),
        epsilon: dp ? epsilon : undefined,
      },
    });
  };

  return (
    <div className="grid" style={{ gridTemplateColumns: "minmax(280px, 360px) 1fr", alignItems: "start" }}>
      <section className="panel">
        <KeyPanel k={key} />

        <h2>{t.query.product}</h2>
        <select value={productId} onChange={(e) => { setProductId(e.target.value); setJobId(null); }} aria-label={t.query.product}>
          {products.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
        </select>
        <p className="muted">{product.description}</p>

        <h2>{t.query.groupBy}</h2>
        <div className="checks">
          {policy.dimensions.filter((d) => d.groupable).map((d) => (
            <label key={d.column}><input type="checkbox" checked={groupBy.includes(d.column)}
              onChange={(e) => setGroupBy(e.target.checked ? [...groupBy, d.column] : groupBy.filter((c) => c !== d.column))} />{d.column}</label>
          ))}
        </div>

        <h2>{t.query.measures}</h2>
        {policy.measures.map((m) => (
          <div key={m.column} className="checks">
            <strong>{m.column}</strong>
            {m.aggregates.map((a) => {
              const id = `${m.column}:${a}`;
              return <label key={id}><input type="checkbox" checked={measures.includes(id)}
                onChange={(e) => setMeasures(e.target.checked ? [...measures, id] : measures.filter((x) => x !== id))} />{a}</label>;
            })}
          </div>
        ))}

        <h2>{t.query.filters}</h2>
        {policy.dimensions.filter((d) => d.filterOps.length > 0).map((d) => (
          <label key={d.column}>{d.column}
            {d.spec.kind === "category" ? (
              <select value={(filters[d.column]?.value as string) ?? ""} onChange={(e) => setFilters({ ...filters,
                [d.column]: e.target.value ? (d.filterOps.includes("eq") ? { column: d.column, op: "eq", value: e.target.value } : { column: d.column, op: "in", value: [e.target.value] }) : undefined })}>
                <option value="">{t.query.all}</option>
                {d.spec.values.map((v) => <option key={v} value={v}>{v}</option>)}
              </select>
            ) : d.filterOps.includes("between") ? (
              <span style={{ display: "flex", gap: ".3rem" }}>
                {[0, 1].map((i) => (
                  <input key={i} type="number" placeholder={i === 0 ? "≥" : "≤"} aria-label={`${d.column} ${i === 0 ? "min" : "max"}`} style={{ width: "6rem" }}
                    onChange={(e) => {
                      const cur = (filters[d.column]?.value as number[] | undefined) ?? [Number.NaN, Number.NaN];
                      const next = [...cur]; next[i] = e.target.value === "" ? Number.NaN : Number(e.target.value);
                      setFilters({ ...filters, [d.column]: next.every(Number.isFinite) ? { column: d.column, op: "between", value: next } : undefined });
                    }} />
                ))}
              </span>
            ) : null}
          </label>
        ))}

        {dp && (
          <label>{t.query.epsilon}
            <input type="number" min={0.05} step={0.05} max={policy.privacy.mode === "dp" ? policy.privacy.maxEpsilonPerQuery : 1} value={epsilon} onChange={(e) => setEpsilon(Number(e.target.value))} />
          </label>
        )}
        <p>
          <button className="primary" disabled={!publicKey || submit.isPending || measures.length === 0} onClick={run}>{t.query.run}</button>
        </p>
        {signer && <p className="muted" data-testid="signed-with">{fill(t.query.signedWith, { key: signer.slice(0, 12) })}</p>}
        {submit.error && <p className="error" role="alert">{errorText(t, submit.error)}</p>}
      </section>

      <section className="panel" aria-live="polite">
        <h2>{t.query.results}</h2>
        {!jobId && <p className="muted">{t.query.none}</p>}
        {job.error && <p className="error" role="alert">{errorText(t, job.error)}</p>}
        {job.data && <JobView job={job.data} secretKey={key.open?.secretKey ?? null} locked={!!key.stored && !key.open} />}
      </section>
    </div>
  );
}

type Job = inferRouterOutputs<AppRouter>["buyer"]["query"];

function JobView({ job, secretKey, locked }: { job: Job; secretKey: string | null; locked: boolean }) {
  const { t, locale } = useI18n();
  const [rows, setRows] = useState<ResultRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (job.status !== "SUCCEEDED" || !job.result || !secretKey) return;
    let live = true;
    (async () => {
      try {
        const signed = await signedPlanOf(job.id);
        if (!signed) { if (live) setError(t.query.planNotSigned); return; }
        const planned = checkSignedPlan(job.planned, signed); // refuses a plan other than the one this browser signed
        const vector = await (await he()).decryptVector(secretKey, job.result!.ciphertexts, vectorLength(planned.plan));
        if (live) setRows(decodeResult(planned, vector, job.result!.suppressed));
      } catch (e) {
        if (live) setError(`${t.query.decryptFailed} ${(e as Error).message}`);
      }
    })();
    return () => { live = false; };
  }, [job.id, job.status, job.result, job.planned, secretKey, t]);

  const budget = job.budget;
  return (
    <div data-testid="job">
      <p>
        <span className="chip" data-testid="job-status">{t.query.status[job.status]}</span>{" "}
        {job.status !== "SUCCEEDED" && job.status !== "FAILED" && <progress value={job.progress} max={100} />}
        {" "}{job.epsilon > 0 && fill(t.query.spent, { e: epsilonText(job.epsilon, locale) })}
        {budget && <> · {fill(t.query.left, { e: epsilonText(Math.max(0, budget.total - budget.spent), locale), total: epsilonText(budget.total, locale) })}</>}
      </p>
      {job.error && <p className="error" role="alert">{job.error}</p>}
      {job.status === "SUCCEEDED" && !secretKey && <p className="error" role="alert">{locked ? t.query.unlockToOpen : t.query.noKeyToOpen}</p>}
      {error && <p className="error" role="alert">{error}</p>}
      {rows && <ResultTable job={job} rows={rows} />}
      {job.status === "SUCCEEDED" && <QueryAudits queryId={job.id} />}
    </div>
  );
}

/** The result as plain data (what CSV and JSON exports hold): one record per group, suppressed ones marked. */
export function resultRecords(job: Job, rows: ResultRow[]) {
  const outs = job.planned.outputs;
  const dims = job.planned.plan.groupBy.map((d) => d.name);
  const header = [...dims, "count", ...outs.map((o) => `${o.aggregate}(${o.column})`), "suppressed"];
  const records = rows.map((r) => [
    ...r.labels, r.suppressed ? null : r.count.toString(),
    ...outs.map((_, j) => { const v = r.suppressed ? null : r.values[j] ?? null; return Array.isArray(v) ? v.map(String).join(" ") : v; }),
    r.suppressed,
  ]);
  return { header, records };
}

function download(name: string, type: string, body: string) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([body], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

const csvCell = (v: unknown) => { const s = v === null || v === undefined ? "" : String(v); return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s; };

function ResultTable({ job, rows }: { job: Job; rows: ResultRow[] }) {
  const { t, locale } = useI18n();
  const outs = job.planned.outputs;
  const dims = job.planned.plan.groupBy.map((d) => d.name);
  const value = (l: string) => t.values[l as keyof typeof t.values] ?? l;
  const firstNumeric = outs.findIndex((o) => o.aggregate !== "HISTOGRAM");
  const digits = firstNumeric >= 0 && outs[firstNumeric]!.aggregate !== "COUNT" ? 2 : 0;
  const bars = useMemo(() => rows.filter((r) => !r.suppressed).map((r) => ({
    label: r.labels.map((l) => t.values[l as keyof typeof t.values] ?? l).join(" · ") || t.query.total,
    value: firstNumeric >= 0 ? Number(r.values[firstNumeric] ?? 0) : Number(r.count),
  })), [rows, firstNumeric, t]);
  const nf = useMemo(() => new Intl.NumberFormat(locale === "zh" ? "zh-CN" : "en-GB", { minimumFractionDigits: 2, maximumFractionDigits: 2 }), [locale]);
  const fmt = (v: number | bigint[] | null) => v === null ? "—" : Array.isArray(v) ? v.join(" / ") : nf.format(v);
  const hidden = rows.filter((r) => r.suppressed).length;
  const chartTitle = firstNumeric >= 0 ? `${outs[firstNumeric]!.aggregate}(${outs[firstNumeric]!.column})` : t.query.count;
  const exportName = `query-${job.id.slice(0, 8)}`;
  const exportCsv = () => {
    const { header, records } = resultRecords(job, rows);
    download(`${exportName}.csv`, "text/csv;charset=utf-8", "\uFEFF" + [header, ...records].map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n");
  };
  const exportJson = () => {
    const { header, records } = resultRecords(job, rows);
    download(`${exportName}.json`, "application/json", JSON.stringify({ query: job.id, product: job.product.slug, epsilon: job.epsilon, plan: job.planned.plan,
      rows: records.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))) }, null, 2));
  };
  return (
    <>
      <p className="muted">{fill(t.query.summary, { groups: rows.length, hidden })}</p>
      {job.epsilon > 0 && <p className="muted" data-testid="dp-note">{fill(t.query.dpNote, { e: job.epsilon })}</p>}
      <p className="chips">
        <button type="button" className="secondary" onClick={exportCsv}>{t.query.exportCsv}</button>
        <button type="button" className="secondary" onClick={exportJson}>{t.query.exportJson}</button>
      </p>
      {bars.length > 0 && <ResultChart bars={bars} title={chartTitle} digits={digits} locale={locale === "zh" ? "zh-CN" : "en-GB"} />}
      <div style={{ overflowX: "auto" }}>
        <table data-testid="results">
          <thead><tr>{dims.map((d) => <th key={d}>{d}</th>)}<th>{t.query.count}</th>{outs.map((o, i) => <th key={i}>{o.aggregate}({o.column})</th>)}</tr></thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i} className={r.suppressed ? "muted" : ""}>
                {r.labels.map((l, j) => <td key={j}>{value(l)}</td>)}
                {r.suppressed ? <td colSpan={1 + outs.length}><em>{t.query.suppressed}</em></td> : (
                  <><td>{r.count.toLocaleString(locale === "zh" ? "zh-CN" : "en-GB")}</td>{r.values.map((v, j) => <td key={j}>{fmt(v)}</td>)}</>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
