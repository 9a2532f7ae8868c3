"use client";
/**
 * The guided query-policy editor: for each field the picked resources share, not used, a
 * dimension (categories or numeric buckets, grouping, filters) or a measure (range, decimals,
 * computations); then the product's cohort, limits and privacy. The draft lives in the form
 * (BuildProductForm), which turns it into the policy with buildPolicy (policy-draft.ts).
 */
import { aggregates, filterOps, type FilterOp } from "@/core/protocol";
import { epsilon as epsilonText, integer, splitList } from "../../_lib/format";
import { fill, type Dictionary, type Locale } from "../../i18n/dictionaries";
import { useI18n } from "../../i18n/client";
import {
  defaultColumn, defaultFilterOps, parseNumbers,
  type ColumnDraft, type CommonField, type Floor, type PolicyDraft, type Problem, type ProductSettings,
} from "./policy-draft";

const categoryOps: FilterOp[] = ["eq", "neq", "in"];
const bucketOps: FilterOp[] = [...filterOps];
const row = { display: "flex", flexWrap: "wrap", gap: ".5rem .75rem", alignItems: "end" } as const;
const box = { minWidth: 0, margin: 0, display: "grid", gap: ".6rem" } as const;
const plain = { border: 0, padding: 0, margin: 0, minWidth: 0 } as const;

/** A field as people read it: its label in this language (or the other), else the column name. */
export function fieldLabel(f: Pick<CommonField, "label" | "labelZh">, locale: Locale): string | undefined {
  return locale === "zh" ? f.labelZh ?? f.label : f.label ?? f.labelZh;
}

/** A column as problems name it: "District (district)", "区县（district）", or the bare name. */
export function columnName(fields: CommonField[], name: string, locale: Locale): string {
  const f = fields.find((x) => x.name === name);
  const label = f && fieldLabel(f, locale);
  return !label ? name : locale === "zh" ? `${label}（${name}）` : `${label} (${name})`;
}

/** A problem of the draft, in words. */
export function problemText(t: Dictionary, p: Problem, floor: Floor, locale: Locale, column: (name: string) => string): string {
  return fill(t.builder.problems[p.code], {
    column: p.column ? column(p.column) : "", k: integer(floor.minCohort, locale),
    min: epsilonText(floor.epsilonMin, locale), max: epsilonText(floor.epsilonMax, locale),
  });
}

function toggle<T>(list: T[], item: T, on: boolean, order: readonly T[]): T[] {
  const set = new Set(list);
  if (on) set.add(item); else set.delete(item);
  return order.filter((x) => set.has(x));
}

