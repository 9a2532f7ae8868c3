-- CreateEnum
CREATE TYPE "SuspensionKind" AS ENUM ('BUYER', 'PRODUCT');

-- AlterTable
ALTER TABLE "ComputationNode" ADD COLUMN     "witnessedSize" BIGINT;

-- CreateTable
CREATE TABLE "LedgerQueue" (
    "seq" BIGSERIAL NOT NULL,
    "entryId" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "actorOrgId" UUID,
    "objectId" UUID,
    "body" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LedgerQueue_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "LedgerLeaf" (
    "index" BIGINT NOT NULL,
    "entryId" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "actorOrgId" UUID,
    "objectId" UUID,
    "body" TEXT NOT NULL,
    "leafHash" BYTEA NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    "sequencedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LedgerLeaf_pkey" PRIMARY KEY ("index")
);

-- CreateTable
CREATE TABLE "LedgerNode" (
    "level" INTEGER NOT NULL,
    "index" BIGINT NOT NULL,
    "hash" BYTEA NOT NULL,

    CONSTRAINT "LedgerNode_pkey" PRIMARY KEY ("level","index")
);

-- CreateTable
CREATE TABLE "LedgerCheckpoint" (
    "id" BIGSERIAL NOT NULL,
    "size" BIGINT NOT NULL,
    "root" BYTEA NOT NULL,
    "timestamp" TIMESTAMPTZ(3) NOT NULL,
    "signature" TEXT NOT NULL,
    "publicKey" TEXT NOT NULL,

    CONSTRAINT "LedgerCheckpoint_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Suspension" (
    "id" UUID NOT NULL,
    "kind" "SuspensionKind" NOT NULL,
    "targetId" UUID NOT NULL,
    "reason" TEXT NOT NULL,
    "createdById" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "liftedAt" TIMESTAMPTZ(3),
    "liftedById" UUID,
    "liftReason" TEXT,

    CONSTRAINT "Suspension_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "LedgerQueue_entryId_key" ON "LedgerQueue"("entryId");

-- CreateIndex
CREATE UNIQUE INDEX "LedgerLeaf_entryId_key" ON "LedgerLeaf"("entryId");

-- CreateIndex
CREATE INDEX "LedgerLeaf_type_index_idx" ON "LedgerLeaf"("type", "index");

-- CreateIndex
CREATE INDEX "LedgerLeaf_actorOrgId_index_idx" ON "LedgerLeaf"("actorOrgId", "index");

-- CreateIndex
CREATE INDEX "LedgerLeaf_objectId_index_idx" ON "LedgerLeaf"("objectId", "index");

-- CreateIndex
CREATE INDEX "LedgerCheckpoint_size_idx" ON "LedgerCheckpoint"("size");

-- CreateIndex
CREATE INDEX "Suspension_targetId_liftedAt_idx" ON "Suspension"("targetId", "liftedAt");

