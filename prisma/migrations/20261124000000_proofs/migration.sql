-- CreateEnum
CREATE TYPE "AuditStatus" AS ENUM ('RUNNING', 'PASSED', 'FAILED', 'NOT_PROVABLE');

-- AlterTable
ALTER TABLE "Contribution" ADD COLUMN     "chunks" INTEGER,
ADD COLUMN     "commitmentRoot" TEXT,
ADD COLUMN     "finalAcc" TEXT,
ADD COLUMN     "unprovable" TEXT;

-- CreateTable
CREATE TABLE "DatasetCommitment" (
    "id" UUID NOT NULL,
    "nodeId" UUID NOT NULL,
    "dataset" TEXT NOT NULL,
    "root" TEXT NOT NULL,
    "treeRoot" TEXT NOT NULL,
    "rows" INTEGER NOT NULL,
    "chunkRows" INTEGER NOT NULL,
    "schema" JSONB NOT NULL,
    "epoch" TEXT NOT NULL,
    "committedAt" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DatasetCommitment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Audit" (
    "id" UUID NOT NULL,
    "queryId" UUID NOT NULL,
    "nodeId" UUID NOT NULL,
    "requestedById" UUID NOT NULL,
    "requestedByOrgId" UUID NOT NULL,
    "sampleBps" INTEGER NOT NULL,
    "status" "AuditStatus" NOT NULL DEFAULT 'RUNNING',
    "reason" TEXT,
    "flagged" BOOLEAN NOT NULL DEFAULT false,
    "chunks" INTEGER,
    "sample" INTEGER[],
    "bundle" JSONB,
    "checks" JSONB,
    "provingMs" INTEGER,
    "idempotencyKey" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Audit_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "DatasetCommitment_nodeId_dataset_createdAt_idx" ON "DatasetCommitment"("nodeId", "dataset", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "DatasetCommitment_nodeId_dataset_root_key" ON "DatasetCommitment"("nodeId", "dataset", "root");

-- CreateIndex
CREATE INDEX "Audit_queryId_idx" ON "Audit"("queryId");

-- CreateIndex
CREATE INDEX "Audit_status_createdAt_idx" ON "Audit"("status", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Audit_requestedByOrgId_idempotencyKey_key" ON "Audit"("requestedByOrgId", "idempotencyKey");

