"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { fill } from "../../i18n/dictionaries";
import { useI18n } from "../../i18n/client";
import { errorText, useTRPC } from "../../trpc";

/** Run settlement for a period: pays out what each party is owed, once; failures are kept and retried. */
export function SettleForm({ defaultPeriod }: { defaultPeriod: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const [period, setPeriod] = useState(defaultPeriod);
  const settle = useMutation(trpc.operator.settle.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <form style={{ display: "flex", gap: ".5rem", alignItems: "end", flexWrap: "wrap" }} onSubmit={(e) => { e.preventDefault(); settle.mutate({ period }); }}>
      <label>{t.money.period}<input value={period} onChange={(e) => setPeriod(e.target.value)} pattern="\d{4}-\d{2}" required /></label>
      <button className="primary" disabled={settle.isPending}>{t.money.settle}</button>
      {settle.data && <span role="status">{fill(t.money.settled, { period: settle.data.period, paid: settle.data.paid, failed: settle.data.failed })}</span>}
      {settle.error && <p className="error" role="alert">{errorText(t, settle.error)}</p>}
    </form>
  );
}
