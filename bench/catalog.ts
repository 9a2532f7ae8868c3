/**
 * Benchmark of catalog search through the API (`catalog.search`, server/catalog/catalog.ts):
 * 100,000 RESOURCE and 10,000 PRODUCT entries of Chinese+English text are bulk-loaded into
 * the embedded database (PGlite in memory) and, when the binaries are installed, into a
 * throwaway PostgreSQL server; then a fixed mix of ~200 searches (Chinese, English, mixed,
 * filters only, filters + words; every sort order; pages 1 and 5) is timed through a tRPC
 * caller. Target: p95 < 100 ms. Wrong results (a hit that does not match its query or
 * filter, a tsvector that differs from upsertCatalogEntry's) fail the run (CheckFailed).
 */
import { availableParallelism, loadavg } from "node:os";
import { createCaller } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import { searchInput, upsertCatalogEntry, type CatalogDoc, type SearchInput } from "@/server/catalog/catalog";
import { splitForSearch } from "@/server/catalog/tokens";
import { openDatabase, type Database, type DbConfig } from "@/server/db/client";
import { sharingClasses, updateCycles } from "@/server/resources/schemas";
import { seedDemoWorld } from "@/server/seed/demo";
import { findPostgresBin, startThrowawayPostgres } from "@/scripts/lib/postgres-server";
import { onCleanup } from "./lib/cleanup";
import { median, ms, now, table } from "./lib/report";
import { prng } from "../computation/demo/generate"; // deterministic: every run loads the same catalog

export interface CatalogOptions {
  /** 10,000 + 1,000 entries instead of 100,000 + 10,000 (not for the record) */
  quick: boolean;
  /** measured passes over the query mix, after one warm-up pass */
  reps: number;
  /** only the embedded database, even when a PostgreSQL server is installed */
  pglite: boolean;
}

export class CheckFailed extends Error {}

const TARGET_P95_MS = 100;
const started = now();
const log = (msg: string) => process.stderr.write(`[${((now() - started) / 1000).toFixed(0).padStart(4)} s] catalog: ${msg}\n`);

// ------------------------------------------------------------------------------ the data

const DISTRICTS = ["历下区", "市中区", "槐荫区", "天桥区", "历城区", "长清区", "章丘区", "济阳区", "莱芜区", "钢城区", "平阴县", "商河县"];
const TOPICS: { domain: string; zh: string; en: string; fields: string }[] = [
  { domain: "health", zh: "门诊医疗费用记录", en: "Outpatient claims", fields: "patient_id visit_date amount_cny diagnosis_code 就诊日期 金额" },
  { domain: "health", zh: "住院医疗费用结算", en: "Inpatient settlements", fields: "admission_date discharge_date total_cost 入院日期 出院日期" },
  { domain: "health", zh: "医疗机构药品采购", en: "Hospital drug purchases", fields: "drug_name quantity unit_price 药品名称 数量" },
  { domain: "health", zh: "疫苗接种登记", en: "Vaccination register", fields: "vaccine dose clinic 疫苗 剂次" },
  { domain: "tax", zh: "企业纳税信用评价", en: "Enterprise tax credit ratings", fields: "taxpayer_id rating year 纳税人识别号 等级" },
  { domain: "tax", zh: "企业纳税申报明细", en: "Corporate tax returns", fields: "taxpayer_id period tax_due 申报期 应纳税额" },
  { domain: "tax", zh: "个人所得税汇算", en: "Individual income tax reconciliation", fields: "income deduction refund 收入 扣除" },
  { domain: "tax", zh: "发票开具统计", en: "Invoice issuance statistics", fields: "invoice_count amount_cny industry 发票数量 行业" },
  { domain: "social-security", zh: "社保缴费记录", en: "Social insurance contributions", fields: "insured_id month base amount 缴费基数 月份" },
  { domain: "social-security", zh: "养老金发放明细", en: "Pension payments", fields: "pensioner_id amount month 养老金 发放月份" },
  { domain: "social-security", zh: "失业保险申领", en: "Unemployment benefit claims", fields: "claimant_id start_date weeks 申领日期" },
  { domain: "housing", zh: "公积金缴存明细", en: "Housing fund deposits", fields: "account_id month deposit employer 缴存额 单位" },
  { domain: "housing", zh: "公积金贷款发放", en: "Housing fund loans", fields: "loan_id principal term rate 贷款金额 期限" },
  { domain: "housing", zh: "商品房网签备案", en: "New home sales contracts", fields: "contract_id area price_per_m2 面积 单价" },
  { domain: "transport", zh: "公交刷卡客流", en: "Bus ridership", fields: "line_id stop boardings hour 线路 站点" },
  { domain: "transport", zh: "机动车登记信息", en: "Vehicle registrations", fields: "plate_type fuel year 号牌种类 燃料" },
  { domain: "enterprise", zh: "市场主体登记", en: "Business registrations", fields: "credit_code industry capital 统一社会信用代码 注册资本" },
  { domain: "enterprise", zh: "企业用电用水", en: "Enterprise utility usage", fields: "credit_code kwh water_m3 用电量 用水量" },
  { domain: "education", zh: "中小学学籍", en: "School enrolment", fields: "school grade count 学校 年级" },
  { domain: "environment", zh: "空气质量监测", en: "Air quality readings", fields: "station pm25 pm10 aqi 监测站 空气质量指数" },
];
const PRODUCT_KINDS = [
  { zh: "信用评估模型", en: "credit scoring model" }, { zh: "统计分析报告", en: "statistical report" },
  { zh: "风险预警接口", en: "risk alert API" }, { zh: "核验服务", en: "verification service" },
];

