"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useI18n } from "../../i18n/client";
import { useTRPC } from "../../trpc";
import { ActWithReason, DecideWithReason } from "../_decide";

export function ReviewActions({ productId }: { productId: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const review = useMutation(trpc.operator.reviewProduct.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <DecideWithReason approveLabel={t.products.approve} refuseLabel={t.products.reject} reasonLabel={t.products.rejectReason}
      pending={review.isPending} error={review.error}
      onApprove={() => review.mutate({ productId, decision: "approve" })} onRefuse={(reason) => review.mutate({ productId, decision: "reject", reason })} />
  );
}

export function PauseListed({ productId }: { productId: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const pause = useMutation(trpc.operator.pauseProduct.mutationOptions({ onSuccess: () => router.refresh() }));
  return <ActWithReason label={t.products.pause} reasonLabel={t.products.pauseReason} pending={pause.isPending} error={pause.error} onAct={(reason) => pause.mutate({ productId, reason })} />;
}
