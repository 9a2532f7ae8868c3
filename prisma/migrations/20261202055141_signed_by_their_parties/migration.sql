-- AlterTable
ALTER TABLE "QueryJob" ADD COLUMN     "acceptedEntryId" UUID,
ADD COLUMN     "signature" TEXT,
ADD COLUMN     "signingKey" TEXT;

-- AlterTable
ALTER TABLE "ConsentRequest" DROP COLUMN "token",
ADD COLUMN     "signature" TEXT,
ADD COLUMN     "statement" JSONB;

-- CreateTable
CREATE TABLE "BuyerSigningKey" (
    "id" UUID NOT NULL,
    "buyerOrgId" UUID NOT NULL,
    "publicJwk" TEXT NOT NULL,
    "thumbprint" TEXT NOT NULL,
    "ledgerEntryId" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retiredAt" TIMESTAMPTZ(3),

    CONSTRAINT "BuyerSigningKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SubjectKeyBinding" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "nodeId" UUID NOT NULL,
    "thumbprint" TEXT NOT NULL,
    "publicJwk" TEXT NOT NULL,
    "bindingHash" TEXT NOT NULL,
    "ledgerEntryId" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SubjectKeyBinding_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "BuyerSigningKey_thumbprint_key" ON "BuyerSigningKey"("thumbprint");

-- CreateIndex
CREATE INDEX "BuyerSigningKey_buyerOrgId_retiredAt_idx" ON "BuyerSigningKey"("buyerOrgId", "retiredAt");

-- CreateIndex
CREATE UNIQUE INDEX "SubjectKeyBinding_userId_nodeId_thumbprint_key" ON "SubjectKeyBinding"("userId", "nodeId", "thumbprint");

