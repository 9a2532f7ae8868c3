"use client";
/** Where a holder's or developer's earnings are paid: set up (or finish) the payout account. */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useI18n } from "../i18n/client";
import { errorText, useTRPC } from "../trpc";

export function PayoutSetup() {
  const { t } = useI18n();
  const trpc = useTRPC();
  const account = useQuery(trpc.money.payoutAccount.queryOptions());
  const onboard = useMutation(trpc.money.onboard.mutationOptions({
    onSuccess: (r) => { if (r.ready) void account.refetch(); else window.location.assign(r.url); },
  }));
  const ready = account.data?.ready === true;
  return (
    <span data-testid="payout-account">
      {ready ? t.money.payoutReady : t.money.payoutMissing}{" "}
      {!ready && <button type="button" className="secondary" disabled={onboard.isPending} onClick={() => onboard.mutate()}>{t.money.payoutSetup}</button>}
      {onboard.error && <span className="error" role="alert"> {errorText(t, onboard.error)}</span>}
    </span>
  );
}
