import { marketSigningKey } from "@/server/keys";

export const dynamic = "force-dynamic";

/** The public half of the key that signs every request to a computation node (configure nodes with it). */
export function GET() {
  return Response.json({ algorithm: "Ed25519", encoding: "base64 (32 raw bytes)", publicKey: marketSigningKey().publicKey });
}
