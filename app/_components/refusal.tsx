/** What a person sees when their organisation lacks the role a page needs (the API said FORBIDDEN). */
import type { MarketRoleName } from "@/server/accounts/roles";
import type { Context } from "@/server/api/trpc";
import { fill, type Dictionary, type Locale } from "../i18n/dictionaries";
import { orgLabel } from "./shell";

export function Refusal(props: { ctx: Context; role: MarketRoleName; t: Dictionary; locale: Locale }) {
  const { ctx, role, t, locale } = props;
  const org = ctx.active?.organisation;
  const held = org?.roles.length ? org.roles.map((r) => t.roles[r]).join(", ") : t.refusal.none;
  return (
    <section className="panel refusal" role="alert" data-testid="refusal">
      <h1>{t.refusal.title}</h1>
      <p>{fill(t.refusal.needsRole, { role: t.roles[role], org: org ? orgLabel(org, locale) : "—", held })}</p>
      <p className="muted">{t.refusal.advice}</p>
    </section>
  );
}