/** A deterministic UUID (v4-shaped) from a number. */
function uuidOf(kind: number, i: number): string {
  const h = (kind * 0x10000000 + i).toString(16).padStart(12, "0");
  return `00000000-0000-4000-8000-${h}`;
}

type Row = CatalogDoc & { usedCount: number; ageSeconds: number };

function generate(resources: number, products: number, owners: string[]): Row[] {
  const rnd = prng(20261123);
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const rows: Row[] = [];
  for (let i = 0; i < resources + products; i++) {
    const isProduct = i >= resources;
    const topic = pick(TOPICS), district = pick(DISTRICTS), year = 2018 + Math.floor(rnd() * 8);
    const cycle = pick(updateCycles), sharing = pick(sharingClasses);
    const base: Pick<Row, "ownerOrgId" | "domain" | "active" | "usedCount" | "ageSeconds"> = {
      ownerOrgId: pick(owners), domain: topic.domain, active: rnd() > 0.03,
      usedCount: Math.floor(rnd() ** 3 * 500), ageSeconds: Math.floor(rnd() * 3 * 365 * 86400),
    };
    if (!isProduct) {
      rows.push({
        ...base, kind: "RESOURCE", refId: uuidOf(1, i), sharing, updateCycle: cycle, priceMinor: null,
        title: `${district} ${topic.zh} ${topic.en} ${year}`, titleZh: null,
        keywords: `${topic.fields} ${district}`,
        summary: `济南市${district}${topic.zh}，${year}年数据，按${cycle.toLowerCase()}更新。${topic.en} for ${district}, Jinan, ${year}; record ${i}.`,
      });
    } else {
      const p = pick(PRODUCT_KINDS);
      rows.push({
        ...base, kind: "PRODUCT", refId: uuidOf(2, i), sharing: null, updateCycle: null,
        priceMinor: BigInt(Math.floor(rnd() * 200) * 5000 + 990), // ¥9.90 … ¥9,959.90
        title: `${topic.en} ${p.en} ${year}`, titleZh: `${district}${topic.zh}${p.zh}`,
        keywords: `${topic.fields} ${p.en} ${p.zh}`,
        summary: `基于${topic.zh}的${p.zh}，覆盖${district}。A ${p.en} built on ${topic.en.toLowerCase()} for ${district}.`,
      });
    }
  }
  return rows;
}

// ------------------------------------------------------------------------------- loading

/**
 * One batch as a JSON array, expanded by jsonb_to_recordset; "search" is the expression
 * upsertCatalogEntry builds: title (+ titleZh) weight A, keywords B, summary C, each as
 * to_tsvector('english', latin) || to_tsvector('simple', han bigrams) from splitForSearch.
 */
const INSERT_BATCH = `
  INSERT INTO "CatalogEntry" ("id", "kind", "refId", "ownerOrgId", "title", "titleZh", "summary", "domain", "sharing", "updateCycle",
                              "priceMinor", "usedCount", "active", "createdAt", "search")
  SELECT gen_random_uuid(), r.kind::"CatalogKind", r."refId"::uuid, r."ownerOrgId"::uuid, r.title, r."titleZh", r.summary, r.domain,
         r.sharing::"SharingClass", r."updateCycle"::"UpdateCycle", r."priceMinor"::bigint, r."usedCount", r.active,
         now() - make_interval(secs => r.age),
         setweight(to_tsvector('english', r.al) || to_tsvector('simple', r.ah), 'A'::"char")
           || setweight(to_tsvector('english', r.bl) || to_tsvector('simple', r.bh), 'B'::"char")
           || setweight(to_tsvector('english', r.cl) || to_tsvector('simple', r.ch), 'C'::"char")
  FROM jsonb_to_recordset($1::jsonb) AS r(kind text, "refId" text, "ownerOrgId" text, title text, "titleZh" text, summary text, domain text,
       sharing text, "updateCycle" text, "priceMinor" text, "usedCount" int, active boolean, age int,
       al text, ah text, bl text, bh text, cl text, ch text)`;

