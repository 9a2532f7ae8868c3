/** `market-ledger export`: the key, every checkpoint and every leaf into one file (./format.ts). */
import type { SignedCheckpoint } from "@/core/ledger";
import { context, LedgerApi, type Io, type Leaf } from "./api";
import { cpKey, parseBaseUrl, writableTarget } from "./common";
import { writeExport } from "./format";

export async function exportLedger(o: { url: string; out: string }, io: Io = {}): Promise<number> {
  const ctx = context(io);
  const api = new LedgerApi(parseBaseUrl(o.url), ctx);
  const out = await writableTarget(o.out, "--out");
  const keyInfo = await api.key();
  // The current checkpoint first, so the list fetched after it includes it (as verify --url does).
  const current = await api.checkpoint();
  const listed = await api.checkpoints();
  const sequence: SignedCheckpoint[] = [...listed];
  if (!listed.some((cp) => cpKey(cp) === cpKey(current))) sequence.push(current);
  const size = Math.max(...sequence.map((cp) => cp.size));

  const pages = async function* (): AsyncGenerator<Leaf[]> {
    for await (const page of api.pages(size)) {
      yield page.rows;
      ctx.progress(`leaves ${page.end}/${size}`);
    }
  };
  await writeExport(out, { origin: keyInfo.origin, publicKey: keyInfo.publicKey, exportedFrom: api.base.href, exportedAt: new Date().toISOString() }, sequence, pages());
  ctx.progress("");
  ctx.out(`✔ Exported ${size} leaves and ${sequence.length} checkpoints to ${out}`);
  ctx.out(`  key ${keyInfo.publicKey}, origin ${keyInfo.origin}`);
  ctx.out(`  Check it offline: market-ledger verify --file ${out} --key ${keyInfo.publicKey}`);
  return 0;
}
