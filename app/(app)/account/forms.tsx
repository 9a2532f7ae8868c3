"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { requestableRoles, type RequestableRole } from "@/server/accounts/roles";
import { useI18n } from "../../i18n/client";
import { errorText, useTRPC } from "../../trpc";

export function AcceptInvitation({ id }: { id: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const accept = useMutation(trpc.account.acceptInvitation.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <>
      <button className="secondary" disabled={accept.isPending} onClick={() => accept.mutate({ invitationId: id })}>{t.account.accept}</button>
      {accept.error && <p className="error" role="alert">{errorText(t, accept.error)}</p>}
    </>
  );
}

export function NewOrganisationForm() {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const create = useMutation(trpc.account.createOrganisation.mutationOptions());
  const switchTo = useMutation(trpc.account.switchOrganisation.mutationOptions());
  return (
    <form className="stack" onSubmit={async (e) => {
      e.preventDefault();
      const f = new FormData(e.currentTarget);
      const nameZh = String(f.get("nameZh") ?? "").trim();
      const org = await create.mutateAsync({
        name: String(f.get("name")), nameZh: nameZh || undefined,
        requestedRoles: f.getAll("requested") as RequestableRole[],
      }).catch(() => null);
      if (!org) return;
      await switchTo.mutateAsync({ organisationId: org.id });
      router.refresh();
    }}>
      <label>{t.account.newOrgName}<input name="name" required minLength={2} maxLength={120} /></label>
      <label>{t.account.newOrgNameZh}<input name="nameZh" maxLength={120} /></label>
      <fieldset className="checks" style={{ border: 0, padding: 0 }}>
        <legend className="muted" style={{ fontSize: ".9rem" }}>{t.signUp.requested}</legend>
        {requestableRoles.map((r) => <label key={r}><input type="checkbox" name="requested" value={r} />{t.roles[r]}</label>)}
      </fieldset>
      {create.error && <p className="error" role="alert">{errorText(t, create.error)}</p>}
      <button className="primary" disabled={create.isPending}>{t.account.create}</button>
    </form>
  );
}
