/**
 * Market roles (what an organisation may do on the marketplace, MISSION.md's parties)
 * and member roles (who may manage an organisation). Shared by server and UI.
 */
export const marketRoles = ["HOLDER", "DEVELOPER", "OPERATOR", "BUYER", "SUBJECT", "SUPERVISOR", "ADMIN"] as const;
export type MarketRoleName = (typeof marketRoles)[number];

/**
 * Roles an organisation may ask for itself. Running the market, supervising it and
 * administering it are appointed by a market admin (there is one operator, named by the
 * authority), never asked for at sign-up; SUBJECT comes with a verified identity.
 */
export const requestableRoles = ["HOLDER", "DEVELOPER", "BUYER"] as const satisfies readonly MarketRoleName[];

export type RequestableRole = (typeof requestableRoles)[number];

export const memberRoles = ["OWNER", "ADMIN", "MEMBER"] as const;
export type MemberRoleName = (typeof memberRoles)[number];

/** URL segment of each role's home page. */
export const roleHome: Record<MarketRoleName, string> = {
  HOLDER: "/holder",
  DEVELOPER: "/developer",
  OPERATOR: "/operator",
  BUYER: "/buyer",
  SUBJECT: "/subject",
  SUPERVISOR: "/supervisor",
  ADMIN: "/admin",
};

export const canManageMembers = (r: MemberRoleName) => r === "OWNER" || r === "ADMIN";
