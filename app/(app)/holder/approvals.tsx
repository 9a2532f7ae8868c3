"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useI18n } from "../../i18n/client";
import { errorText, useTRPC } from "../../trpc";

export function ApprovalActions({ orderId }: { orderId: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const [reason, setReason] = useState("");
  const decide = useMutation(trpc.holder.decideApproval.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <div style={{ display: "flex", gap: ".4rem", flexWrap: "wrap" }}>
      <button type="button" className="secondary" disabled={decide.isPending} onClick={() => decide.mutate({ orderId, decision: "approve" })}>{t.approvals.approve}</button>
      <input aria-label={t.approvals.reason} placeholder={t.approvals.reason} value={reason} onChange={(e) => setReason(e.target.value)} />
      <button type="button" className="secondary" disabled={decide.isPending} onClick={() => decide.mutate({ orderId, decision: "refuse", reason })}>{t.approvals.refuse}</button>
      {decide.error && <p className="error" role="alert">{errorText(t, decide.error)}</p>}
    </div>
  );
}
