/** `market-ledger proof`: one entry checked against its checkpoint, and the event printed. */
import { fromHex, hex, leafHash, LedgerProofError, verifyCheckpoint, verifyInclusion } from "@/core/ledger";
import { checkLeafBody } from "@/core/ledger-audit";
import { ApiError, context, LedgerApi, type Entry, type Io } from "./api";
import { chooseKey, describeCp, iso, parseBaseUrl, parseKey, parseUuid, utf8 } from "./common";

export async function proveEntry(o: { url: string; entry: string; key?: string }, io: Io = {}): Promise<number> {
  const ctx = context(io);
  const api = new LedgerApi(parseBaseUrl(o.url), ctx);
  const entryId = parseUuid(o.entry);
  const givenKey = o.key === undefined ? undefined : parseKey(o.key);
  const keyInfo = await api.key();
  const { key, detail: keyDetail } = chooseKey(ctx, givenKey, keyInfo.publicKey, "ledger");

  let entry: Entry;
  try {
    entry = await api.entry(entryId);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      ctx.out(`✖ Entry ${entryId} NOT verified: the ledger has no such entry (${e.message}).`);
      return 1;
    }
    throw e;
  }

  const problems: string[] = [];
  const cp = entry.checkpoint;
  if (!verifyCheckpoint(cp, key)) problems.push(`The checkpoint (${describeCp(cp)}) is not signed by the ledger key.`);
  if (cp.origin !== keyInfo.origin) problems.push(`The checkpoint names another ledger: ${cp.origin} (expected ${keyInfo.origin}).`);
  const computed = leafHash(utf8.encode(entry.body));
  if (hex(computed) !== entry.leafHash.toLowerCase()) problems.push(`The leaf hash served (${entry.leafHash}) is not the hash of the body (${hex(computed)}).`);
  const shape = checkLeafBody(entry.body);
  let event: unknown = null;
  if (shape) problems.push(`The body ${shape}.`);
  else {
    event = JSON.parse(entry.body);
    const id = (event as { id: string }).id;
    if (id.toLowerCase() !== entryId) problems.push(`The body is entry ${id}, not ${entryId}.`);
  }
  try {
    verifyInclusion(computed, entry.index, cp.size, entry.proof.map((h) => fromHex(h, 32)), fromHex(cp.root, 32));
  } catch (e) {
    if (!(e instanceof LedgerProofError)) throw e;
    problems.push(`The inclusion proof of leaf ${entry.index} does not lead to the checkpoint's root: ${e.message}`);
  }

  ctx.out(`Entry ${entryId}, leaf ${entry.index}:`);
  for (const line of (event ? JSON.stringify(event, null, 2) : entry.body).split("\n")) ctx.out(`  ${line}`);
  if (problems.length === 0) {
    ctx.out(`✔ Entry verified: leaf ${entry.index} is in the ledger of ${cp.size} leaves, root ${cp.root}, signed ${iso(cp.timestamp)}`);
    ctx.out(`  ${keyDetail}`);
    return 0;
  }
  ctx.out(`✖ Entry ${entryId} NOT verified:`);
  for (const p of problems) ctx.out(`  - ${p}`);
  ctx.out(`  ${keyDetail}`);
  return 1;
}
