-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "ProductStatus" ADD VALUE 'SUBMITTED';
ALTER TYPE "ProductStatus" ADD VALUE 'REJECTED';

-- AlterTable
ALTER TABLE "DataProduct" ADD COLUMN     "licence" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "pricing" JSONB,
ADD COLUMN     "purposes" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "reviewNote" TEXT,
ADD COLUMN     "shares" JSONB;

-- CreateTable
CREATE TABLE "ProductEvent" (
    "id" UUID NOT NULL,
    "productId" UUID NOT NULL,
    "fromState" "ProductStatus" NOT NULL,
    "toState" "ProductStatus" NOT NULL,
    "actorId" UUID NOT NULL,
    "reason" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ProductEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ProductEvent_productId_createdAt_idx" ON "ProductEvent"("productId", "createdAt");

-- AddForeignKey
ALTER TABLE "ProductEvent" ADD CONSTRAINT "ProductEvent_productId_fkey" FOREIGN KEY ("productId") REFERENCES "DataProduct"("id") ON DELETE CASCADE ON UPDATE CASCADE;

