"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useRef, useState } from "react";
import { fieldTypes, sensitivities, sharingClasses, updateCycles } from "@/server/resources/schemas";
import { fill } from "../../../i18n/dictionaries";
import { useI18n } from "../../../i18n/client";
import { errorText, useTRPC } from "../../../trpc";

type Field = { name: string; type: (typeof fieldTypes)[number]; unit: string; sensitivity: (typeof sensitivities)[number]; label: string; labelZh: string };
const emptyField: Field = { name: "", type: "string", unit: "", sensitivity: "INTERNAL", label: "", labelZh: "" };

/** What an edit starts from: the registration as it is now, at its version. */
export type Editing = {
  resourceId: string; version: number; name: string; nameZh: string | null; description: string; domain: string;
  updateCycle: (typeof updateCycles)[number]; sharing: (typeof sharingClasses)[number]; nodeId: string | null; dataset: string | null;
  fields: { name: string; type: Field["type"]; unit?: string; sensitivity: Field["sensitivity"]; label?: string; labelZh?: string }[];
};

/** Registers a resource, or (given `editing`) saves a new version of one, refused if someone changed it meanwhile. */
export function ResourceForm({ nodes, editing }: { nodes: { id: string; name: string; datasets: string[] }[]; editing?: Editing }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const [fields, setFields] = useState<Field[]>(editing ? editing.fields.map((f) => ({ ...f, unit: f.unit ?? "", label: f.label ?? "", labelZh: f.labelZh ?? "" })) : [emptyField]);
  const [done, setDone] = useState<string | null>(null);
  const [nodeId, setNodeId] = useState(editing?.nodeId ?? "");
  const form = useRef<HTMLFormElement>(null);
  const register = useMutation(trpc.holder.registerResource.mutationOptions({
    // A registered resource leaves an empty form behind: a second click would register nothing twice.
    onSuccess: (r) => { setDone(fill(t.resources.registered, { no: r.certificateNo })); form.current?.reset(); setFields([emptyField]); setNodeId(""); router.refresh(); },
  }));
  const update = useMutation(trpc.holder.updateResource.mutationOptions({
    onSuccess: (r) => { setDone(fill(t.resources.updated, { v: r.version })); router.refresh(); },
  }));
  const save = editing ? update : register;
  const set = (i: number, patch: Partial<Field>) => setFields(fields.map((f, j) => (j === i ? { ...f, ...patch } : f)));
  return (
    <form ref={form} className="stack" style={{ maxWidth: 720 }} data-testid={editing ? "edit-resource" : "register-resource"} onSubmit={(e) => {
      e.preventDefault();
      const f = new FormData(e.currentTarget);
      const node = String(f.get("node") ?? "");
      setDone(null);
      const resource = {
        name: String(f.get("name")), nameZh: String(f.get("nameZh") ?? "").trim() || undefined, description: String(f.get("description") ?? ""),
        domain: String(f.get("domain")), updateCycle: f.get("updateCycle") as (typeof updateCycles)[number], sharing: f.get("sharing") as (typeof sharingClasses)[number],
        fields: fields.map((x) => ({ name: x.name, type: x.type, sensitivity: x.sensitivity, unit: x.unit.trim() || undefined, label: x.label.trim() || undefined, labelZh: x.labelZh.trim() || undefined })),
        ...(node ? { nodeId: node, dataset: String(f.get("dataset") ?? "") } : {}),
      };
      if (editing) update.mutate({ resourceId: editing.resourceId, expectedVersion: editing.version, resource });
      else register.mutate(resource);
    }}>
      {!editing && <h2>{t.resources.register}</h2>}
      <label>{t.resources.name}<input name="name" required minLength={2} maxLength={120} defaultValue={editing?.name} /></label>
      <label>{t.account.newOrgNameZh}<input name="nameZh" maxLength={120} defaultValue={editing?.nameZh ?? ""} /></label>
      <label>{t.resources.description}<textarea name="description" rows={3} maxLength={4000} defaultValue={editing?.description} /></label>
      <label>{t.catalog.domain}<input name="domain" required minLength={2} maxLength={40} placeholder="health" defaultValue={editing?.domain} /></label>
      <label>{t.catalog.cycle}<select name="updateCycle" defaultValue={editing?.updateCycle}>{updateCycles.map((c) => <option key={c} value={c}>{t.catalog.cycles[c]}</option>)}</select></label>
      <label>{t.catalog.sharing}<select name="sharing" defaultValue={editing?.sharing ?? "CONDITIONAL"}>{sharingClasses.map((c) => <option key={c} value={c}>{t.catalog.sharingClass[c]}</option>)}</select></label>
      <fieldset style={{ border: 0, padding: 0 }}>
        <legend>{t.resources.fields}</legend>
        {fields.map((x, i) => (
          <div key={i} style={{ display: "flex", gap: ".4rem", flexWrap: "wrap", marginBottom: ".4rem" }}>
            <input aria-label={`${t.resources.fieldName} ${i + 1}`} placeholder={t.resources.fieldName} value={x.name} required pattern="[A-Za-z_][A-Za-z0-9_]{0,62}"
              title={t.resources.columnHint} onChange={(e) => set(i, { name: e.target.value })} />
            <input aria-label={`${t.resources.fieldLabel} ${i + 1}`} placeholder={t.resources.fieldLabel} value={x.label} maxLength={60} style={{ width: "9rem" }} onChange={(e) => set(i, { label: e.target.value })} />
            <input aria-label={`${t.resources.fieldLabelZh} ${i + 1}`} placeholder={t.resources.fieldLabelZh} value={x.labelZh} maxLength={60} style={{ width: "8rem" }} onChange={(e) => set(i, { labelZh: e.target.value })} />
            <select aria-label={`${t.resources.fieldType} ${i + 1}`} value={x.type} onChange={(e) => set(i, { type: e.target.value as Field["type"] })}>{fieldTypes.map((ft) => <option key={ft}>{ft}</option>)}</select>
            <input aria-label={`${t.resources.unit} ${i + 1}`} placeholder={t.resources.unit} value={x.unit} style={{ width: "6rem" }} onChange={(e) => set(i, { unit: e.target.value })} />
            <select aria-label={`${t.resources.sensitivity} ${i + 1}`} value={x.sensitivity} onChange={(e) => set(i, { sensitivity: e.target.value as Field["sensitivity"] })}>{sensitivities.map((s) => <option key={s} value={s}>{t.resources.sensitivityLevel[s]}</option>)}</select>
            {fields.length > 1 && <button type="button" className="secondary" onClick={() => setFields(fields.filter((_, j) => j !== i))}>−</button>}
          </div>
        ))}
        <button type="button" className="secondary" onClick={() => setFields([...fields, emptyField])}>{t.resources.addField}</button>
        <p className="muted">{t.resources.columnHint}</p>
      </fieldset>
      {nodes.length > 0 && (
        <div style={{ display: "flex", gap: ".5rem" }}>
          <label>{t.nodes.name}<select name="node" value={nodeId} onChange={(e) => setNodeId(e.target.value)}><option value="">—</option>{nodes.map((n) => <option key={n.id} value={n.id}>{n.name}</option>)}</select></label>
          {/* Suggested from what the node has reported; the node is asked again on saving and refuses a name it does not serve. */}
          <label>{t.resources.dataset}<input name="dataset" pattern="[A-Za-z0-9_-]{1,64}" defaultValue={editing?.dataset ?? ""} list={`datasets-${editing?.resourceId ?? "new"}`} required={nodeId !== ""} /></label>
          <datalist id={`datasets-${editing?.resourceId ?? "new"}`}>{(nodes.find((n) => n.id === nodeId)?.datasets ?? []).map((d) => <option key={d} value={d} />)}</datalist>
        </div>
      )}
      {save.error && <p className="error" role="alert">{errorText(t, save.error)}</p>}
      {done && <p className="notice" role="status">{done}</p>}
      <button className="primary" disabled={save.isPending}>{editing ? t.resources.saveVersion : t.resources.register}</button>
    </form>
  );
}

