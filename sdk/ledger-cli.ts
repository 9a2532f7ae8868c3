/**
 * `npx market-ledger` (or `npm run ledger --`): verify and witness the marketplace's
 * transparency ledger (an RFC 6962 Merkle log with Ed25519-signed checkpoints) from outside,
 * over the plain HTTP API under /api/ledger. Anyone can run it; it needs no account.
 *
 *   market-ledger verify  --url https://market.example [--key <base64>] [--samples 20]
 *   market-ledger export  --url https://market.example --out ledger.ndjson
 *   market-ledger verify  --file ledger.ndjson [--key <base64>]
 *   market-ledger witness --url https://market.example --state witness.json [--key <base64>]
 *   market-ledger proof   --url https://market.example --entry <uuid> [--key <base64>]
 *   market-ledger checkpoint --url https://market.example | --file <note or json> [--key <base64>] [--witness <vkey>]… [--quorum N]
 *
 * Exit status: 0 verified, 1 verification failed or witness alarm, 2 usage, input or network error.
 *
 * This file is the entry: the command line and the process. The rest lives in sdk/ledger/:
 * api.ts (the HTTP client, Io, errors), common.ts (inputs, shared checks), format.ts (the
 * export file), and one file per command (verify, export, witness, proof). Every command is a
 * function taking its options and an `Io` (fetch, output sinks), so it can be run in-process;
 * `main(argv, io)` parses the command line and returns the exit code.
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CliError, context, reason, UsageError, type Io } from "./ledger/api";
import { checkCheckpoint } from "./ledger/checkpoint";
import { parseBaseUrl, parseUuid, writableTarget } from "./ledger/common";
import { exportLedger } from "./ledger/export";
import { EXPORT_FORMAT, EXPORT_FORMAT_V1, MAX_V1_BYTES } from "./ledger/format";
import { proveEntry } from "./ledger/proof";
import { verifyFile, verifyUrl } from "./ledger/verify";
import { witness } from "./ledger/witness";

export { ApiError, CliError, LedgerApi, NetworkError, UsageError, type FetchLike, type Io } from "./ledger/api";
export { parseBaseUrl, parseKey, parseUuid } from "./ledger/common";
export { EXPORT_FORMAT, EXPORT_FORMAT_V1 } from "./ledger/format";
export { STATE_FORMAT, type WitnessState } from "./ledger/witness";
export { checkCheckpoint, exportLedger, proveEntry, verifyFile, verifyUrl, witness };

export const USAGE = `market-ledger: verify and witness the marketplace's transparency ledger (an RFC 6962 Merkle log)

Usage:
  market-ledger verify  --url <market url> [--key <base64>] [--samples <n>]
  market-ledger verify  --file <export.ndjson> [--key <base64>]
  market-ledger export  --url <market url> --out <file.ndjson>
  market-ledger witness --url <market url> --state <file.json> [--key <base64>]
  market-ledger proof   --url <market url> --entry <uuid> [--key <base64>]
  market-ledger checkpoint --url <market url> [--key <base64>] [--witness <vkey>]... [--quorum <n>]
  market-ledger checkpoint --file <checkpoint> --key <base64> [--witness <vkey>]... [--quorum <n>]

Commands:
  verify    Fetch every checkpoint and every leaf, recompute the Merkle tree and check that each
            checkpoint is signed by the ledger key and matches the leaves; check the consistency
            proofs the ledger serves between successive checkpoints and the inclusion proofs of a
            random sample of leaves. With --file, check an export offline instead.
  export    Write the key, all checkpoints and all leaves to a file, one JSON value per line
            (${EXPORT_FORMAT}). verify --file also reads the older
            ${EXPORT_FORMAT_V1} files, whole, up to ${MAX_V1_BYTES / 2 ** 20} MiB.
  witness   Check that the ledger only grew since the last run: keeps the last accepted checkpoint
            in --state and accepts a newer one only with a valid consistency proof. The first run
            trusts what it sees. Run it on a schedule; an alarm means the history was rewritten.
  proof     Fetch one entry, check its inclusion proof against its checkpoint and the
            checkpoint's signature, and print the event.
  checkpoint
            Check one checkpoint in either format the ledger signs: a C2SP signed note
            (c2sp.org/tlog-checkpoint, served at /api/ledger/tlog/checkpoint) or the JSON
            checkpoint, and the witnesses' C2SP cosignatures on it (c2sp.org/tlog-cosignature).
            With --url both formats are fetched and must agree; --file reads a saved one.

Options:
  --url <url>       the market's base URL, e.g. https://market.example or http://localhost:3000
                    (the ledger API lives under <url>/api/ledger)
  --key <base64>    the ledger's Ed25519 public key, obtained from a source you trust (32 bytes,
                    standard base64). Without it the key the ledger serves itself is used, which
                    only shows that the ledger is consistent with itself.
  --file <file>     an export written by 'market-ledger export'
  --out <file>      where 'export' writes (replaced atomically when complete)
  --state <file>    the witness's state file (created on the first run)
  --entry <uuid>    a ledger entry id (the id of the event, as in a receipt)
  --samples <n>     how many random leaves 'verify --url' checks inclusion proofs for (default 20)
  --witness <vkey>  a witness's C2SP cosigner key (repeatable); without it, the witnesses the
                    ledger lists at /api/ledger/witnesses
  --quorum <n>      'checkpoint' fails unless at least n of the witnesses cosigned (default 0)
  -h, --help        show this text

Exit status: 0 verified, 1 verification failed or witness alarm, 2 usage, input or network error.

Examples:
  npx market-ledger verify --url http://localhost:3000
  npx market-ledger export --url http://localhost:3000 --out ledger.ndjson
  npx market-ledger verify --file ledger.ndjson --key "$(cat ledger-key.txt)"
  npm run ledger -- witness --url https://market.example --state witness-state.json`;

const options = {
  verify: { url: { type: "string" }, file: { type: "string" }, key: { type: "string" }, samples: { type: "string" } },
  export: { url: { type: "string" }, out: { type: "string" } },
  witness: { url: { type: "string" }, state: { type: "string" }, key: { type: "string" } },
  proof: { url: { type: "string" }, entry: { type: "string" }, key: { type: "string" } },
  checkpoint: { url: { type: "string" }, file: { type: "string" }, key: { type: "string" }, witness: { type: "string", multiple: true }, quorum: { type: "string" } },
} as const;

function parseCommand<C extends keyof typeof options>(command: C, args: string[]) {
  try {
    return parseArgs({ args, options: { ...options[command], help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: false }).values;
  } catch (e) {
    const code = (e as { code?: string }).code;
    const name = /'([^']+)'/.exec((e as Error).message)?.[1];
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new UsageError(`${command} does not take the option ${name ?? (e as Error).message}.`);
    if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") throw new UsageError(`Unexpected argument ${name ? `'${name}'` : ""}: options are written --name value.`);
    throw new UsageError((e as Error).message);
  }
}

/** Runs the command line `argv` (without node and the script) and returns the exit status. */
export async function main(argv: string[], io: Io = {}): Promise<number> {
  const ctx = context(io);
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === "help" || command === "-h" || command === "--help") {
      (command === undefined ? ctx.err : ctx.out)(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (!Object.hasOwn(options, command)) throw new UsageError(`Unknown command ${JSON.stringify(command)}: use verify, export, witness, proof or checkpoint.`);
    const values = parseCommand(command as keyof typeof options, rest) as Record<string, string | boolean | undefined>;
    if (values.help) { ctx.out(USAGE); return 0; }
    const s = (name: string) => values[name] as string | undefined;
    const list = (name: string) => (values[name] as unknown as string[] | undefined) ?? [];
    switch (command) {
      case "verify": {
        if (s("url") !== undefined && s("file") !== undefined) throw new UsageError("verify takes --url or --file, not both.");
        if (s("file") !== undefined) {
          if (s("samples") !== undefined) throw new UsageError("--samples applies to verify --url only.");
          return await verifyFile({ file: s("file")!, key: s("key") }, io);
        }
        if (s("url") === undefined) throw new UsageError("verify needs --url <market url> or --file <export.ndjson>.");
        let samples: number | undefined;
        if (s("samples") !== undefined) {
          if (!/^\d{1,4}$/.test(s("samples")!) || Number(s("samples")) > 1000) throw new UsageError("--samples is a whole number from 0 to 1000.");
          samples = Number(s("samples"));
        }
        return await verifyUrl({ url: s("url")!, key: s("key"), samples }, io);
      }
      case "export":
        parseBaseUrl(s("url"));
        return await exportLedger({ url: s("url")!, out: (await writableTarget(s("out"), "--out")) }, io);
      case "witness":
        parseBaseUrl(s("url"));
        return await witness({ url: s("url")!, state: (await writableTarget(s("state"), "--state")), key: s("key") }, io);
      case "proof":
        parseBaseUrl(s("url"));
        return await proveEntry({ url: s("url")!, entry: parseUuid(s("entry")), key: s("key") }, io);
      case "checkpoint": {
        if (s("quorum") !== undefined && !/^\d{1,3}$/.test(s("quorum")!)) throw new UsageError("--quorum is a whole number.");
        if (s("url") !== undefined) parseBaseUrl(s("url"));
        return await checkCheckpoint({ url: s("url"), file: s("file"), key: s("key"), witnesses: list("witness"), quorum: s("quorum") === undefined ? 0 : Number(s("quorum")) }, io);
      }
    }
    throw new UsageError(`Unknown command ${command}`);
  } catch (e) {
    ctx.progress("");
    if (e instanceof CliError) {
      ctx.err(`✖ ${e.message}`);
      if (e instanceof UsageError) ctx.err("  (market-ledger --help shows the usage.)");
      return 2;
    }
    const code = (e as NodeJS.ErrnoException | null)?.code;
    if (typeof code === "string" && /^E[A-Z]+$/.test(code)) {
      ctx.err(`✖ ${(e as Error).message}`);
      return 2;
    }
    ctx.err(`✖ Unexpected error: ${reason(e)}`);
    if (process.env.LEDGER_DEBUG && e instanceof Error) ctx.err(e.stack ?? "");
    else ctx.err("  (set LEDGER_DEBUG=1 for details)");
    return 2;
  }
}

/** The process entry point: bin/market-ledger.mjs calls it; so does `tsx sdk/ledger-cli.ts`. */
export async function cli(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2));
}

const invokedDirectly = (() => {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();
if (invokedDirectly) await cli();
