/** `npm run seed`: migrate and create the demo world in the configured database. */
import { describeDb, openDatabase } from "../server/db/client";
import { printAccounts } from "./accounts-table";
import { DEMO_PASSWORD, seedDemoWorld } from "../server/seed/demo";

const db = await openDatabase();
try {
  console.log(`Seeding ${describeDb(db.config)} …`);
  printAccounts(await seedDemoWorld(db.prisma), DEMO_PASSWORD);
} finally {
  await db.close();
}
