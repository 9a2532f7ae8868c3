/** One home per market role; each is reachable only by organisations holding that role. */
import { z } from "zod";
import { roleHomeSummary } from "../../accounts/home";
import { marketRoles, type MarketRoleName } from "../../accounts/roles";
import {
  buyerProcedure, createTRPCRouter, developerProcedure, holderProcedure,
  operatorProcedure, orgProcedure, subjectProcedure, supervisorProcedure,
} from "../trpc";

const homeOut = z.object({
  role: z.enum(marketRoles), memberCount: z.number().int(), grantedAt: z.date().nullable(), grantReason: z.string().nullable(),
});

export function homeProcedure(procedure: typeof orgProcedure, role: MarketRoleName) {
  return procedure.output(homeOut).query(({ ctx }) => roleHomeSummary(ctx.prisma, { organisationId: ctx.active.organisation.id, role }));
}
const home = (procedure: typeof orgProcedure, role: MarketRoleName) => createTRPCRouter({ home: homeProcedure(procedure, role) });

export const holderRouter = home(holderProcedure, "HOLDER");
export const developerRouter = home(developerProcedure, "DEVELOPER");
export const operatorRouter = home(operatorProcedure, "OPERATOR");
export const buyerRouter = home(buyerProcedure, "BUYER");
export const subjectRouter = home(subjectProcedure, "SUBJECT");
export const supervisorRouter = home(supervisorProcedure, "SUPERVISOR");
