/**
 * The node as a C2SP witness (https://c2sp.org/tlog-witness):
 *
 *   POST /v1/witness/add-checkpoint    "old <size>\n" <proof lines> "\n" <signed checkpoint note>
 *     200 text/plain       a cosignature line (tlog-cosignature v1, Ed25519, the node's signing key)
 *     409 text/x.tlog.size the size this node last witnessed: resend with a proof from it
 *     400 / 403 / 404 / 422 / 503 with a one-line reason
 *
 * Public, unauthenticated, as the protocol has it: the only input that matters is a
 * checkpoint signed by the ledger key the node is configured with. The record of the ledger
 * is the one the node checks every marketplace request against (witness.ts), so a cosigned
 * tree head is one the node would also have served under.
 */
import { sign } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fromBase64 } from "@/core/ledger";
import { cosign, nodeCosignerName } from "@/core/note";
import type { NodeIdentity } from "./identity";
import type { NodeWitness } from "./witness";

const MAX_BODY = 64 * 1024;

export async function cosignCheckpoint(req: IncomingMessage, res: ServerResponse, witness: NodeWitness, identity: NodeIdentity, now: () => number) {
  const reply = (status: number, type: string, body: string) => {
    res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
    res.end(body);
  };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return res.setHeader("connection", "close"), reply(413, "text/plain; charset=utf-8", `A checkpoint request is at most ${MAX_BODY} bytes.\n`);
    chunks.push(chunk as Buffer);
  }
  const text = new TextDecoder("utf-8", { fatal: false }).decode(Buffer.concat(chunks));
  const name = nodeCosignerName(identity.nodeId);
  const publicKey = fromBase64(identity.nodeId);
  const answer = witness.addCheckpoint(text, (body) =>
    cosign(body, name, publicKey, Math.floor(now() / 1000), (m) => new Uint8Array(sign(null, m, identity.signingKey))));
  reply(answer.status, answer.type, answer.body);
}
