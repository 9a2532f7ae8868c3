/**
 * `npm run backup -- [--out DIR]`            back up the configured database and DATA_DIR's keys
 * `npm run restore -- DIR [--force]`         restore a backup folder, then verify the whole ledger
 *
 * The database is the one `npm start` uses (DATABASE_URL, else embedded PGlite in DATA_DIR).
 * See docs/operations.md, "Backups and restore".
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { dbConfigFromEnv, describeDb } from "../server/db/client";
import { isAppError } from "../server/errors";
import { backup, restore } from "../server/ops/backup";

const [command, ...rest] = process.argv.slice(2);
const { values, positionals } = parseArgs({
  args: rest, allowPositionals: true,
  options: { out: { type: "string" }, force: { type: "boolean", default: false }, help: { type: "boolean", short: "h" } },
});
const dataDir = path.resolve(process.env.DATA_DIR ?? ".data");
const config = dbConfigFromEnv();

try {
  if (values.help || (command !== "backup" && command !== "restore")) {
    console.log("usage: npm run backup -- [--out DIR]\n       npm run restore -- DIR [--force]");
    process.exit(values.help ? 0 : 2);
  }
  if (command === "backup") {
    const out = path.resolve(values.out ?? path.join("backups", new Date().toISOString().replace(/[:.]/g, "-")));
    console.log(`Backing up ${describeDb(config)} and the keys in ${dataDir} …`);
    const m = await backup({ config, dataDir, out });
    console.log(`Backup written to ${out}: ledger of ${m.ledger.size} entries (root ${m.ledger.root}), ${Object.keys(m.files).length} files.`);
    console.log("It holds the ledger and market keys: keep it as secret as DATA_DIR.");
  } else {
    const dir = positionals[0];
    if (!dir) throw new Error("name the backup folder: npm run restore -- DIR");
    console.log(`Restoring ${path.resolve(dir)} into ${describeDb(config)} …`);
    const r = await restore({ dir: path.resolve(dir), config, dataDir, force: values.force });
    if (r.movedAside) console.log(`The database that was there is kept at ${r.movedAside}.`);
    if (r.keysRestored.length) console.log(`Keys restored into ${dataDir}: ${r.keysRestored.join(", ")}.`);
    console.log(`Restored. The ledger verifies: ${r.verdict.leaves} entries, ${r.verdict.checkpointsChecked} checkpoints checked, root ${r.verdict.root}.`);
  }
} catch (e) {
  console.error(isAppError(e) ? `${e.reason}: ${e.message}` : `error: ${(e as Error).message}`);
  process.exit(1);
}
