-- AlterTable
ALTER TABLE "QueryJob" ADD COLUMN     "computeStartedAt" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "EpsilonCharge" (
    "id" UUID NOT NULL,
    "buyerOrgId" UUID NOT NULL,
    "nodeId" UUID NOT NULL,
    "dataset" TEXT NOT NULL,
    "queryId" UUID NOT NULL,
    "epsilon" DOUBLE PRECISION NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EpsilonCharge_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "EpsilonCharge_buyerOrgId_nodeId_dataset_createdAt_idx" ON "EpsilonCharge"("buyerOrgId", "nodeId", "dataset", "createdAt");

-- CreateIndex
CREATE INDEX "EpsilonCharge_nodeId_dataset_createdAt_idx" ON "EpsilonCharge"("nodeId", "dataset", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "EpsilonCharge_queryId_nodeId_key" ON "EpsilonCharge"("queryId", "nodeId");

