/** Computation nodes as the marketplace knows them: where to reach them and their public keys. */
import { z } from "zod";
import { ed25519PublicFromBase64 } from "@/core/signing";
import type { PrismaClient } from "../db/generated/client";
import { AppError } from "../errors";

const rawKey = (what: string) => z.string().trim().refine((s) => /^[A-Za-z0-9+/]{43}=$/.test(s) && Buffer.from(s, "base64").length === 32, { error: `${what} must be 32 bytes in base64.` });

export const registerNodeInput = z.object({
  name: z.string().trim().min(1).max(100),
  url: z.url({ protocol: /^https?$/, error: "The node's URL must be http(s)://host:port." }),
  signingKey: rawKey("The Ed25519 signing key").refine((k) => { try { ed25519PublicFromBase64(k); return true; } catch { return false; } }, { error: "Not an Ed25519 public key." }),
  agreementKey: rawKey("The X25519 agreement key"),
});

/** Register a node for the holder, or update its URL and keys (re-registration after a move or key rotation). */
export async function registerNode(db: PrismaClient, opts: { organisationId: string } & z.input<typeof registerNodeInput>) {
  const input = registerNodeInput.parse(opts);
  const clash = await db.computationNode.findUnique({ where: { signingKey: input.signingKey } });
  if (clash && (clash.organisationId !== opts.organisationId || clash.name !== input.name)) {
    throw new AppError("CONFLICT", "NODE_KEY_TAKEN", "Another node is registered with this signing key.");
  }
  return db.computationNode.upsert({
    where: { organisationId_name: { organisationId: opts.organisationId, name: input.name } },
    create: { organisationId: opts.organisationId, ...input },
    update: { url: input.url, signingKey: input.signingKey, agreementKey: input.agreementKey, active: true },
    select: { id: true, name: true, url: true, signingKey: true, agreementKey: true, active: true, lastSeenAt: true },
  });
}

export async function listNodes(db: PrismaClient, organisationId: string) {
  const nodes = await db.computationNode.findMany({
    where: { organisationId }, orderBy: { createdAt: "asc" },
    select: { id: true, name: true, url: true, signingKey: true, agreementKey: true, active: true, lastSeenAt: true },
  });
  // The datasets each node has reported a commitment for: what a registration can pick from.
  const reported = await db.datasetCommitment.findMany({ where: { nodeId: { in: nodes.map((n) => n.id) } }, distinct: ["nodeId", "dataset"], select: { nodeId: true, dataset: true } });
  return nodes.map((n) => ({ ...n, datasets: reported.filter((r) => r.nodeId === n.id).map((r) => r.dataset).sort() }));
}
