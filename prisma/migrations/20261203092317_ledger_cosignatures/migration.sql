-- CreateTable
CREATE TABLE "LedgerCosignature" (
    "id" BIGSERIAL NOT NULL,
    "size" BIGINT NOT NULL,
    "root" TEXT NOT NULL,
    "witness" TEXT NOT NULL,
    "vkey" TEXT NOT NULL,
    "line" TEXT NOT NULL,
    "signedAt" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LedgerCosignature_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "LedgerCosignature_size_idx" ON "LedgerCosignature"("size");

-- CreateIndex
CREATE UNIQUE INDEX "LedgerCosignature_witness_size_key" ON "LedgerCosignature"("witness", "size");