export function PolicyBuilder(props: {
  fields: CommonField[]; draft: PolicyDraft; onChange: (d: PolicyDraft) => void; problems: Problem[];
  floor: Floor; dpRequired: boolean; disabled: boolean;
}) {
  const { t, locale } = useI18n();
  const { fields, draft, onChange, floor } = props;
  const setColumn = (f: CommonField, patch: Partial<ColumnDraft>) =>
    onChange({ ...draft, columns: { ...draft.columns, [f.name]: { ...(draft.columns[f.name] ?? defaultColumn(f)), ...patch } } });
  const setSettings = (patch: Partial<ProductSettings>) => onChange({ ...draft, settings: { ...draft.settings, ...patch } });
  const s = draft.settings;
  const named = (name: string) => columnName(fields, name, locale);
  /** sentences side by side: a space in English, none in Chinese */
  const gap = locale === "zh" ? "" : " ";
  const own = (column?: string) => props.problems.filter((p) => p.column === column);

  return (
    <>
      <fieldset style={{ ...plain, display: "grid", gap: ".75rem" }} disabled={props.disabled} data-testid="policy-fields">
        <legend><strong>{t.builder.fields}</strong></legend>
        <p className="muted" style={{ margin: 0 }}>{t.builder.fieldsHint}</p>
        {fields.map((f) => {
          const c = draft.columns[f.name] ?? defaultColumn(f);
          const label = fieldLabel(f, locale);
          const problems = own(f.name);
          return (
            <fieldset key={f.name} className="card" style={box} data-testid={`field-${f.name}`}>
              <legend>
                {label ? <><strong>{label}</strong> <code>{f.name}</code></> : <code><strong>{f.name}</strong></code>}
                <span className="muted"> · {f.type}{f.unit ? ` · ${f.unit}` : ""} · {t.resources.sensitivityLevel[f.sensitivity]}</span>
              </legend>
              <div className="checks" role="radiogroup" aria-label={`${t.builder.role} ${f.name}`}>
                <label><input type="radio" name={`role-${f.name}`} checked={c.role === "none"} onChange={() => setColumn(f, { role: "none" })} />{t.builder.notUsed}</label>
                <label><input type="radio" name={`role-${f.name}`} checked={c.role === "dimension"} disabled={f.personal} onChange={() => setColumn(f, { role: "dimension" })} />{t.builder.dimension}</label>
                <label><input type="radio" name={`role-${f.name}`} checked={c.role === "measure"} disabled={!f.numeric} onChange={() => setColumn(f, { role: "measure" })} />{t.builder.measure}</label>
              </div>
              {f.personal && <p className="muted" style={{ margin: 0 }}>{t.builder.personalNote}</p>}
              {c.role === "dimension" && <Dimension f={f} c={c} set={(patch) => setColumn(f, patch)} />}
              {c.role === "measure" && <Measure f={f} c={c} set={(patch) => setColumn(f, patch)} />}
              {problems.map((p) => <p key={p.code} className="error" style={{ margin: 0, padding: ".3rem .6rem" }}>{problemText(t, p, floor, locale, named)}</p>)}
            </fieldset>
          );
        })}
      </fieldset>

      <fieldset className="card" style={box} disabled={props.disabled} data-testid="policy-product">
        <legend><strong>{t.builder.product}</strong></legend>
        <div style={row}>
          <label>{t.builder.minCohort}<input type="number" min={floor.minCohort} step={1} value={s.minCohort} style={{ width: "8rem" }} onChange={(e) => setSettings({ minCohort: e.target.value })} /></label>
          <label>{t.builder.maxGroups}<input type="number" min={1} max={8192} step={1} value={s.maxGroups} style={{ width: "8rem" }} onChange={(e) => setSettings({ maxGroups: e.target.value })} /></label>
          <label>{t.builder.maxRowsTotal}<input type="number" min={1} step={1} value={s.maxRowsTotal} style={{ width: "10rem" }} onChange={(e) => setSettings({ maxRowsTotal: e.target.value })} /></label>
        </div>
        <p className="muted" style={{ margin: 0 }}>{fill(t.builder.minCohortHint, { k: integer(floor.minCohort, locale) })}{gap}{t.builder.maxRowsTotalHint}</p>
        <fieldset style={plain}>
          <legend>{t.builder.privacy}</legend>
          <div className="checks">
            <label><input type="radio" name="privacy" checked={s.privacy === "dp"} onChange={() => setSettings({ privacy: "dp" })} />{t.builder.dp}</label>
            <label><input type="radio" name="privacy" checked={s.privacy === "none"} disabled={props.dpRequired} onChange={() => setSettings({ privacy: "none" })} />{t.builder.noNoise}</label>
          </div>
        </fieldset>
        {props.dpRequired && <p className="muted" style={{ margin: 0 }}>{t.builder.dpRequired}</p>}
        {s.privacy === "dp" && (
          <>
            <div style={row}>
              <label>{t.builder.epsilonPerQuery}<input type="number" min={floor.epsilonMin} max={floor.epsilonMax} step="any" value={s.epsilonPerQuery} style={{ width: "8rem" }} onChange={(e) => setSettings({ epsilonPerQuery: e.target.value })} /></label>
              <label>{t.builder.epsilonPerBuyer}<input type="number" min={0} step="any" value={s.epsilonPerBuyer} style={{ width: "8rem" }} onChange={(e) => setSettings({ epsilonPerBuyer: e.target.value })} /></label>
              <label>{t.builder.rowsPerPerson}<input type="number" min={1} max={1000} step={1} value={s.rowsPerPerson} style={{ width: "8rem" }} onChange={(e) => setSettings({ rowsPerPerson: e.target.value })} /></label>
            </div>
            <p className="muted" style={{ margin: 0 }}>
              {fill(t.builder.epsilonHint, { min: epsilonText(floor.epsilonMin, locale), max: epsilonText(floor.epsilonMax, locale) })}{gap}{t.builder.rowsPerPersonHint}
            </p>
          </>
        )}
        {own(undefined).filter((p) => p.code !== "noResource" && p.code !== "noDimension").map((p) => (
          <p key={p.code} className="error" style={{ margin: 0, padding: ".3rem .6rem" }}>{problemText(t, p, floor, locale, named)}</p>
        ))}
      </fieldset>
    </>
  );
}

