/**
 * The ledger's read API, shared by tRPC (the web app) and plain HTTP (witnesses, the
 * verifier CLI, anyone): checkpoints, proofs, leaves, the public key. Leaves carry only
 * identifiers and hashes, so the ledger is public like a Certificate Transparency log.
 */
import { z } from "zod";
import type { PrismaClient } from "../db/generated/client";
import { ledgerSigningKey } from "../keys";
import { checkpointsAfter, consistencyBetween, entryWithProof, inclusionAt, leavesRange, LEDGER_ORIGIN, servedCheckpoint } from "./log";

const size = z.coerce.number({ error: "Tree sizes and indexes are whole numbers." }).int({ error: "Tree sizes and indexes are whole numbers." }).nonnegative({ error: "Tree sizes and indexes are not negative." }).max(Number.MAX_SAFE_INTEGER);

export const ledgerInputs = {
  inclusion: z.object({ index: size, size }),
  inclusionMany: z.object({ indexes: z.array(size).min(1).max(200), size }),
  consistency: z.object({ from: size, to: size }),
  leaves: z.object({ start: size, end: size }),
  entry: z.object({ entryId: z.uuid({ error: "An entry id is a UUID." }) }),
  checkpoints: z.object({ after: size.default(0), limit: z.coerce.number().int().min(1).max(1000).default(500) }),
};

const checkpointOut = z.object({ origin: z.string(), size: z.number().int(), root: z.string(), timestamp: z.number().int(), signature: z.string() });
export const ledgerOutputs = {
  key: z.object({ origin: z.string(), algorithm: z.literal("Ed25519"), publicKey: z.string() }),
  checkpoint: checkpointOut,
  checkpoints: z.array(checkpointOut.extend({ id: z.number().int() })),
  proof: z.object({ proof: z.array(z.string()) }),
  proofs: z.array(z.object({ index: z.number().int(), body: z.string(), proof: z.array(z.string()) })),
  leaves: z.array(z.object({ index: z.number().int(), body: z.string() })),
  entry: z.object({ index: z.number().int(), body: z.string(), leafHash: z.string(), checkpoint: checkpointOut, proof: z.array(z.string()) }),
};

export const ledgerApi = {
  key: () => ({ origin: LEDGER_ORIGIN, algorithm: "Ed25519" as const, publicKey: ledgerSigningKey().publicKey }),
  checkpoint: (db: PrismaClient) => servedCheckpoint(db),
  checkpoints: (db: PrismaClient, i: z.infer<typeof ledgerInputs.checkpoints>) => checkpointsAfter(db, i.after, i.limit),
  inclusion: async (db: PrismaClient, i: z.infer<typeof ledgerInputs.inclusion>) => ({ proof: await inclusionAt(db, i.index, i.size) }),
  /** Proofs of several leaves in one tree, with their stored leaf bodies (the browser checks each). */
  inclusionMany: async (db: PrismaClient, i: z.infer<typeof ledgerInputs.inclusionMany>) => {
    const leaves = await db.ledgerLeaf.findMany({ where: { index: { in: i.indexes.map(BigInt) } }, select: { index: true, body: true } });
    const body = new Map(leaves.map((l) => [Number(l.index), l.body]));
    return Promise.all(i.indexes.map(async (index) => ({ index, body: body.get(index) ?? "", proof: await inclusionAt(db, index, i.size) })));
  },
  consistency: async (db: PrismaClient, i: z.infer<typeof ledgerInputs.consistency>) => ({ proof: await consistencyBetween(db, i.from, i.to) }),
  leaves: (db: PrismaClient, i: z.infer<typeof ledgerInputs.leaves>) => leavesRange(db, i.start, i.end),
  entry: (db: PrismaClient, i: z.infer<typeof ledgerInputs.entry>) => entryWithProof(db, i.entryId),
};
