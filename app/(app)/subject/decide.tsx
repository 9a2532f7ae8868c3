"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { newNonce, signStatement, type ConsentStatement } from "@/core/statements";
import { useI18n } from "../../i18n/client";
import { errorText, useTRPC, useTRPCClient } from "../../trpc";
import { DecideWithReason } from "../_decide";
import { linkedKey } from "./keys";


/**
 * Approve by signing the consent with the person's own key (linked at the holder's node), over
 * exactly what is shown: the buyer's envelope key fingerprint, fields, purpose, expiry, uses.
 */
/** Approve (signed by the person's linked key) or refuse one request; shared by the safe box and the consent page. */
export function useDecideConsent(requestId: string, onDone?: (status: string) => void) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const client = useTRPCClient();
  const router = useRouter();
  const draft = useQuery(trpc.subject.consentDraft.queryOptions({ requestId }));
  const nodes = useQuery(trpc.subject.nodes.queryOptions());
  const decide = useMutation({
    mutationFn: async (o: { decision: "approve" | "refuse"; reason?: string }) => {
      if (o.decision === "refuse") return client.subject.decideConsent.mutate({ requestId, decision: "refuse", reason: o.reason });
      const d = draft.data!;
      const key = await linkedKey(nodes.data?.find((n) => n.nodeId === d.nodeId)?.keys ?? []);
      if (!key) throw new Error(t.consent.linkFirst);
      const statement = { ...(d.draft as Omit<ConsentStatement, "nonce">), nonce: newNonce() } as ConsentStatement;
      return client.subject.decideConsent.mutate({ requestId, decision: "approve", statement, signature: await signStatement(key.pair.privateKey, statement) });
    },
    onSuccess: (r) => { onDone?.(r.status); router.refresh(); },
  });
  return { draft, nodes, decide, envelopeKey: draft.data?.draft.envelopeKey as string | undefined };
}

/**
 * Approve by signing the consent with the person's own key (linked at the holder's node), over
 * exactly what is shown: the buyer's envelope key fingerprint, fields, purpose, expiry, uses.
 */
export function DecideConsent({ requestId }: { requestId: string }) {
  const { t } = useI18n();
  const { draft, decide, envelopeKey: ek } = useDecideConsent(requestId);
  return (
    <>
      {ek && <div className="muted" data-testid="envelope-key">{t.consent.sealedTo} <code>{ek.slice(0, 8)} {ek.slice(8, 16)}</code></div>}
      <DecideWithReason approveLabel={t.consent.approve} refuseLabel={t.consent.refuse} reasonLabel={t.consent.reason} pending={decide.isPending || !draft.data} error={decide.error ?? draft.error}
        onApprove={() => decide.mutate({ decision: "approve" })} onRefuse={(reason) => decide.mutate({ decision: "refuse", reason: reason || undefined })} />
    </>
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
