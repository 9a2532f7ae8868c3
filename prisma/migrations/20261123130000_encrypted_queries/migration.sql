-- CreateEnum
CREATE TYPE "ProductStatus" AS ENUM ('DRAFT', 'LISTED', 'PAUSED');

-- CreateEnum
CREATE TYPE "QueryStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED');

-- CreateTable
CREATE TABLE "ComputationNode" (
    "id" UUID NOT NULL,
    "organisationId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "signingKey" TEXT NOT NULL,
    "agreementKey" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMPTZ(3),

    CONSTRAINT "ComputationNode_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DataProduct" (
    "id" UUID NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nameZh" TEXT,
    "description" TEXT NOT NULL DEFAULT '',
    "developerOrgId" UUID NOT NULL,
    "status" "ProductStatus" NOT NULL DEFAULT 'DRAFT',
    "policy" JSONB NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DataProduct_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProductSource" (
    "productId" UUID NOT NULL,
    "nodeId" UUID NOT NULL,
    "dataset" TEXT NOT NULL,

    CONSTRAINT "ProductSource_pkey" PRIMARY KEY ("productId","nodeId","dataset")
);

-- CreateTable
CREATE TABLE "PrivacyBudget" (
    "productId" UUID NOT NULL,
    "buyerOrgId" UUID NOT NULL,
    "total" DOUBLE PRECISION NOT NULL,
    "spent" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "PrivacyBudget_pkey" PRIMARY KEY ("productId","buyerOrgId")
);

-- CreateTable
CREATE TABLE "QueryJob" (
    "id" UUID NOT NULL,
    "productId" UUID NOT NULL,
    "buyerOrgId" UUID NOT NULL,
    "requestedById" UUID NOT NULL,
    "idempotencyKey" TEXT,
    "query" JSONB NOT NULL,
    "plan" JSONB NOT NULL,
    "epsilon" DOUBLE PRECISION NOT NULL,
    "publicKey" TEXT NOT NULL,
    "status" "QueryStatus" NOT NULL DEFAULT 'QUEUED',
    "progress" INTEGER NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "result" JSONB,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),

    CONSTRAINT "QueryJob_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ComputationNode_organisationId_name_key" ON "ComputationNode"("organisationId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "ComputationNode_signingKey_key" ON "ComputationNode"("signingKey");

-- CreateIndex
CREATE UNIQUE INDEX "DataProduct_slug_key" ON "DataProduct"("slug");

-- CreateIndex
CREATE INDEX "QueryJob_status_createdAt_idx" ON "QueryJob"("status", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "QueryJob_buyerOrgId_idempotencyKey_key" ON "QueryJob"("buyerOrgId", "idempotencyKey");

-- AddForeignKey
ALTER TABLE "ComputationNode" ADD CONSTRAINT "ComputationNode_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DataProduct" ADD CONSTRAINT "DataProduct_developerOrgId_fkey" FOREIGN KEY ("developerOrgId") REFERENCES "Organisation"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProductSource" ADD CONSTRAINT "ProductSource_productId_fkey" FOREIGN KEY ("productId") REFERENCES "DataProduct"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProductSource" ADD CONSTRAINT "ProductSource_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "ComputationNode"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PrivacyBudget" ADD CONSTRAINT "PrivacyBudget_productId_fkey" FOREIGN KEY ("productId") REFERENCES "DataProduct"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PrivacyBudget" ADD CONSTRAINT "PrivacyBudget_buyerOrgId_fkey" FOREIGN KEY ("buyerOrgId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "QueryJob" ADD CONSTRAINT "QueryJob_productId_fkey" FOREIGN KEY ("productId") REFERENCES "DataProduct"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "QueryJob" ADD CONSTRAINT "QueryJob_buyerOrgId_fkey" FOREIGN KEY ("buyerOrgId") REFERENCES "Organisation"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

