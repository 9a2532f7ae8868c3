import { accountRouter } from "./routers/account";
import { catalogRouter } from "./routers/catalog";
import { demandRouter } from "./routers/demands";
import { adminRouter } from "./routers/admin";
import {
  buyerRouter, developerRouter, holderRouter, operatorRouter, subjectRouter, supervisorRouter,
} from "./routers/homes";
import { organisationRouter } from "./routers/organisation";
import { ledgerRouter } from "./routers/ledger";
import { moneyRouter } from "./routers/money";
import { auditRouter } from "./routers/audits";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  account: accountRouter,
  organisation: organisationRouter,
  catalog: catalogRouter,
  demand: demandRouter,
  admin: adminRouter,
  holder: holderRouter,
  developer: developerRouter,
  operator: operatorRouter,
  buyer: buyerRouter,
  subject: subjectRouter,
  supervisor: supervisorRouter,
  ledger: ledgerRouter,
  money: moneyRouter,
  audit: auditRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
