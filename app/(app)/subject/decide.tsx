"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useI18n } from "../../i18n/client";
import { errorText, useTRPC } from "../../trpc";
import { DecideWithReason } from "../_decide";

export function DecideConsent({ requestId }: { requestId: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const decide = useMutation(trpc.subject.decideConsent.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <DecideWithReason approveLabel={t.consent.approve} refuseLabel={t.consent.refuse} reasonLabel={t.consent.reason} pending={decide.isPending} error={decide.error}
      onApprove={() => decide.mutate({ requestId, decision: "approve" })} onRefuse={(reason) => decide.mutate({ requestId, decision: "refuse", reason: reason || undefined })} />
  );
}

export function RevokeConsent({ requestId }: { requestId: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const revoke = useMutation(trpc.subject.revokeConsent.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <>
      <button type="button" className="secondary" disabled={revoke.isPending} onClick={() => revoke.mutate({ requestId })}>{t.consent.revoke}</button>
      {revoke.error && <p className="error" role="alert">{errorText(t, revoke.error)}</p>}
    </>
  );
}