function batchJson(rows: Row[]): string {
  return JSON.stringify(rows.map((d) => {
    const a = splitForSearch(`${d.title} ${d.titleZh ?? ""}`), b = splitForSearch(d.keywords), c = splitForSearch(d.summary);
    return {
      kind: d.kind, refId: d.refId, ownerOrgId: d.ownerOrgId, title: d.title, titleZh: d.titleZh ?? null, summary: d.summary, domain: d.domain,
      sharing: d.sharing ?? null, updateCycle: d.updateCycle ?? null, priceMinor: d.priceMinor == null ? null : String(d.priceMinor),
      usedCount: d.usedCount, active: d.active, age: d.ageSeconds,
      al: a.latin, ah: a.han, bl: b.latin, bh: b.han, cl: c.latin, ch: c.han,
    };
  }));
}

async function load(db: Database, rows: Row[]): Promise<number> {
  const t = now();
  const BATCH = 2000;
  await db.raw(async (s) => {
    for (let i = 0; i < rows.length; i += BATCH) await s.query(INSERT_BATCH, [batchJson(rows.slice(i, i + BATCH))]);
    await s.exec(`ANALYZE "CatalogEntry"`);
  });
  return now() - t;
}

/** The batched insert must build exactly the tsvector upsertCatalogEntry builds. */
async function checkSameVector(db: Database, rows: Row[]) {
  const sample = [0, 1, 7, 4242 % rows.length, rows.length - 1].map((i) => rows[i]!);
  const read = (r: Row) => db.prisma.$queryRaw<{ v: string }[]>`
    SELECT "search"::text AS "v" FROM "CatalogEntry" WHERE "kind" = ${r.kind}::"CatalogKind" AND "refId" = ${r.refId}::uuid`;
  for (const r of sample) {
    const before = (await read(r))[0]?.v;
    await upsertCatalogEntry(db.prisma, r); // same document: only "search" is recomputed
    const after = (await read(r))[0]?.v;
    if (!before || before !== after) throw new CheckFailed(`tsvector of ${r.kind} ${r.refId} differs from upsertCatalogEntry's:\n  batch:  ${before}\n  upsert: ${after}`);
  }
}

// ------------------------------------------------------------------------------- queries

type Kind = "chinese" | "english" | "mixed" | "filters only" | "words + filters";
type Query = { kind: Kind; input: SearchInput; label: string; zh?: string; en?: string };

function queryMix(): Query[] {
  const sorts = ["relevance", "newest", "used"] as const;
  const pages = [1, 5];
  const out: Query[] = [];
  const add = (kind: Kind, base: SearchInput, extra: { zh?: string; en?: string } = {}) => {
    for (const sort of sorts) for (const page of pages) {
      out.push({ kind, input: { ...base, sort, page }, label: `${JSON.stringify(base, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))} ${sort} p${page}`, ...extra });
    }
  };
  for (const zh of ["医疗", "公积金缴存", "企业纳税", "门诊", "社保缴费", "空气质量", "历下区", "养老金"]) add("chinese", { q: zh }, { zh });
  for (const en of ["claims", "tax returns", "housing", "pension", "vehicle registrations", "credit scoring model", "bus"]) add("english", { q: en }, { en });
  for (const [zh, en] of [["医疗", "claims"], ["公积金", "loans"], ["企业", "tax"], ["历城区", "school"]] as const) add("mixed", { q: `${zh} ${en}` }, { zh, en });
  for (const f of [{ domain: "health" }, { domain: "housing" }, { sharing: "UNCONDITIONAL" }, { sharing: "CONDITIONAL", kind: "RESOURCE" },
    { kind: "PRODUCT", priceMinMinor: 100_000n, priceMaxMinor: 500_000n }, { updateCycle: "MONTHLY", domain: "tax" }] satisfies SearchInput[]) {
    add("filters only", f);
  }
  for (const f of [{ q: "医疗", domain: "health" }, { q: "公积金缴存", sharing: "CONDITIONAL" }, { q: "tax", kind: "PRODUCT", priceMaxMinor: 300_000n },
    { q: "企业纳税", updateCycle: "YEARLY" }] satisfies SearchInput[]) {
    add("words + filters", f, { zh: /[\u4e00-\u9fff]/.test(f.q) ? f.q : undefined, en: /[a-z]/.test(f.q) ? f.q : undefined });
  }
  return out;
}

