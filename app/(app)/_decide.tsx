"use client";
/** Decisions with a reason: approve or refuse (holders, operators), or one action with a reason. */
import { useState } from "react";
import { useI18n } from "../i18n/client";
import { errorText } from "../trpc";

export function DecideWithReason(props: {
  approveLabel: string; refuseLabel: string; reasonLabel: string; pending: boolean; error: unknown;
  onApprove: () => void; onRefuse: (reason: string) => void;
}) {
  const { t } = useI18n();
  const [reason, setReason] = useState("");
  return (
    <div style={{ display: "flex", gap: ".4rem", flexWrap: "wrap" }}>
      <button type="button" className="secondary" disabled={props.pending} onClick={props.onApprove}>{props.approveLabel}</button>
      <input aria-label={props.reasonLabel} placeholder={props.reasonLabel} value={reason} onChange={(e) => setReason(e.target.value)} />
      <button type="button" className="secondary" disabled={props.pending} onClick={() => props.onRefuse(reason)}>{props.refuseLabel}</button>
      {props.error ? <p className="error" role="alert">{errorText(t, props.error)}</p> : null}
    </div>
  );
}

/** One action with a reason typed beside it (pause a product, close a demand). */
export function ActWithReason(props: { label: string; reasonLabel: string; pending: boolean; error: unknown; onAct: (reason: string) => void }) {
  const { t } = useI18n();
  const [reason, setReason] = useState("");
  return (
    <div style={{ display: "flex", gap: ".4rem", flexWrap: "wrap" }}>
      <input aria-label={props.reasonLabel} placeholder={props.reasonLabel} value={reason} onChange={(e) => setReason(e.target.value)} />
      <button type="button" className="secondary" disabled={props.pending} onClick={() => props.onAct(reason)}>{props.label}</button>
      {props.error ? <p className="error" role="alert">{errorText(t, props.error)}</p> : null}
    </div>
  );
}