function Dimension({ f, c, set }: { f: CommonField; c: ColumnDraft; set: (patch: Partial<ColumnDraft>) => void }) {
  const { t, locale } = useI18n();
  const ops = c.kind === "category" ? categoryOps : bucketOps;
  const values = new Set(splitList(c.values)).size;
  const edges = parseNumbers(c.edges)?.length ?? 0;
  return (
    <>
      <div className="checks" role="radiogroup" aria-label={`${t.builder.kind} ${f.name}`}>
        <label><input type="radio" name={`kind-${f.name}`} checked={c.kind === "category"} onChange={() => set({ kind: "category", filterOps: [...defaultFilterOps.category] })} />{t.builder.category}</label>
        <label><input type="radio" name={`kind-${f.name}`} checked={c.kind === "bucket"} disabled={!f.numeric} onChange={() => set({ kind: "bucket", filterOps: [...defaultFilterOps.bucket] })} />{t.builder.bucket}</label>
      </div>
      {c.kind === "category" ? (
        <div style={{ display: "grid", gap: ".3rem" }}>
          <label>{t.builder.values}<textarea rows={3} value={c.values} onChange={(e) => set({ values: e.target.value })} /></label>
          {values > 0 && <span className="muted" style={{ fontSize: ".85rem" }}>{fill(t.builder.valueCount, { n: integer(values, locale) })}</span>}
        </div>
      ) : (
        <div style={{ display: "grid", gap: ".3rem" }}>
          <label>{t.builder.edges}<input value={c.edges} inputMode="decimal" placeholder="0, 18, 30, 45, 60" onChange={(e) => set({ edges: e.target.value })} /></label>
          <span className="muted" style={{ fontSize: ".85rem" }}>{t.builder.edgesHint}{edges > 1 && `${locale === "zh" ? "" : " "}${fill(t.builder.bucketCount, { n: integer(edges - 1, locale) })}`}</span>
        </div>
      )}
      <div className="checks"><label><input type="checkbox" checked={c.groupable} onChange={(e) => set({ groupable: e.target.checked })} />{t.builder.groupable}</label></div>
      <fieldset className="checks" style={plain}>
        <legend>{t.builder.filters}</legend>
        {ops.map((op) => (
          <label key={op}><input type="checkbox" checked={c.filterOps.includes(op)} onChange={(e) => set({ filterOps: toggle(c.filterOps, op, e.target.checked, filterOps) })} />{t.builder.ops[op]} <code>{op}</code></label>
        ))}
      </fieldset>
    </>
  );
}

function Measure({ f, c, set }: { f: CommonField; c: ColumnDraft; set: (patch: Partial<ColumnDraft>) => void }) {
  const { t, locale } = useI18n();
  return (
    <>
      <div style={row}>
        <label>{t.builder.min}<input type="number" step="any" value={c.min} style={{ width: "9rem" }} onChange={(e) => set({ min: e.target.value })} /></label>
        <label>{t.builder.max}<input type="number" step="any" value={c.max} style={{ width: "9rem" }} onChange={(e) => set({ max: e.target.value })} /></label>
        <label>{t.builder.scale}<input type="number" min={0} max={6} step={1} value={c.scale} style={{ width: "7rem" }} onChange={(e) => set({ scale: e.target.value })} /></label>
      </div>
      <p className="muted" style={{ margin: 0 }}>{t.builder.boundsHint}{f.unit && `${locale === "zh" ? "" : " "}${fill(t.builder.unit, { unit: f.unit })}`}</p>
      <fieldset className="checks" style={plain}>
        <legend>{t.builder.aggregates}</legend>
        {aggregates.map((a) => (
          <label key={a}><input type="checkbox" checked={c.aggregates.includes(a)} onChange={(e) => set({ aggregates: toggle(c.aggregates, a, e.target.checked, aggregates) })} />{t.builder.aggs[a]} <code>{a}</code></label>
        ))}
      </fieldset>
      {c.aggregates.includes("HISTOGRAM") && (
        <label>{t.builder.histogramEdges}<input value={c.histogramEdges} inputMode="decimal" placeholder="0, 500, 1000, 5000" onChange={(e) => set({ histogramEdges: e.target.value })} /></label>
      )}
    </>
  );
}
