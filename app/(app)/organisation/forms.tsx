"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
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

type MarketRole = "HOLDER" | "DEVELOPER" | "OPERATOR" | "BUYER" | "SUBJECT" | "SUPERVISOR" | "ADMIN";

/** The organisation's API tokens: make one (its secret shown once), see their use, revoke. */
export function ApiTokens({ roles }: { roles: MarketRole[] }) {
  const { t, locale } = useI18n();
  const trpc = useTRPC();
  const tokens = useQuery(trpc.organisation.apiTokens.queryOptions());
  const [made, setMade] = useState<string | null>(null);
  const create = useMutation(trpc.organisation.createApiToken.mutationOptions({ onSuccess: (r) => { setMade(r.token); void tokens.refetch(); } }));
  const revoke = useMutation(trpc.organisation.revokeApiToken.mutationOptions({ onSuccess: () => void tokens.refetch() }));
  const when = (d: Date | null) => (d ? d.toLocaleString(locale === "zh" ? "zh-CN" : "en-GB") : t.org.never);
  return (
    <>
      <form className="stack" onSubmit={(e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        setMade(null);
        create.mutate({ name: String(f.get("name")), roles: f.getAll("roles") as MarketRole[], expiresInDays: Number(f.get("days")) });
      }}>
        <label>{t.org.tokenName}<input name="name" required minLength={2} maxLength={80} /></label>
        <fieldset className="checks"><legend className="muted">{t.org.tokenRoles}</legend>
          {roles.map((r) => <label key={r}><input type="checkbox" name="roles" value={r} />{t.roles[r]}</label>)}
        </fieldset>
        <label>{t.org.tokenDays}<input name="days" type="number" min={1} max={366} defaultValue={90} required /></label>
        {create.error && <p className="error" role="alert">{errorText(t, create.error)}</p>}
        {made && <p className="notice" role="status">{t.org.tokenShown}<br /><code className="wrap" data-testid="new-token">{made}</code></p>}
        <button className="primary" disabled={create.isPending}>{t.org.makeToken}</button>
      </form>
      {tokens.data && (tokens.data.length === 0 ? <p className="muted">{t.org.noTokens}</p> : (
        <table>
          <thead><tr><th>{t.org.tokenName}</th><th>{t.org.tokenRoles}</th><th>{t.org.expires}</th><th>{t.org.lastUsed}</th><th /></tr></thead>
          <tbody>
            {tokens.data.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td>{k.roles.map((r) => t.roles[r as MarketRole]).join(", ") || "—"}</td>
                <td>{when(k.expiresAt)}</td>
                <td>{when(k.lastUsedAt)}</td>
                <td>{k.revokedAt ? t.org.revoked : <button onClick={() => revoke.mutate({ tokenId: k.id })} disabled={revoke.isPending}>{t.org.revoke}</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
      {revoke.error && <p className="error" role="alert">{errorText(t, revoke.error)}</p>}
    </>
  );
}
