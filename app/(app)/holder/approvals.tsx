"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useI18n } from "../../i18n/client";
import { useTRPC } from "../../trpc";
import { DecideWithReason } from "../_decide";

export function ApprovalActions({ orderId }: { orderId: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const decide = useMutation(trpc.holder.decideApproval.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <DecideWithReason approveLabel={t.approvals.approve} refuseLabel={t.approvals.refuse} reasonLabel={t.approvals.reason}
      pending={decide.isPending} error={decide.error}
      onApprove={() => decide.mutate({ orderId, decision: "approve" })} onRefuse={(reason) => decide.mutate({ orderId, decision: "refuse", reason })} />
  );
}
