-- CreateEnum
CREATE TYPE "SharingClass" AS ENUM ('UNCONDITIONAL', 'CONDITIONAL', 'NOT_SHARED');

-- CreateEnum
CREATE TYPE "UpdateCycle" AS ENUM ('REALTIME', 'DAILY', 'WEEKLY', 'MONTHLY', 'QUARTERLY', 'YEARLY', 'ONCE');

-- CreateEnum
CREATE TYPE "ResourceStatus" AS ENUM ('ACTIVE', 'RETIRED');

-- CreateTable
CREATE TABLE "DataResource" (
    "id" UUID NOT NULL,
    "holderOrgId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "nameZh" TEXT,
    "description" TEXT NOT NULL DEFAULT '',
    "domain" TEXT NOT NULL,
    "fields" JSONB NOT NULL,
    "updateCycle" "UpdateCycle" NOT NULL,
    "sharing" "SharingClass" NOT NULL,
    "nodeId" UUID,
    "dataset" TEXT,
    "commitment" TEXT,
    "certificateNo" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "status" "ResourceStatus" NOT NULL DEFAULT 'ACTIVE',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "retiredAt" TIMESTAMPTZ(3),

    CONSTRAINT "DataResource_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ResourceVersion" (
    "resourceId" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "snapshot" JSONB NOT NULL,
    "changedById" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ResourceVersion_pkey" PRIMARY KEY ("resourceId","version")
);

-- CreateTable
CREATE TABLE "Reclassification" (
    "id" UUID NOT NULL,
    "resourceId" UUID NOT NULL,
    "fromClass" "SharingClass" NOT NULL,
    "toClass" "SharingClass" NOT NULL,
    "reason" TEXT NOT NULL,
    "startsAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "endsAt" TIMESTAMPTZ(3) NOT NULL,
    "endedAt" TIMESTAMPTZ(3),
    "createdById" UUID NOT NULL,

    CONSTRAINT "Reclassification_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "DataResource_certificateNo_key" ON "DataResource"("certificateNo");

-- CreateIndex
CREATE INDEX "DataResource_status_domain_idx" ON "DataResource"("status", "domain");

-- CreateIndex
CREATE UNIQUE INDEX "DataResource_holderOrgId_name_key" ON "DataResource"("holderOrgId", "name");

-- CreateIndex
CREATE INDEX "Reclassification_resourceId_endsAt_idx" ON "Reclassification"("resourceId", "endsAt");

-- AddForeignKey
ALTER TABLE "DataResource" ADD CONSTRAINT "DataResource_holderOrgId_fkey" FOREIGN KEY ("holderOrgId") REFERENCES "Organisation"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DataResource" ADD CONSTRAINT "DataResource_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "ComputationNode"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ResourceVersion" ADD CONSTRAINT "ResourceVersion_resourceId_fkey" FOREIGN KEY ("resourceId") REFERENCES "DataResource"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Reclassification" ADD CONSTRAINT "Reclassification_resourceId_fkey" FOREIGN KEY ("resourceId") REFERENCES "DataResource"("id") ON DELETE CASCADE ON UPDATE CASCADE;

