import Link from "next/link";
import { RoleHome } from "../../_components/role-home";
import { getDictionary } from "../../i18n/server";

export default async function BuyerHome() {
  const { t } = await getDictionary();
  return (
    <RoleHome role="BUYER">
      <section className="panel">
        <h2>{t.query.consoleTitle}</h2>
        <p className="muted">{t.query.consoleIntro}</p>
        <Link className="primary" href="/buyer/query">{t.query.open}</Link>
      </section>
    </RoleHome>
  );
}
