/**
 * `market-ledger verify`: the whole ledger checked against its signed checkpoints, either
 * live over the API (--url, with the consistency and a sample of inclusion proofs the ledger
 * serves) or offline from an export (--file).
 */
import { randomInt } from "node:crypto";
import { fromHex, leafHash, LedgerProofError, verifyConsistency, verifyInclusion } from "@/core/ledger";
import { auditLedger } from "@/core/ledger-audit";
import { ApiError, context, LedgerApi, PAGE, type Io, type Leaf, type Sequenced } from "./api";
import {
  chooseKey, cpKey, cpLabel, describeCp, eachLimited, existingFile, latestOf, orderProblems, parseBaseUrl, parseKey, plural, printVerdict, utf8,
} from "./common";
import { openExport } from "./format";

/** Proof requests in flight at once. */
const CONCURRENCY = 8;

export async function verifyUrl(o: { url: string; key?: string; samples?: number }, io: Io = {}): Promise<number> {
  const ctx = context(io);
  const api = new LedgerApi(parseBaseUrl(o.url), ctx);
  const givenKey = o.key === undefined ? undefined : parseKey(o.key);
  const samples = o.samples ?? 20;

  const keyInfo = await api.key();
  const { key, detail: keyDetail } = chooseKey(ctx, givenKey, keyInfo.publicKey, "ledger");
  if (givenKey === undefined) ctx.err(`ℹ Using the key the ledger serves (${keyInfo.publicKey}). Pass --key <base64> with the key published elsewhere to detect a substituted ledger.`);

  // The current checkpoint first, so the list fetched after it includes it.
  const current = await api.checkpoint();
  const listed = await api.checkpoints();
  const problems: string[] = []; // the API's own failings, reported after the audit's
  const missing: string[] = []; // leaves the API would not serve, reported first
  const sequence: Sequenced[] = [...listed];
  if (!listed.some((cp) => cpKey(cp) === cpKey(current))) {
    problems.push(`The current checkpoint (${describeCp(current)}) is missing from the list of all checkpoints.`);
    sequence.push(current);
  }
  const latest = latestOf(sequence)!;
  const size = latest.size;

  // Which leaves get their inclusion proof checked: chosen before the leaves are seen.
  const sampled = new Set<number>();
  while (sampled.size < Math.min(samples, size)) sampled.add(randomInt(size));
  const sampledBodies = new Map<number, string>();

  ctx.progress(`${sequence.length} checkpoints; fetching ${size} leaves…`);
  const leaves = async function* (): AsyncGenerator<Leaf> {
    let fetched = 0;
    let start = 0;
    try {
      for await (const page of api.pages(size)) {
        for (const row of page.rows) {
          if (sampled.has(row.index)) sampledBodies.set(row.index, row.body);
          yield row;
        }
        fetched += page.rows.length;
        start = page.end;
        ctx.progress(`leaves ${fetched}/${size}`);
      }
    } catch (e) {
      // A page the ledger will not serve ends the leaves; the audit then reports what they fail to reach.
      if (e instanceof ApiError) { missing.push(`The ledger would not serve leaves [${start}, ${Math.min(start + PAGE, size)}) of the ${size} its latest checkpoint covers: ${e.message}`); return; }
      throw e;
    }
  };
  const audit = await auditLedger({ leaves: leaves(), checkpoints: sequence, publicKey: key, origin: keyInfo.origin });

  // Consistency proofs the ledger serves between successive checkpoints.
  problems.push(...orderProblems(sequence));
  const pairs = new Map<string, [Sequenced, Sequenced]>();
  for (let k = 1; k < sequence.length; k++) {
    const [a, b] = [sequence[k - 1]!, sequence[k]!];
    if (a.size > 0 && b.size > a.size) pairs.set(`${a.size}:${a.root}>${b.size}:${b.root}`, [a, b]);
  }
  let consistencyChecked = 0;
  await eachLimited([...pairs.values()], CONCURRENCY, async ([a, b]) => {
    try {
      const proof = await api.consistency(a.size, b.size);
      verifyConsistency(a.size, b.size, fromHex(a.root, 32), fromHex(b.root, 32), proof.map((h) => fromHex(h, 32)));
    } catch (e) {
      if (e instanceof LedgerProofError || e instanceof ApiError) {
        problems.push(`The consistency proof from checkpoint ${cpLabel(a)} to ${cpLabel(b)} fails: ${e.message}`);
      } else throw e;
    }
    consistencyChecked++;
    ctx.progress(`consistency proofs ${consistencyChecked}/${pairs.size}`);
  });

  // Inclusion proofs of the sampled leaves against the latest checkpoint (failures summed up in one line).
  let inclusionChecked = 0;
  const inclusionFailures: { index: number; message: string }[] = [];
  await eachLimited([...sampledBodies.entries()], CONCURRENCY, async ([index, body]) => {
    try {
      const proof = await api.inclusion(index, size);
      verifyInclusion(leafHash(utf8.encode(body)), index, size, proof.map((h) => fromHex(h, 32)), fromHex(latest.root, 32));
    } catch (e) {
      if (e instanceof LedgerProofError || e instanceof ApiError) inclusionFailures.push({ index, message: e.message });
      else throw e;
    }
    inclusionChecked++;
  });
  if (inclusionFailures.length > 0) {
    inclusionFailures.sort((a, b) => a.index - b.index);
    const [first] = inclusionFailures;
    const indices = inclusionFailures.map((f) => f.index);
    problems.push(inclusionFailures.length === 1
      ? `The inclusion proof of leaf ${first!.index} in the checkpoint of size ${size} fails: ${first!.message}`
      : `The inclusion proofs of ${inclusionFailures.length} of the ${sampledBodies.size} sampled leaves in the checkpoint of size ${size} fail (leaves ${indices.slice(0, 10).join(", ")}${indices.length > 10 ? ", …" : ""}); the first: ${first!.message}`);
  }

  const all = [...missing, ...audit.problems, ...problems];
  return printVerdict(ctx, {
    ok: audit.ok && all.length === 0,
    problems: all,
    leaves: audit.leaves,
    checkpoints: sequence.length,
    root: latest.root,
    details: [
      keyDetail,
      `latest checkpoint: ${describeCp(latest)}`,
      `checked: ${plural(audit.checkpointsChecked, "checkpoint")} against the leaves, ${plural(consistencyChecked, "consistency proof")}, ${plural(inclusionChecked, "inclusion proof")}`,
    ],
  });
}

