import { notFound } from "next/navigation";
import { marketRoles, roleHome, type MarketRoleName } from "@/server/accounts/roles";
import { RoleHome } from "../../_components/role-home";

/** /holder, /developer, /operator, /buyer, /subject, /supervisor (/admin has its own page). */
export default async function RolePage({ params }: { params: Promise<{ role: string }> }) {
  const { role } = await params;
  const match = marketRoles.find((r): r is MarketRoleName => roleHome[r] === `/${role}` && r !== "ADMIN");
  if (!match) notFound();
  return <RoleHome role={match} />;
}
