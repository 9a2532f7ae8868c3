/**
 * `market-ledger witness`: keeps the last checkpoint accepted in a state file and accepts a
 * newer one only with a valid consistency proof from it, so a rewritten history is noticed.
 */
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { z } from "zod";
import { fromHex, LedgerProofError, verifyConsistency, type SignedCheckpoint } from "@/core/ledger";
import { Witness, WitnessAlarm } from "@/core/ledger-audit";
import { ApiError, CliError, context, issues, LedgerApi, reason, signedCheckpoint, UsageError, type Ctx, type Io } from "./api";
import { chooseKey, describeCp, parseBaseUrl, parseKey, writableTarget, writeAtomically } from "./common";

export const STATE_FORMAT = "quancheng-ledger-witness/1";
const ALARM_FORMAT = "quancheng-ledger-witness-alarm/1";

const witnessState = z.object({
  format: z.literal(STATE_FORMAT, { error: `format must be "${STATE_FORMAT}"` }),
  origin: z.string(),
  publicKey: z.string(),
  checkpoint: signedCheckpoint,
  url: z.string().optional(),
  updatedAt: z.string().optional(),
});
export type WitnessState = z.infer<typeof witnessState>;

async function readState(path: string): Promise<WitnessState | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new CliError(`Cannot read the state file ${path}: ${reason(e)}`);
  }
  let json: unknown;
  try { json = JSON.parse(text); } catch { throw new CliError(`The state file ${path} is not valid JSON. It was left as it is; move it away to start over (trusting the ledger anew).`); }
  const r = witnessState.safeParse(json);
  if (!r.success) throw new CliError(`The state file ${path} is not a witness state (${STATE_FORMAT}): ${issues(r.error)}. It was left as it is.`);
  return r.data;
}

