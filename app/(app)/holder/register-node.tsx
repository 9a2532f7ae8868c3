"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useI18n } from "../../i18n/client";
import { errorText, useTRPC } from "../../trpc";

/** Register (or re-register after a move or key rotation) a node with the keys it printed at start. */
export function RegisterNodeForm() {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const register = useMutation(trpc.holder.registerNode.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <form className="stack" onSubmit={(e) => {
      e.preventDefault();
      const f = new FormData(e.currentTarget);
      register.mutate({ name: String(f.get("name")), url: String(f.get("url")), signingKey: String(f.get("signingKey")), agreementKey: String(f.get("agreementKey")) });
    }}>
      <h2>{t.nodes.register}</h2>
      <label>{t.nodes.name}<input name="name" required maxLength={100} /></label>
      <label>{t.nodes.url}<input name="url" type="url" required placeholder="http://10.0.0.5:4101" /></label>
      <label>{t.nodes.key} (nodeId)<input name="signingKey" required /></label>
      <label>{t.nodes.agreement} (agreementKey)<input name="agreementKey" required /></label>
      {register.error && <p className="error" role="alert">{errorText(t, register.error)}</p>}
      <button className="primary" disabled={register.isPending}>{t.nodes.register}</button>
    </form>
  );
}
