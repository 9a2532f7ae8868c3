"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { marketRoles, type MarketRoleName } from "@/server/accounts/roles";
import { useI18n } from "../../i18n/client";
import { errorText, useTRPC } from "../../trpc";

export function RoleEditor({ organisationId, roles }: { organisationId: string; roles: MarketRoleName[] }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const [saved, setSaved] = useState(false);
  const save = useMutation(trpc.admin.setOrganisationRoles.mutationOptions({ onSuccess: () => { setSaved(true); router.refresh(); } }));
  return (
    <form onSubmit={(e) => {
      e.preventDefault();
      const f = new FormData(e.currentTarget);
      setSaved(false);
      save.mutate({ organisationId, roles: f.getAll("roles") as MarketRoleName[], reason: String(f.get("reason")) });
    }}>
      <div className="checks">
        {marketRoles.map((r) => <label key={r}><input type="checkbox" name="roles" value={r} defaultChecked={roles.includes(r)} />{t.roles[r]}</label>)}
      </div>
      <div style={{ display: "flex", gap: ".5rem", marginTop: ".4rem" }}>
        <input name="reason" placeholder={t.admin.reason} aria-label={t.admin.reason} required minLength={3} style={{ flex: 1 }} />
        <button className="secondary" disabled={save.isPending}>{t.admin.save}</button>
      </div>
      {save.error && <p className="error" role="alert">{errorText(t, save.error)}</p>}
      {saved && <p className="notice" role="status">{t.admin.saved}</p>}
    </form>
  );
}