type Result = Awaited<ReturnType<ReturnType<typeof createCaller>["catalog"]["search"]>>;

/** Every hit must satisfy the filters; word queries must find something, and their best hit must show the words. */
function check(q: Query, r: Result) {
  const i = searchInput.parse(q.input);
  const fail = (why: string) => { throw new CheckFailed(`${q.label}: ${why}`); };
  if (r.items.length > i.pageSize) fail(`${r.items.length} items on a page of ${i.pageSize}`);
  if (i.page === 1 && r.total > 0 && r.items.length === 0) fail(`total ${r.total} but page 1 is empty`);
  if (q.zh || q.en) {
    if (r.total === 0 && i.page === 1) fail("no hits");
  }
  for (const h of r.items) {
    if (i.domain && h.domain !== i.domain) fail(`hit in domain ${h.domain}`);
    if (i.kind && h.kind !== i.kind) fail(`hit of kind ${h.kind}`);
    if (i.sharing && h.sharing !== i.sharing) fail(`hit shared ${h.sharing}`);
    if (i.updateCycle && h.updateCycle !== i.updateCycle) fail(`hit updated ${h.updateCycle}`);
    if (i.priceMinMinor !== undefined && !(h.priceMinor !== null && h.priceMinor >= i.priceMinMinor)) fail(`hit priced ${h.priceMinor}`);
    if (i.priceMaxMinor !== undefined && !(h.priceMinor !== null && h.priceMinor <= i.priceMaxMinor)) fail(`hit priced ${h.priceMinor}`);
    const text = `${h.title} ${h.titleZh ?? ""} ${h.summary}`;
    if (q.zh && !text.includes(q.zh)) fail(`hit "${h.title}" / "${h.titleZh}" does not contain ${q.zh}`);
    if (q.en && !q.en.split(" ").every((w) => text.toLowerCase().includes(w.replace(/s$/, "")))) fail(`hit "${h.title}" does not contain "${q.en}"`);
  }
  const top = r.items[0];
  if (i.sort === "relevance" && i.page === 1 && top && q.zh && !`${top.title} ${top.titleZh ?? ""}`.includes(q.zh)) {
    fail(`best hit "${top.title}" has ${q.zh} only outside its title`);
  }
  for (let k = 1; k < r.items.length; k++) {
    const a = r.items[k - 1]!, b = r.items[k]!;
    if (i.sort === "newest" && a.createdAt < b.createdAt) fail("not newest first");
    if (i.sort === "used" && a.usedCount < b.usedCount) fail("not most used first");
    if (i.sort === "relevance" && a.rank < b.rank) fail("not best rank first");
  }
}

// ---------------------------------------------------------------------------- a backend

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

type BackendRun = { name: string; loadMs: number; entries: number; times: Map<string, number[]>; perQuery: Map<string, { total: number; ms: number[] }> };

