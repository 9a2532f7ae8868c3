"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { fill } from "../../i18n/dictionaries";
import { useI18n } from "../../i18n/client";
import { errorText, useTRPC } from "../../trpc";
import { ActWithReason } from "../_decide";
import { splitList } from "../../_lib/format";

export function PostDemandForm() {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const [done, setDone] = useState<string | null>(null);
  const post = useMutation(trpc.demand.post.mutationOptions({
    onSuccess: (d) => { setDone(fill(t.demands.posted, { matches: d.matches, notified: d.notified, by: d.confirmBy.toLocaleDateString() })); router.refresh(); },
  }));
  return (
    <form className="stack" onSubmit={(e) => {
      e.preventDefault();
      const f = new FormData(e.currentTarget);
      const budget = String(f.get("budget") ?? "").trim();
      setDone(null);
      post.mutate({
        title: String(f.get("title")), description: String(f.get("description")), purpose: String(f.get("purpose")),
        fields: splitList(String(f.get("fields") ?? "")),
        budgetMinor: budget ? Math.round(Number(budget) * 100) : undefined, deadline: new Date(String(f.get("deadline"))),
      });
    }}>
      <h2>{t.demands.post}</h2>
      <label>{t.demands.need}<input name="title" required minLength={4} /></label>
      <label>{t.resources.description}<textarea name="description" rows={3} required minLength={10} /></label>
      <label>{t.demands.fields}<input name="fields" placeholder="district, claim_amount" /></label>
      <label>{t.orders.purpose}<input name="purpose" required /></label>
      <label>{t.demands.budget}<input name="budget" type="number" step="0.01" min="0.01" /></label>
      <label>{t.demands.deadline}<input name="deadline" type="date" required /></label>
      {post.error && <p className="error" role="alert">{errorText(t, post.error)}</p>}
      {done && <p className="notice" role="status">{done}</p>}
      <button className="primary" disabled={post.isPending}>{t.demands.post}</button>
    </form>
  );
}

export function OfferForm({ demandId }: { demandId: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const offer = useMutation(trpc.demand.respond.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <form style={{ display: "flex", gap: ".4rem", flexWrap: "wrap" }} onSubmit={(e) => {
      e.preventDefault();
      offer.mutate({ demandId, message: String(new FormData(e.currentTarget).get("message")) });
    }}>
      <input name="message" aria-label={t.demands.offer} placeholder={t.demands.offer} required minLength={5} style={{ flex: 1 }} />
      <button className="secondary" disabled={offer.isPending || offer.isSuccess}>{offer.isSuccess ? t.demands.offered : t.demands.respond}</button>
      {offer.error && <p className="error" role="alert">{errorText(t, offer.error)}</p>}
    </form>
  );
}

export function CloseDemand({ demandId }: { demandId: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const close = useMutation(trpc.demand.close.mutationOptions({ onSuccess: () => router.refresh() }));
  return <ActWithReason label={t.demands.close} reasonLabel={t.demands.closeNote} pending={close.isPending} error={close.error} onAct={(note) => close.mutate({ demandId, note: note || undefined })} />;
}
