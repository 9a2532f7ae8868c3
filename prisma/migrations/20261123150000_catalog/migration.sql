-- CreateEnum
CREATE TYPE "CatalogKind" AS ENUM ('RESOURCE', 'PRODUCT');

-- CreateTable
CREATE TABLE "CatalogEntry" (
    "id" UUID NOT NULL,
    "kind" "CatalogKind" NOT NULL,
    "refId" UUID NOT NULL,
    "ownerOrgId" UUID NOT NULL,
    "title" TEXT NOT NULL,
    "titleZh" TEXT,
    "summary" TEXT NOT NULL DEFAULT '',
    "domain" TEXT NOT NULL,
    "sharing" "SharingClass",
    "updateCycle" "UpdateCycle",
    "priceMinor" BIGINT,
    "usedCount" INTEGER NOT NULL DEFAULT 0,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "search" tsvector,

    CONSTRAINT "CatalogEntry_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "CatalogEntry_search_idx" ON "CatalogEntry" USING GIN ("search");

-- CreateIndex
CREATE INDEX "CatalogEntry_active_kind_domain_idx" ON "CatalogEntry"("active", "kind", "domain");

-- CreateIndex
CREATE UNIQUE INDEX "CatalogEntry_kind_refId_key" ON "CatalogEntry"("kind", "refId");