/** verify --file: an export checked offline, read in one pass (see ./format.ts). */
export async function verifyFile(o: { file: string; key?: string }, io: Io = {}): Promise<number> {
  const ctx = context(io);
  const file = await existingFile(o.file, "--file");
  const givenKey = o.key === undefined ? undefined : parseKey(o.key);

  const exported = await openExport(file);
  try {
    const { key, detail: keyDetail } = chooseKey(ctx, givenKey, exported.publicKey, "export");
    if (givenKey === undefined) {
      ctx.err("⚠ No --key given: using the key inside the file. That only proves the file is consistent with itself:");
      ctx.err("  whoever wrote the file could have re-signed it with a key of their own. Pass --key with the ledger's published key.");
    }

    const leaves = async function* (): AsyncGenerator<Leaf> {
      let index = 0;
      for await (const leaf of exported.leaves()) {
        index++;
        if (index % 10_000 === 0) ctx.progress(`leaves ${index}`);
        yield leaf;
      }
    };
    const audit = await auditLedger({ leaves: leaves(), checkpoints: exported.checkpoints, publicKey: key, origin: exported.origin });
    const problems = [...audit.problems, ...orderProblems(exported.checkpoints)];
    const latest = latestOf(exported.checkpoints);
    if (!latest) problems.push("The export holds no checkpoint: nothing in it is signed.");
    else if (audit.leaves > latest.size) ctx.err(`⚠ ${audit.leaves - latest.size} leaves after the latest checkpoint (size ${latest.size}) are covered by no signature.`);
    return printVerdict(ctx, {
      ok: audit.ok && problems.length === 0,
      problems,
      leaves: audit.leaves,
      checkpoints: exported.checkpoints.length,
      root: latest?.root ?? audit.root,
      details: [keyDetail, ...(latest ? [`latest checkpoint: ${describeCp(latest)}`] : []), `checked: ${plural(audit.checkpointsChecked, "checkpoint")} against the leaves`],
    });
  } finally {
    exported.close();
  }
}
