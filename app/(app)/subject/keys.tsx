"use client";
/**
 * The person's own key, in this browser (non-extractable, IndexedDB), linked at each holder's
 * node with the activation code the holder gave them, and what only that key can do: ask the
 * holders which records they keep, and sign a consent.
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { bindingMac, newNonce, publicJwkOf, signStatement, type SubjectRecordsStatement } from "@/core/statements";
import { useI18n } from "../../i18n/client";
import { errorText, useTRPC, useTRPCClient } from "../../trpc";
import { getKeys, newKey, PERSON_KEY } from "../../_lib/signer";
import type { StoredKey } from "../../_lib/keystore";


/** This browser's person key (one for all holders), made on first use. */
async function personKey(): Promise<StoredKey> {
  return (await getKeys(PERSON_KEY))[0] ?? newKey(PERSON_KEY);
}
/** The key of this browser linked at a node, if any. */
export async function linkedKey(linked: string[]): Promise<StoredKey | undefined> {
  return (await getKeys(PERSON_KEY)).find((k) => linked.includes(k.thumbprint));
}

/** The person's key at each holder (or only at `only`, the node a consent request needs), and the records lookup. */
export function LinkedHolders({ subjectRef, only, withRecords = true }: { subjectRef: string; only?: string | null; withRecords?: boolean }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const client = useTRPCClient();
  const router = useRouter();
  const nodes = useQuery(trpc.subject.nodes.queryOptions());
  const [mine, setMine] = useState<string[]>([]);
  useEffect(() => { void getKeys(PERSON_KEY).then((ks) => setMine(ks.map((k) => k.thumbprint))); }, [nodes.data]);
  const [codes, setCodes] = useState<Record<string, string>>({});
  const link = useMutation({
    mutationFn: async (n: { nodeId: string; nodeKey: string }) => {
      const key = await personKey();
      const mac = await bindingMac(codes[n.nodeId] ?? "", { nodeId: n.nodeKey, subjectRef, thumbprint: key.thumbprint });
      const publicJwk = await publicJwkOf(key.pair.publicKey);
      return client.subject.bindKey.mutate({ nodeId: n.nodeId, publicJwk, mac });
    },
    onSuccess: () => { void nodes.refetch(); router.refresh(); },
  });
  const records = useMutation({
    mutationFn: async () => {
      const requests = [];
      for (const n of nodes.data ?? []) {
        const key = await linkedKey(n.keys);
        if (!key) continue;
        const statement: SubjectRecordsStatement = { type: "subject-records", subjectRef, nodeId: n.nodeKey, issuedAt: Date.now(), nonce: newNonce() };
        requests.push({ nodeId: n.nodeId, statement, signature: await signStatement(key.pair.privateKey, statement) });
      }
      return client.subject.records.mutate({ requests });
    },
  });
  if (!nodes.data) return null;
  const shown = only ? nodes.data.filter((n) => n.nodeId === only) : nodes.data;
  return (
    <>
      <section className="panel" data-testid="linked-holders">
        <h2>{t.consent.keysTitle}</h2>
        <p className="muted">{t.consent.keysNote}</p>
        {/* Blocks that wrap, not a table: this is what a person sees on a phone after scanning the QR code. */}
        <ul style={{ listStyle: "none", padding: 0, margin: 0 }}>{shown.map((n) => {
          const here = n.keys.some((k) => mine.includes(k));
          return (
            <li key={n.nodeId} data-node={n.name} style={{ display: "flex", flexWrap: "wrap", alignItems: "center", gap: ".4rem .8rem", padding: ".5rem 0", borderBottom: "1px solid var(--border, #e5e7eb)" }}>
              <strong style={{ flex: "1 1 12rem" }}>{n.holder}</strong>
              {here ? <span className="notice">{t.consent.linkedHere}</span> : <span className="muted">{n.keys.length ? t.consent.linkedElsewhere : t.consent.notLinked}</span>}
              {!here && (
                <span style={{ display: "flex", flexWrap: "wrap", gap: ".4rem", flex: "1 1 100%" }}>
                  <input aria-label={t.consent.activationCode} placeholder={t.consent.activationCode} value={codes[n.nodeId] ?? ""} autoComplete="one-time-code"
                    onChange={(e) => setCodes({ ...codes, [n.nodeId]: e.target.value })} style={{ flex: "1 1 10rem", minWidth: 0 }} />
                  <button type="button" className="secondary" disabled={link.isPending || !(codes[n.nodeId] ?? "").trim()} onClick={() => link.mutate(n)}>{t.consent.linkKey}</button>
                </span>
              )}
            </li>
          );
        })}</ul>
        {link.error && <p className="error" role="alert">{errorText(t, link.error)}</p>}
      </section>
      {withRecords && <section className="panel" data-testid="records">
        <h2>{t.consent.records}</h2>
        <p><button type="button" className="secondary" disabled={records.isPending} onClick={() => records.mutate()}>{t.consent.askRecords}</button></p>
        {records.error && <p className="error" role="alert">{errorText(t, records.error)}</p>}
        {records.data && (records.data.length === 0 ? <p className="muted">{t.consent.noRecords}</p> : (
          <ul>{records.data.map((r) => <li key={r.resourceId}>{r.resource} · {r.holder}{!r.available && <span className="muted"> ({t.consent.unavailable})</span>}</li>)}</ul>
        ))}
      </section>}
    </>
  );
}
