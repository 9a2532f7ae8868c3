"use client";
/** One ledger entry, checked in this browser: its leaf hash, its inclusion proof and the checkpoint's signature. */
import { useQuery } from "@tanstack/react-query";
import { fromHex, hex, leafHash, verifyCheckpoint, verifyInclusion } from "@/core/ledger";
import { fill } from "../../i18n/dictionaries";
import { useI18n } from "../../i18n/client";
import { useTRPC } from "../../trpc";

export function LedgerProof({ entryId, mustContain }: { entryId: string; mustContain?: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const key = useQuery(trpc.ledger.key.queryOptions());
  const entry = useQuery(trpc.ledger.entry.queryOptions({ entryId }));
  if (!key.data || !entry.data) return <span className="muted" data-status="pending">{t.ledger.pending}</span>;
  const e = entry.data;
  let ok = verifyCheckpoint(e.checkpoint, key.data.publicKey) && hex(leafHash(new TextEncoder().encode(e.body))) === e.leafHash && (!mustContain || e.body.includes(mustContain));
  if (ok) {
    try { verifyInclusion(fromHex(e.leafHash, 32), e.index, e.checkpoint.size, e.proof.map((h) => fromHex(h, 32)), fromHex(e.checkpoint.root, 32)); } catch { ok = false; }
  }
  return (
    <span className={ok ? "" : "error"} data-status={ok ? "verified" : "failed"} title={fill(t.ledger.verifiedTitle, { size: e.checkpoint.size })}>
      {ok ? t.ledger.verified : t.ledger.failed} (#{e.index})
    </span>
  );
}
