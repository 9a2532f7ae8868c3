"use client";
/**
 * The holder's own policy at each of its nodes, as the node signed it (checked here against the
 * node's key), and the products over its data: approving one is a policy change signed in this
 * browser by a key enrolled at the node with the node's enrolment code. The marketplace relays
 * the change; the node checks the signature and applies it.
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { verifyNodeSignature } from "@/core/node-signature";
import { enrolmentMac, publicJwkOf, signStatement } from "@/core/statements";
import { fill } from "../../i18n/dictionaries";
import { useI18n } from "../../i18n/client";
import { errorText, useTRPC, useTRPCClient } from "../../trpc";
import { getKeys, newKey } from "../../_lib/signer";

const HOLDER_KEY = "holder-key";
type Policy = { version: number; minCohort: number; dp: { required: boolean; maxEpsilonPerQuery: number; epsilonPerBuyer: number; epsilonTotal?: number }; products: Record<string, { sources: string[] }> };

export function NodePolicies() {
  const { t } = useI18n();
  const trpc = useTRPC();
  const client = useTRPCClient();
  const nodes = useQuery(trpc.holder.nodePolicies.queryOptions());
  const [mine, setMine] = useState<string[]>([]);
  useEffect(() => { void getKeys(HOLDER_KEY).then((ks) => setMine(ks.map((k) => k.thumbprint))); }, [nodes.data]);
  const [codes, setCodes] = useState<Record<string, string>>({});
  const enrol = useMutation({
    mutationFn: async (n: { nodeId: string; nodeKey: string }) => {
      const key = (await getKeys(HOLDER_KEY))[0] ?? await newKey(HOLDER_KEY);
      const mac = await enrolmentMac(codes[n.nodeId] ?? "", { nodeId: n.nodeKey, thumbprint: key.thumbprint });
      return client.holder.enrolKey.mutate({ nodeId: n.nodeId, publicJwk: await publicJwkOf(key.pair.publicKey), mac });
    },
    onSuccess: () => void nodes.refetch(),
  });
  const approve = useMutation({
    mutationFn: async (o: { nodeId: string; nodeKey: string; dataset: string; policy: Policy; productId: string; sources: string[]; holderKeys: string[] }) => {
      const key = (await getKeys(HOLDER_KEY)).find((k) => o.holderKeys.includes(k.thumbprint));
      if (!key) throw new Error(t.nodePolicy.enrolFirst);
      const version = o.policy.version + 1;
      const statement = { type: "node-policy" as const, nodeId: o.nodeKey, dataset: o.dataset, version, policy: { ...o.policy, version, products: { ...o.policy.products, [o.productId]: { sources: o.sources } } } };
      return client.holder.applyPolicy.mutate({ nodeId: o.nodeId, statement, signature: await signStatement(key.pair.privateKey, statement) });
    },
    onSuccess: () => void nodes.refetch(),
  });
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const edit = useMutation({
    mutationFn: async (o: { nodeId: string; nodeKey: string; dataset: string; current: Policy; text: string; holderKeys: string[] }) => {
      const key = (await getKeys(HOLDER_KEY)).find((k) => o.holderKeys.includes(k.thumbprint));
      if (!key) throw new Error(t.nodePolicy.enrolFirst);
      let policy: Record<string, unknown>;
      try { policy = JSON.parse(o.text) as Record<string, unknown>; } catch { throw new Error(t.nodePolicy.badJson); }
      const version = o.current.version + 1;
      const statement = { type: "node-policy" as const, nodeId: o.nodeKey, dataset: o.dataset, version, policy: { ...policy, version } };
      return client.holder.applyPolicy.mutate({ nodeId: o.nodeId, statement, signature: await signStatement(key.pair.privateKey, statement) });
    },
    onSuccess: () => void nodes.refetch(),
  });
  if (!nodes.data) return null;
  return (
    <section className="panel" data-testid="node-policies">
      <h2>{t.nodePolicy.title}</h2>
      <p className="muted">{t.nodePolicy.note}</p>
      {nodes.data.map((n) => {
        const doc = n.document;
        const genuine = !!doc && verifyNodeSignature(doc, n.nodeKey);
        const enrolled = !!doc && doc.payload.holderKeys.some((k) => mine.includes(k));
        return (
          <div key={n.nodeId} data-node={n.name}>
            <h3>{n.name} {doc && <span className={genuine ? "notice" : "error"}>{genuine ? t.nodePolicy.signed : t.nodePolicy.notSigned}</span>}</h3>
            {n.error && <p className="error">{n.error}</p>}
            {doc && Object.entries(doc.payload.policies).map(([dataset, p]) => {
              const policy = p as Policy | null;
              return (
                <div key={dataset}>
                  <p className="muted">
                    <code>{dataset}</code>: {policy ? fill(t.nodePolicy.summary, { version: String(policy.version), k: String(policy.minCohort), dp: policy.dp.required ? fill(t.nodePolicy.dp, { eps: String(policy.dp.maxEpsilonPerQuery), budget: String(policy.dp.epsilonPerBuyer) }) : t.nodePolicy.noDp }) : t.nodePolicy.none}
                    {policy && doc.payload.accounts?.[dataset] && <> · <span data-testid="node-account">{fill(t.nodePolicy.account, { spent: String(doc.payload.accounts[dataset]!.spent), days: String(doc.payload.accounts[dataset]!.periodDays), total: policy.dp.epsilonTotal !== undefined ? String(policy.dp.epsilonTotal) : "—" })}</span></>}
                  </p>
                  {policy && enrolled && genuine && (
                    <details>
                      <summary>{t.nodePolicy.edit}</summary>
                      <textarea aria-label={`${t.nodePolicy.edit} ${dataset}`} rows={14} style={{ width: "100%", fontFamily: "monospace" }}
                        value={drafts[`${n.nodeId}/${dataset}`] ?? JSON.stringify(policy, null, 2)} onChange={(e) => setDrafts({ ...drafts, [`${n.nodeId}/${dataset}`]: e.target.value })} />
                      <button type="button" className="secondary" disabled={edit.isPending}
                        onClick={() => edit.mutate({ nodeId: n.nodeId, nodeKey: n.nodeKey, dataset, current: policy, text: drafts[`${n.nodeId}/${dataset}`] ?? JSON.stringify(policy), holderKeys: doc.payload.holderKeys })}>{t.nodePolicy.apply}</button>
                    </details>
                  )}
                </div>
              );
            })}
            {enrolled && <p className="notice" data-testid="enrolled">{t.nodePolicy.enrolled}</p>}
            {doc && !enrolled && (
              <p style={{ display: "flex", gap: ".4rem", flexWrap: "wrap" }}>
                <input aria-label={t.nodePolicy.code} placeholder={t.nodePolicy.code} value={codes[n.nodeId] ?? ""} onChange={(e) => setCodes({ ...codes, [n.nodeId]: e.target.value })} style={{ flex: "1 1 18rem", minWidth: 0 }} />
                <button type="button" className="secondary" disabled={enrol.isPending || !(codes[n.nodeId] ?? "").trim()} onClick={() => enrol.mutate(n)}>{t.nodePolicy.enrol}</button>
              </p>
            )}
            {n.products.length > 0 && (
              <table data-testid="node-products"><tbody>{n.products.map((p) => {
                const policy = doc?.payload.policies[p.dataset] as Policy | null | undefined;
                return (
                  <tr key={p.productId}>
                    <td>{p.name}<div className="muted">{fill(t.nodePolicy.sources, { names: p.sourceNames.join(", ") })}</div></td>
                    <td>{p.approved ? <span className="notice">{t.nodePolicy.approved}</span> : <span className="muted">{t.nodePolicy.notApproved}</span>}</td>
                    <td>{!p.approved && policy && genuine && (
                      <button type="button" className="secondary" disabled={approve.isPending}
                        onClick={() => approve.mutate({ nodeId: n.nodeId, nodeKey: n.nodeKey, dataset: p.dataset, policy, productId: p.productId, sources: p.sources, holderKeys: doc!.payload.holderKeys })}>{t.nodePolicy.approve}</button>
                    )}</td>
                  </tr>
                );
              })}</tbody></table>
            )}
          </div>
        );
      })}
      {(enrol.error || approve.error || edit.error) && <p className="error" role="alert">{errorText(t, enrol.error ?? approve.error ?? edit.error)}</p>}
    </section>
  );
}
