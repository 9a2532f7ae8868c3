-- CreateEnum
CREATE TYPE "DemandStatus" AS ENUM ('OPEN', 'CLOSED');

-- CreateTable
CREATE TABLE "Demand" (
    "id" UUID NOT NULL,
    "buyerOrgId" UUID NOT NULL,
    "createdById" UUID NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "fields" TEXT[],
    "purpose" TEXT NOT NULL,
    "budgetMinor" BIGINT,
    "deadline" TIMESTAMPTZ(3) NOT NULL,
    "status" "DemandStatus" NOT NULL DEFAULT 'OPEN',
    "confirmedAt" TIMESTAMPTZ(3),
    "publishedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Demand_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DemandMatch" (
    "demandId" UUID NOT NULL,
    "kind" "CatalogKind" NOT NULL,
    "refId" UUID NOT NULL,
    "ownerOrgId" UUID NOT NULL,
    "rank" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "DemandMatch_pkey" PRIMARY KEY ("demandId","kind","refId")
);

-- CreateTable
CREATE TABLE "Offer" (
    "id" UUID NOT NULL,
    "demandId" UUID NOT NULL,
    "fromOrgId" UUID NOT NULL,
    "createdById" UUID NOT NULL,
    "productId" UUID,
    "resourceId" UUID,
    "message" TEXT NOT NULL,
    "priceMinor" BIGINT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Offer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Notification" (
    "id" UUID NOT NULL,
    "orgId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "subjectId" UUID NOT NULL,
    "message" TEXT NOT NULL,
    "readAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Notification_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Demand_status_createdAt_idx" ON "Demand"("status", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Offer_demandId_fromOrgId_key" ON "Offer"("demandId", "fromOrgId");

-- CreateIndex
CREATE INDEX "Notification_orgId_readAt_idx" ON "Notification"("orgId", "readAt");

-- AddForeignKey
ALTER TABLE "DemandMatch" ADD CONSTRAINT "DemandMatch_demandId_fkey" FOREIGN KEY ("demandId") REFERENCES "Demand"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Offer" ADD CONSTRAINT "Offer_demandId_fkey" FOREIGN KEY ("demandId") REFERENCES "Demand"("id") ON DELETE CASCADE ON UPDATE CASCADE;