export async function witness(o: { url: string; state: string; key?: string }, io: Io = {}): Promise<number> {
  const ctx = context(io);
  const base = parseBaseUrl(o.url);
  const api = new LedgerApi(base, ctx);
  const statePath = await writableTarget(o.state, "--state");
  const givenKey = o.key === undefined ? undefined : parseKey(o.key);
  const held = await readState(statePath);
  if (held && givenKey !== undefined && givenKey !== held.publicKey) {
    throw new UsageError(`The state file ${statePath} pins the key ${held.publicKey}, not the --key given (${givenKey}). Move the state file away to start over with another key.`);
  }

  let origin: string, publicKey: string;
  if (held) ({ origin, publicKey } = held);
  else {
    const keyInfo = await api.key();
    origin = keyInfo.origin;
    publicKey = chooseKey(ctx, givenKey, keyInfo.publicKey, "ledger").key;
  }
  const cp = await api.checkpoint();
  const w = new Witness(publicKey, origin, held?.checkpoint ?? null);
  const save = () => writeAtomically(statePath, `${JSON.stringify({ format: STATE_FORMAT, origin, publicKey, checkpoint: w.last!, url: base.href, updatedAt: new Date().toISOString() } satisfies WitnessState, null, 2)}\n`);

  let hashes: string[] = [];
  if (held && cp.size > held.checkpoint.size && held.checkpoint.size > 0) {
    try {
      hashes = await api.consistency(held.checkpoint.size, cp.size);
    } catch (e) {
      if (e instanceof ApiError) throw new CliError(`The ledger did not give a consistency proof from the witnessed size ${held.checkpoint.size} to ${cp.size}: ${e.message}. The state file was left as it is.`);
      throw e;
    }
  }

  let result: ReturnType<Witness["observe"]>;
  try {
    result = w.observe(cp, { fromSize: held?.checkpoint.size ?? 0, hashes });
  } catch (e) {
    if (e instanceof WitnessAlarm) return alarm(ctx, { statePath, url: base.href, message: e.message, held: held?.checkpoint ?? null, served: cp, proof: hashes });
    throw e;
  }

  if (!held) {
    await save();
    ctx.out("ℹ First run: trusting on first use. Nothing earlier can be checked; from now on the ledger must only grow from here.");
    ctx.out(`  key         ${publicKey} (origin ${origin})`);
    ctx.out(`  checkpoint  ${describeCp(cp)}`);
    ctx.out(`  Compare the key with the one the market publishes elsewhere. State saved to ${statePath}.`);
    ctx.out(`✔ witnessed: ${cp.size} leaves`);
    return 0;
  }
  if (result === "accepted") {
    await save();
    ctx.out(`✔ consistent: ${held.checkpoint.size} → ${cp.size}`);
    ctx.out(`  checkpoint ${describeCp(cp)}`);
    return 0;
  }
  if (result === "same") {
    if (w.last !== held.checkpoint) await save();
    ctx.out(`✔ consistent: ${cp.size} → ${cp.size} (no new leaves)`);
    return 0;
  }
  if (result === "behind") {
    // An older checkpoint than the one held: it must be a prefix of what was witnessed.
    try {
      const proof = cp.size > 0 ? await api.consistency(cp.size, held.checkpoint.size) : [];
      verifyConsistency(cp.size, held.checkpoint.size, fromHex(cp.root, 32), fromHex(held.checkpoint.root, 32), proof.map((h) => fromHex(h, 32)));
    } catch (e) {
      if (e instanceof LedgerProofError) {
        return alarm(ctx, { statePath, url: base.href, message: `The ledger now serves a checkpoint of ${cp.size} leaves that is not a prefix of the ${held.checkpoint.size} leaves witnessed before (${e.message}): its history was rewritten.`, held: held.checkpoint, served: cp, proof: [] });
      }
      if (e instanceof ApiError) {
        ctx.out(`✖ The ledger went back from ${held.checkpoint.size} to ${cp.size} leaves and cannot prove that the ${held.checkpoint.size} witnessed leaves still exist: ${e.message}`);
        ctx.out(`  This may be a rollback of the ledger. The state file ${statePath} was left as it is.`);
        return 1;
      }
      throw e;
    }
    ctx.err(`⚠ The ledger served an older checkpoint (${cp.size} leaves) than the one witnessed (${held.checkpoint.size}); it is consistent with it. State kept.`);
    ctx.out(`✔ consistent: ${cp.size} is a prefix of the witnessed ${held.checkpoint.size}`);
    return 0;
  }
  throw new Error(`unexpected witness result ${JSON.stringify(result)}`);
}

async function alarm(ctx: Ctx, a: { statePath: string; url: string; message: string; held: SignedCheckpoint | null; served: SignedCheckpoint; proof: string[] }): Promise<number> {
  const evidencePath = `${a.statePath}.alarm-${new Date().toISOString().replace(/[:.]/g, "-")}-${randomBytes(2).toString("hex")}.json`;
  let saved = true;
  try {
    await writeFile(evidencePath, `${JSON.stringify({ format: ALARM_FORMAT, url: a.url, detectedAt: new Date().toISOString(), message: a.message, held: a.held, served: a.served, consistencyProof: a.proof }, null, 2)}\n`, { flag: "wx" });
  } catch {
    saved = false;
  }
  const bar = "═".repeat(78);
  ctx.out(bar);
  ctx.out("✖✖✖  WITNESS ALARM  ✖✖✖");
  ctx.out(bar);
  ctx.out(`  ${a.message}`);
  ctx.out(`  ledger:    ${a.url}`);
  if (a.held) ctx.out(`  witnessed: ${describeCp(a.held)}`);
  ctx.out(`  served:    ${describeCp(a.served)}`);
  ctx.out(a.held
    ? `  The state file ${a.statePath} was NOT changed: it still holds the last checkpoint accepted.`
    : `  Nothing was trusted: no state was written to ${a.statePath}.`);
  ctx.out(saved ? `  Evidence (both signed checkpoints and the proof) saved to ${evidencePath}.` : "  (The evidence could not be saved to a file: keep this output.)");
  ctx.out("  Do not trust the ledger's new entries. Report this, with the evidence, to the market's supervisors.");
  ctx.out(bar);
  return 1;
}
