-- AlterTable
ALTER TABLE "Demand" ADD COLUMN     "closeNote" TEXT,
ADD COLUMN     "closedAt" TIMESTAMPTZ(3);

