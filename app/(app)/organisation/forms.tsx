"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { MemberRoleName } from "@/server/accounts/roles";
import { fill } from "../../i18n/dictionaries";
import { useI18n } from "../../i18n/client";
import { errorText, useTRPC } from "../../trpc";

export function InviteForm({ canInviteOwner }: { canInviteOwner: boolean }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const [done, setDone] = useState<string | null>(null);
  const invite = useMutation(trpc.organisation.invite.mutationOptions({
    onSuccess: (inv) => { setDone(fill(t.org.invited, { email: inv.email })); router.refresh(); },
  }));
  const roles: MemberRoleName[] = canInviteOwner ? ["MEMBER", "ADMIN", "OWNER"] : ["MEMBER", "ADMIN"];
  return (
    <form className="stack" onSubmit={(e) => {
      e.preventDefault();
      const f = new FormData(e.currentTarget);
      setDone(null);
      invite.mutate({ email: String(f.get("email")), role: f.get("role") as MemberRoleName });
    }}>
      <label>{t.org.email}<input name="email" type="email" required /></label>
      <label>{t.org.role}<select name="role">{roles.map((r) => <option key={r} value={r}>{t.memberRoles[r]}</option>)}</select></label>
      {invite.error && <p className="error" role="alert">{errorText(t, invite.error)}</p>}
      {done && <p className="notice" role="status">{done}</p>}
      <button className="primary" disabled={invite.isPending}>{t.org.inviteSubmit}</button>
    </form>
  );
}

export function MemberRoleSelect({ userId, role }: { userId: string; role: MemberRoleName }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const change = useMutation(trpc.organisation.setMemberRole.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <>
      <select aria-label={t.org.role} defaultValue={role} disabled={change.isPending}
        onChange={(e) => change.mutate({ userId, role: e.target.value as MemberRoleName })}>
        {(["OWNER", "ADMIN", "MEMBER"] as const).map((r) => <option key={r} value={r}>{t.memberRoles[r]}</option>)}
      </select>
      {change.error && <p className="error" role="alert">{errorText(t, change.error)}</p>}
    </>
  );
}
