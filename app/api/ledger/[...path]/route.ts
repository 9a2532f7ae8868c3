/**
 * The ledger over plain HTTP, for witnesses, the verifier CLI and anyone else (no account):
 *
 *   GET /api/ledger/key                                  the checkpoint signing key
 *   GET /api/ledger/checkpoint                           the current signed tree head
 *   GET /api/ledger/checkpoints?after=ID&limit=N         every checkpoint issued, oldest first
 *   GET /api/ledger/proof/inclusion?index=I&size=N       audit path of leaf I in the tree of N
 *   GET /api/ledger/proof/consistency?from=M&to=N        consistency proof from M to N
 *   GET /api/ledger/leaves?start=A&end=B                 leaves [A, B), at most 1,000
 *   GET /api/ledger/entry?entryId=UUID                   one entry with its proof
 *   GET /api/ledger/witnesses                            the ledger's and its witnesses' signed-note keys, what each cosigned
 *   GET /api/ledger/tlog/checkpoint                      the current checkpoint as a C2SP signed note (text), with cosignatures
 *
 * Errors: { error: { code, message } } with 400/404/503.
 */
import { z } from "zod";
import { getDb } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { ledgerApi, ledgerInputs } from "@/server/ledger/api";
import { cosignedCheckpoint, listWitnesses } from "@/server/ledger/witnesses";

export const dynamic = "force-dynamic";

const status: Record<string, number> = { BAD_INPUT: 400, NOT_FOUND: 404, UNAVAILABLE: 503 };
const fail = (code: string, message: string, http: number) => Response.json({ error: { code, message } }, { status: http, headers: { "Cache-Control": "no-store" } });

export async function GET(req: Request, { params }: { params: Promise<{ path: string[] }> }) {
  const route = (await params).path.join("/");
  const q = Object.fromEntries(new URL(req.url).searchParams);
  const parse = <T extends z.ZodType>(schema: T): z.infer<T> => {
    const r = schema.safeParse(q);
    if (!r.success) throw new AppError("BAD_INPUT", "BAD_QUERY", r.error.issues.map((i) => `${i.path.join(".") || "query"}: ${i.message}`).join("; "));
    return r.data;
  };
  try {
    const db = (await getDb()).prisma;
    if (route === "tlog/checkpoint") {
      return new Response(await cosignedCheckpoint(db), { headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" } });
    }
    const body = await (async () => {
      switch (route) {
        case "key": return ledgerApi.key();
        case "checkpoint": return ledgerApi.checkpoint(db);
        case "checkpoints": return ledgerApi.checkpoints(db, parse(ledgerInputs.checkpoints));
        case "proof/inclusion": return ledgerApi.inclusion(db, parse(ledgerInputs.inclusion));
        case "proof/consistency": return ledgerApi.consistency(db, parse(ledgerInputs.consistency));
        case "leaves": return ledgerApi.leaves(db, parse(ledgerInputs.leaves));
        case "entry": return ledgerApi.entry(db, parse(ledgerInputs.entry));
        case "witnesses": return listWitnesses(db);
        default: throw new AppError("NOT_FOUND", "NO_SUCH_ENDPOINT", `No ledger endpoint /api/ledger/${route}.`);
      }
    })();
    return Response.json(body, { headers: { "Cache-Control": "no-store" } });
  } catch (e) {
    if (e instanceof AppError) return fail(e.reason, e.message, status[e.code] ?? 400);
    throw e;
  }
}
