/** One home per market role; each is reachable only by organisations holding that role. */
import { z } from "zod";
import { roleHomeSummary } from "../../accounts/home";
import { marketRoles, type MarketRoleName } from "../../accounts/roles";
import { buyerQueryRouter, holderNodeRouter } from "./queries";
import { buyerFigures, developerUsage, earnings, holderFigures } from "../../dashboards";
import { holderResourceRouter } from "./resources";
import { developerProductRouter, operatorProductRouter } from "./products";
import { buyerOrderRouter, holderApprovalRouter } from "./orders";
import { supervisionRouter } from "./ledger";
import { budgetRow, privacyBudgets } from "../../queries/budgets";
import { operatorMoneyRouter } from "./money";
import { buyerConsentRouter, subjectConsentRouter } from "./consent";
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

const money = z.object({ earnedMinor: z.number().int(), paidOutMinor: z.number().int(), owedMinor: z.number().int() });
const figures = {
  holder: holderProcedure.output(z.object({ queriesServed: z.number().int(), pendingApprovals: z.number().int(), resources: z.number().int(), ...money.shape }))
    .query(({ ctx }) => holderFigures(ctx.prisma, ctx.active.organisation.id)),
  developer: developerProcedure.output(z.record(z.string(), z.number().int())).query(({ ctx }) => developerUsage(ctx.prisma, ctx.active.organisation.id)),
  developerEarnings: developerProcedure.output(money).query(({ ctx }) => earnings(ctx.prisma, ctx.active.organisation.id, "developer_payable")),
  buyer: buyerProcedure.output(z.object({ queries: z.number().int(), chargedMinor: z.number().int(), prepaidMinor: z.number().int(), activeOrders: z.number().int() }))
    .query(({ ctx }) => buyerFigures(ctx.prisma, ctx.active.organisation.id)),
};

/** ε spent per buyer and dataset, what is left and when it comes back (server/queries/budgets.ts). */
const budgets = {
  buyer: buyerProcedure.output(z.array(budgetRow)).query(({ ctx }) => privacyBudgets(ctx.prisma, { buyerOrgId: ctx.active.organisation.id })),
  holder: holderProcedure.output(z.array(budgetRow)).query(({ ctx }) => privacyBudgets(ctx.prisma, { holderOrgId: ctx.active.organisation.id })),
  supervisor: supervisorProcedure.output(z.array(budgetRow)).query(({ ctx }) => privacyBudgets(ctx.prisma, { all: true })),
};

export const holderRouter = createTRPCRouter({ ...home(holderProcedure, "HOLDER"), ...holderNodeRouter, ...holderResourceRouter, ...holderApprovalRouter, figures: figures.holder, privacyBudgets: budgets.holder });
export const developerRouter = createTRPCRouter({ ...home(developerProcedure, "DEVELOPER"), ...developerProductRouter, usage: figures.developer, earnings: figures.developerEarnings });
export const operatorRouter = createTRPCRouter({ ...home(operatorProcedure, "OPERATOR"), ...operatorProductRouter, ...operatorMoneyRouter });
export const buyerRouter = createTRPCRouter({ ...home(buyerProcedure, "BUYER"), ...buyerQueryRouter, ...buyerOrderRouter, ...buyerConsentRouter, figures: figures.buyer, privacyBudgets: budgets.buyer });
export const subjectRouter = createTRPCRouter({ ...home(subjectProcedure, "SUBJECT"), ...subjectConsentRouter });
export const supervisorRouter = createTRPCRouter({ ...home(supervisorProcedure, "SUPERVISOR"), ...supervisionRouter, privacyBudgets: budgets.supervisor });
