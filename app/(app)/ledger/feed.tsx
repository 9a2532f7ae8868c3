"use client";
/**
 * The ledger's live feed. Every event shown is checked here, in the browser: its inclusion
 * proof against the current checkpoint, and the checkpoint's signature against the ledger
 * key, with the same library the verifier CLI and the computation nodes use.
 */
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { fromHex, leafHash, verifyCheckpoint, verifyInclusion } from "@/core/ledger";
import { fill } from "../../i18n/dictionaries";
import { useI18n } from "../../i18n/client";
import { errorText, useTRPC } from "../../trpc";
import { dateTime, epsilon, money } from "../../_lib/format";

const families = ["resource", "product", "demand", "order", "query", "consent", "envelope", "payment", "settlement", "payout", "supervision"] as const;
const utf8 = new TextEncoder();

type Status = "verified" | "failed" | "pending";

export function LedgerFeed({ mode, orgs }: { mode: "all" | "mine"; orgs: Record<string, string> }) {
  const { t, locale } = useI18n();
  const trpc = useTRPC();
  const [type, setType] = useState("");
  const [actorOrgId, setActor] = useState("");
  const [objectId, setObject] = useState("");
  const [before, setBefore] = useState<number | undefined>(undefined);
  const filters = { type: type || undefined, objectId: /^[0-9a-f-]{36}$/i.test(objectId) ? objectId : undefined, before, limit: 50 };
  const live = before === undefined ? 3000 : false;
  const all = useQuery({ ...trpc.supervisor.feed.queryOptions({ ...filters, actorOrgId: actorOrgId || undefined }), enabled: mode === "all", refetchInterval: live });
  const mine = useQuery({ ...trpc.ledger.mine.queryOptions(filters), enabled: mode === "mine", refetchInterval: live });
  const feed = mode === "all" ? all : mine;
  const key = useQuery(trpc.ledger.key.queryOptions());
  const checkpoint = useQuery({ ...trpc.ledger.checkpoint.queryOptions(), refetchInterval: 3000 });
  const rows = useMemo(() => feed.data ?? [], [feed.data]);
  const cp = checkpoint.data;
  const covered = cp ? rows.filter((r) => r.index < cp.size).map((r) => r.index) : [];
  const proofs = useQuery({ ...trpc.ledger.inclusionMany.queryOptions({ indexes: covered, size: cp?.size ?? 0 }), enabled: covered.length > 0 });

  const signatureOk = cp && key.data ? verifyCheckpoint(cp, key.data.publicKey) : null;
  const status = useMemo(() => {
    const out = new Map<number, Status>();
    if (!cp || !proofs.data) return out;
    const root = fromHex(cp.root, 32);
    for (const p of proofs.data) {
      const row = rows.find((r) => r.index === p.index);
      let ok = signatureOk === true && row?.body === p.body;
      if (ok) {
        try { verifyInclusion(leafHash(utf8.encode(p.body)), p.index, cp.size, p.proof.map((h) => fromHex(h, 32)), root); } catch { ok = false; }
      }
      out.set(p.index, ok ? "verified" : "failed");
    }
    return out;
  }, [cp, proofs.data, rows, signatureOk]);

  const time = (d: Date) => dateTime(d, locale);
  // Facts read as people read them: money in yuan, ε in decimals, hashes folded (the full value on hover).
  const fact = (k: string, v: unknown) => {
    if (typeof v === "number" && /Minor$/.test(k)) return money(v, locale);
    if (typeof v === "number" && /^epsilon/i.test(k)) return epsilon(v, locale);
    if (typeof v === "string" && v.length > 20) return <code title={v}>{v.slice(0, 10)}…</code>;
    return String(v);
  };
  const who = (id: string | null) => (id ? orgs[id] ?? `${id.slice(0, 8)}…` : t.ledger.market);
  return (
    <section className="panel">
      <h2>{mode === "all" ? t.ledger.feed : t.ledger.mine}</h2>
      {cp && (
        <p className="muted" data-testid="checkpoint">
          {t.ledger.checkpoint}: {t.ledger.size} {cp.size} · {t.ledger.root} <code>{cp.root.slice(0, 16)}…</code> · {t.ledger.signed}{" "}
          <span className={signatureOk ? "" : "error"}>{signatureOk === null ? "…" : signatureOk ? t.ledger.signatureOk : t.ledger.signatureBad}</span>
        </p>
      )}
      <div style={{ display: "flex", gap: ".5rem", flexWrap: "wrap" }}>
        <label>{t.ledger.type}<select value={type} onChange={(e) => { setType(e.target.value); setBefore(undefined); }}>
          <option value="">{t.ledger.any}</option>{families.map((f) => <option key={f} value={f}>{t.eventFamilies[f]}</option>)}
        </select></label>
        {mode === "all" && (
          <label>{t.ledger.actor}<select value={actorOrgId} onChange={(e) => { setActor(e.target.value); setBefore(undefined); }}>
            <option value="">{t.ledger.any}</option>{Object.entries(orgs).map(([id, name]) => <option key={id} value={id}>{name}</option>)}
          </select></label>
        )}
        <label>{t.ledger.objectFilter}<input value={objectId} onChange={(e) => { setObject(e.target.value.trim()); setBefore(undefined); }} placeholder="uuid" /></label>
      </div>
      {feed.error && <p className="error" role="alert">{errorText(t, feed.error)}</p>}
      {rows.length === 0 ? <p className="muted">{t.ledger.none}</p> : (
        <table data-testid="ledger-feed">
          <thead><tr><th>#</th><th>{t.ledger.time}</th><th>{t.ledger.type}</th><th>{t.ledger.actor}</th><th>{t.ledger.facts}</th><th /></tr></thead>
          <tbody>
            {rows.map((r) => {
              const s = status.get(r.index) ?? "pending";
              const facts = (JSON.parse(r.body) as { data?: Record<string, unknown> }).data;
              return (
                <tr key={r.index} data-status={s}>
                  <td>{r.index}</td>
                  <td>{time(r.createdAt)}</td>
                  <td>{t.events[r.type as keyof typeof t.events] ?? r.type}<div className="muted"><code title={r.objectId ?? undefined}>{r.type}{r.objectId ? ` ${r.objectId.slice(0, 8)}…` : ""}</code></div></td>
                  <td>{who(r.actorOrgId)}</td>
                  <td className="muted" style={{ fontSize: ".8rem" }}>{facts ? Object.entries(facts).map(([k, v], i) => <span key={k}>{i > 0 && " · "}{k}: {fact(k, v)}</span>) : ""}</td>
                  <td className={s === "failed" ? "error" : ""} title={cp ? fill(t.ledger.verifiedTitle, { size: cp.size }) : ""}>{t.ledger[s]}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <div style={{ display: "flex", gap: ".5rem" }}>
        {before !== undefined && <button type="button" className="secondary" onClick={() => setBefore(undefined)}>{t.ledger.newest}</button>}
        {rows.length === 50 && <button type="button" className="secondary" onClick={() => setBefore(rows.at(-1)!.index)}>{t.ledger.older}</button>}
      </div>
      <p className="muted">{t.ledger.verifyHint}</p>
    </section>
  );
}