export function RetireButton({ resourceId }: { resourceId: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const retire = useMutation(trpc.holder.retireResource.mutationOptions({ onSuccess: () => router.refresh() }));
  return <button type="button" className="secondary" disabled={retire.isPending} onClick={() => { if (confirm(t.resources.retireConfirm)) retire.mutate({ resourceId }); }}>{t.resources.retire}</button>;
}

/** A temporary change of sharing class, with a reason and an end date (at most the server's limit). */
export function ReclassifyForm({ resourceId, current }: { resourceId: string; current: (typeof sharingClasses)[number] }) {
  const { t, locale } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const [done, setDone] = useState<string | null>(null);
  const reclassify = useMutation(trpc.holder.reclassifyResource.mutationOptions({
    onSuccess: (r) => { setDone(fill(t.resources.reclassified, { until: r.endsAt.toLocaleString(locale === "zh" ? "zh-CN" : "en-GB") })); router.refresh(); },
  }));
  return (
    <form className="stack" onSubmit={(e) => {
      e.preventDefault();
      const f = new FormData(e.currentTarget);
      setDone(null);
      reclassify.mutate({ resourceId, to: f.get("to") as (typeof sharingClasses)[number], reason: String(f.get("reason")), endsAt: new Date(String(f.get("endsAt"))) });
    }}>
      <label>{t.resources.reclassifyTo}<select name="to" defaultValue={sharingClasses.find((c) => c !== current)}>{sharingClasses.map((c) => <option key={c} value={c}>{t.catalog.sharingClass[c]}</option>)}</select></label>
      <label>{t.resources.reclassifyReason}<textarea name="reason" rows={2} required minLength={10} maxLength={1000} /></label>
      <label>{t.resources.reclassifyEnds}<input name="endsAt" type="datetime-local" required /></label>
      {reclassify.error && <p className="error" role="alert">{errorText(t, reclassify.error)}</p>}
      {done && <p className="notice" role="status">{done}</p>}
      <button className="secondary" disabled={reclassify.isPending}>{t.resources.reclassifyDo}</button>
    </form>
  );
}

/** Asks the resource's node to commit its data anew (a new update cycle); the new root is registered on the ledger. */
export function RecommitButton({ resourceId }: { resourceId: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const recommit = useMutation(trpc.audit.recommit.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <div>
      <button type="button" className="secondary" disabled={recommit.isPending} onClick={() => recommit.mutate({ resourceId })}>{t.resources.recommit}</button>
      {recommit.data && (
        <p className="notice" role="status" title={recommit.data.root}>
          {fill(t.resources.recommitted, { root: `${recommit.data.root.slice(0, 12)}…`, rows: recommit.data.rows, chunk: recommit.data.chunkRows })}
        </p>
      )}
      {recommit.error && <p className="error" role="alert">{errorText(t, recommit.error)}</p>}
    </div>
  );
}
