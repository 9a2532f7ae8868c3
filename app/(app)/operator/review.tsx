"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useI18n } from "../../i18n/client";
import { errorText, useTRPC } from "../../trpc";

export function ReviewActions({ productId }: { productId: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const [reason, setReason] = useState("");
  const review = useMutation(trpc.operator.reviewProduct.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <div style={{ display: "flex", gap: ".4rem", flexWrap: "wrap" }}>
      <button type="button" className="secondary" disabled={review.isPending} onClick={() => review.mutate({ productId, decision: "approve" })}>{t.products.approve}</button>
      <input aria-label={t.products.rejectReason} placeholder={t.products.rejectReason} value={reason} onChange={(e) => setReason(e.target.value)} />
      <button type="button" className="secondary" disabled={review.isPending} onClick={() => review.mutate({ productId, decision: "reject", reason })}>{t.products.reject}</button>
      {review.error && <p className="error" role="alert">{errorText(t, review.error)}</p>}
    </div>
  );
}
