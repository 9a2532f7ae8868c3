/**
 * `npx market-query`: the buyer's command line.
 *
 *   npx market-query keygen --out keys.json       (HE key pair + the key that signs each query)
 *   npx market-query run --url http://localhost:3000 --email insurer@quancheng.example \
 *       --product hospital-claims-by-district-age --group-by district,age \
 *       --measure claim_amount:AVG --filter sex=eq:F --epsilon 1 --keys keys.json [--json]
 *
 * The password comes from MARKET_PASSWORD (never a flag: flags end up in shell history).
 */
import { readFileSync } from "node:fs";
import { writePrivateFile } from "./private-file";
import { parseArgs } from "node:util";
import { generateKeys } from "@/core/he";
import type { BuyerQuery } from "../server/queries/policy";
import { MarketplaceClient, type SigningKeyFile } from "./client";
import { exportKeyPair, generateSigningKey } from "@/core/statements";

function parseFilter(s: string): NonNullable<BuyerQuery["filters"]>[number] {
  const m = /^([A-Za-z_][\w]*)=(eq|neq|in|lt|lte|gt|gte|between):(.+)$/.exec(s);
  if (!m) throw new Error(`--filter ${s}: write column=op:value, e.g. sex=eq:F, district=in:历下区,市中区, age=between:30,60`);
  const [, column, op, raw] = m as unknown as [string, string, "eq", string];
  const conv = (v: string) => (v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v);
  const value = op === ("in" as string) || op === ("between" as string) ? raw.split(",").map(conv) : conv(raw);
  return { column, op, value };
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest,
    options: {
      out: { type: "string" }, url: { type: "string", default: "http://localhost:3000" }, email: { type: "string" },
      product: { type: "string" }, "group-by": { type: "string" }, measure: { type: "string", multiple: true },
      filter: { type: "string", multiple: true }, epsilon: { type: "string" }, keys: { type: "string" }, json: { type: "boolean" },
    },
  });
  if (command === "keygen") {
    if (!values.out) throw new Error("keygen needs --out <file>");
    // The HE key pair decrypts results; the signing key authorises each query (nodes refuse unsigned ones).
    writePrivateFile(values.out, JSON.stringify({ ...(await generateKeys()), signing: await exportKeyPair(await generateSigningKey(true)) }));
    console.log(`Keys written to ${values.out} (keep it private: it holds the HE secret key and the query-signing key).`);
    return;
  }
  if (command !== "run") throw new Error("Usage: market-query keygen --out keys.json | market-query run --email … --product … --measure col:AGG [--group-by a,b] [--filter col=op:value] [--epsilon e] --keys keys.json");
  const password = process.env.MARKET_PASSWORD;
  if (!values.email || !password) throw new Error("Give --email and set MARKET_PASSWORD.");
  if (!values.product || !values.keys || !values.measure?.length) throw new Error("Give --product, --keys and at least one --measure column:AGGREGATE.");
  const keys = JSON.parse(readFileSync(values.keys, "utf8")) as { publicKey: string; secretKey: string; signing?: SigningKeyFile };
  if (!keys.signing) throw new Error(`${values.keys} has no query-signing key (made before queries were signed): run keygen again.`);
  const query: BuyerQuery = {
    groupBy: values["group-by"] ? values["group-by"].split(",") : [],
    measures: values.measure.map((m) => { const [column, aggregate] = m.split(":"); return { column: column!, aggregate: (aggregate ?? "").toUpperCase() as "AVG" }; }),
    filters: (values.filter ?? []).map(parseFilter),
    epsilon: values.epsilon ? Number(values.epsilon) : undefined,
  };
  const client = await MarketplaceClient.signIn(values.url!, values.email, password);
  const job = await client.query({ product: values.product, query, keys: { ...keys, signing: keys.signing }, onProgress: (p) => { if (!values.json) process.stderr.write(`\rprogress ${p}%  `); } });
  if (values.json) {
    console.log(JSON.stringify({ id: job.id, epsilon: job.epsilon, budget: job.budget, rows: job.rows }, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2));
    return;
  }
  process.stderr.write("\n");
  const head = [...job.planned.plan.groupBy.map((d: { name: string }) => d.name), "count", ...job.planned.outputs.map((o) => `${o.aggregate}(${o.column})`)];
  console.log(head.join("\t"));
  for (const r of job.rows) {
    console.log([...r.labels, ...(r.suppressed ? ["(suppressed: below k)"] : [r.count.toString(), ...r.values.map((v) => (v === null ? "" : Array.isArray(v) ? v.join("/") : Number(v).toFixed(2)))])].join("\t"));
  }
  if (job.epsilon > 0) console.log(`ε spent ${job.epsilon}; left ${job.budget ? (job.budget.total - job.budget.spent).toFixed(3) : "?"}`);
}

main().catch((e: Error) => { console.error(`✖ ${e.message}`); process.exit(1); });
