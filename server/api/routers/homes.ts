/** One home per market role; each is reachable only by organisations holding that role. */
import { z } from "zod";
import { roleHomeSummary } from "../../accounts/home";
import { marketRoles, type MarketRoleName } from "../../accounts/roles";
import { buyerQueryRouter, holderNodeRouter } from "./queries";
import { holderResourceRouter } from "./resources";
import { developerProductRouter, operatorProductRouter } from "./products";
import { buyerOrderRouter, holderApprovalRouter } from "./orders";
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
const home = (procedure: typeof orgProcedure, role: MarketRoleName) => ({ home: homeProcedure(procedure, role) });

export const holderRouter = createTRPCRouter({ ...home(holderProcedure, "HOLDER"), ...holderNodeRouter, ...holderResourceRouter, ...holderApprovalRouter });
export const developerRouter = createTRPCRouter({ ...home(developerProcedure, "DEVELOPER"), ...developerProductRouter });
export const operatorRouter = createTRPCRouter({ ...home(operatorProcedure, "OPERATOR"), ...operatorProductRouter });
export const buyerRouter = createTRPCRouter({ ...home(buyerProcedure, "BUYER"), ...buyerQueryRouter, ...buyerOrderRouter });
export const subjectRouter = createTRPCRouter(home(subjectProcedure, "SUBJECT"));
export const supervisorRouter = createTRPCRouter(home(supervisorProcedure, "SUPERVISOR"));
