"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useI18n } from "../../i18n/client";
import { errorText, useTRPC } from "../../trpc";
import { ActWithReason } from "../_decide";

type Named = { id: string; label: string };

/** Suspend a buyer or a product, with a reason: effective at once on queries and orders. */
export function SuspendForm({ buyers, products }: { buyers: Named[]; products: Named[] }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const [kind, setKind] = useState<"BUYER" | "PRODUCT">("BUYER");
  const suspend = useMutation(trpc.supervisor.suspend.mutationOptions({ onSuccess: () => router.refresh() }));
  const targets = kind === "BUYER" ? buyers : products;
  return (
    <form className="stack" style={{ maxWidth: 640 }} onSubmit={(e) => {
      e.preventDefault();
      const f = new FormData(e.currentTarget);
      suspend.mutate({ kind, targetId: String(f.get("target")), reason: String(f.get("reason")) });
    }}>
      <div style={{ display: "flex", gap: ".5rem" }}>
        <label>{t.ledger.kind}<select value={kind} onChange={(e) => setKind(e.target.value as "BUYER" | "PRODUCT")}>
          <option value="BUYER">{t.ledger.buyer}</option><option value="PRODUCT">{t.ledger.product}</option>
        </select></label>
        <label>{t.ledger.target}<select name="target" key={kind}>{targets.map((x) => <option key={x.id} value={x.id}>{x.label}</option>)}</select></label>
      </div>
      <label>{t.ledger.reason}<textarea name="reason" rows={2} required minLength={10} maxLength={2000} /></label>
      {suspend.error && <p className="error" role="alert">{errorText(t, suspend.error)}</p>}
      <button className="primary" disabled={suspend.isPending}>{t.ledger.suspend}</button>
    </form>
  );
}

export function LiftSuspension({ suspensionId }: { suspensionId: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const lift = useMutation(trpc.supervisor.lift.mutationOptions({ onSuccess: () => router.refresh() }));
  return <ActWithReason label={t.ledger.lift} reasonLabel={t.ledger.liftReason} pending={lift.isPending} error={lift.error} onAct={(reason) => lift.mutate({ suspensionId, reason })} />;
}

export function IssueCheckpoint() {
  const { t } = useI18n();
  const trpc = useTRPC();
  const issue = useMutation(trpc.supervisor.issueCheckpoint.mutationOptions());
  return (
    <>
      <button type="button" className="secondary" disabled={issue.isPending} onClick={() => issue.mutate()}>{t.ledger.issue}</button>
      {issue.data && <span className="muted" role="status"> {t.ledger.size} {issue.data.size} · <code>{issue.data.root.slice(0, 16)}…</code></span>}
      {issue.error && <p className="error" role="alert">{errorText(t, issue.error)}</p>}
    </>
  );
}