async function runBackend(name: string, config: DbConfig, opts: CatalogOptions): Promise<BackendRun> {
  let t = now();
  const db = await openDatabase(config);
  const close = onCleanup(`close ${name}`, () => db.close());
  try {
    await seedDemoWorld(db.prisma);
    const orgs = await db.prisma.organisation.findMany({ select: { id: true }, orderBy: { slug: "asc" } });
    const user = await db.prisma.user.findUnique({ where: { email: "bank@quancheng.example" }, select: { id: true } });
    if (!user || orgs.length === 0) throw new CheckFailed("the demo world has no bank user or no organisations");
    log(`${name}: opened, migrated and seeded the demo world in ${ms(now() - t)}`);

    const [resources, products] = opts.quick ? [10_000, 1_000] : [100_000, 10_000];
    t = now();
    const rows = generate(resources, products, orgs.map((o) => o.id));
    log(`${name}: generated ${resources} resources + ${products} products in ${ms(now() - t)}`);
    const loadMs = await load(db, rows);
    const entries = await db.prisma.catalogEntry.count();
    log(`${name}: loaded ${entries} catalog entries (batches of 2000, then ANALYZE) in ${ms(loadMs)}`);
    await checkSameVector(db, rows);
    log(`${name}: batched tsvectors identical to upsertCatalogEntry's on 5 rows ✓`);

    const caller = createCaller(await createContext({ db, userId: user.id }));
    const mix = queryMix();
    const times: BackendRun["times"] = new Map();
    const perQuery: BackendRun["perQuery"] = new Map();
    const push = (k: string, x: number) => { const a = times.get(k) ?? []; a.push(x); times.set(k, a); };
    for (let pass = 0; pass <= opts.reps; pass++) { // pass 0 is the warm-up
      t = now();
      for (const q of mix) {
        const t0 = now();
        const r = await caller.catalog.search(q.input);
        const dt = now() - t0;
        if (pass === 0) { check(q, r); continue; }
        for (const k of [q.kind, `sort: ${q.input.sort}`, `page ${q.input.page}`, "all"]) push(k, dt);
        const pq = perQuery.get(q.label) ?? { total: r.total, ms: [] };
        pq.ms.push(dt);
        perQuery.set(q.label, pq);
      }
      log(`${name}: ${pass === 0 ? "warm-up pass (results checked)" : `measured pass ${pass}/${opts.reps}`}: ${mix.length} searches in ${ms(now() - t)}`);
    }
    return { name, loadMs, entries, times, perQuery };
  } finally {
    await close();
  }
}

// ------------------------------------------------------------------------------ the run

export async function runCatalogBenchmark(opts: CatalogOptions): Promise<string> {
  const runs: BackendRun[] = [];
  runs.push(await runBackend("PGlite (embedded, in memory)", { kind: "pglite", dir: null }, opts));
  const bin = opts.pglite ? null : findPostgresBin();
  if (bin) {
    const server = await startThrowawayPostgres(bin, { prefix: "bench-catalog-pg-" });
    const stop = onCleanup("stop the PostgreSQL server", () => server.stop());
    try {
      const version = bin.split("/").at(-2);
      runs.push(await runBackend(`PostgreSQL ${version} (throwaway server, fsync off)`, { kind: "postgres", url: server.url }, opts));
    } finally {
      await stop();
    }
  } else {
    log(opts.pglite ? "--pglite: PostgreSQL skipped" : "no PostgreSQL binaries under /usr/lib/postgresql: PostgreSQL skipped");
  }

  const n = queryMix().length;
  const out: string[] = [];
  const verdicts: string[] = [];
  for (const r of runs) {
    const rows = [...r.times.entries()].map(([k, xs]) => {
      const s = [...xs].sort((a, b) => a - b);
      return [k, String(s.length), ms(pct(s, 50)), ms(pct(s, 95)), ms(pct(s, 99)), ms(s.at(-1)!), pct(s, 95) < TARGET_P95_MS ? "✓" : "✗"];
    });
    const order = ["all", "chinese", "english", "mixed", "filters only", "words + filters", "sort: relevance", "sort: newest", "sort: used", "page 1", "page 5"];
    rows.sort((a, b) => order.indexOf(a[0]!) - order.indexOf(b[0]!));
    const all = [...r.times.get("all")!].sort((a, b) => a - b);
    const p95 = pct(all, 95);
    const verdict = `${r.name}: p95 ${ms(p95)} ${p95 < TARGET_P95_MS ? "<" : "≥"} ${TARGET_P95_MS} ms → ${p95 < TARGET_P95_MS ? "PASS" : "FAIL"}`;
    verdicts.push(verdict);
    out.push(table(`catalog.search on ${r.name}: ${r.entries.toLocaleString("en")} entries, loaded in ${ms(r.loadMs)}`,
      ["queries", "n", "p50", "p95", "p99", "max", "p95 < 100 ms"], rows,
      [`${n} searches × ${opts.reps} measured passes after one warm-up pass; wall time of caller.catalog.search (tRPC caller → zod → searchCatalog → SQL).`]));
    const slowest = [...r.perQuery.entries()].map(([label, v]) => ({ label, total: v.total, med: median(v.ms) })).sort((a, b) => b.med - a.med).slice(0, 6);
    out.push(`Slowest searches (median of the measured passes; total = matching entries):
${slowest.map((x) => `  ${ms(x.med).padStart(7)}  total ${String(x.total).padStart(6)}  ${x.label}`).join("\n")}`);
  }
  out.push(`\nVerdict (target p95 < ${TARGET_P95_MS} ms over the whole mix):\n${verdicts.map((v) => `  ${v}`).join("\n")}`);
  out.push(`\n(${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(2)} at the end, Node ${process.version})`);
  return out.join("\n");
}
