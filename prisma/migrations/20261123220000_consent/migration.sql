-- CreateEnum
CREATE TYPE "ConsentStatus" AS ENUM ('PENDING', 'APPROVED', 'REFUSED', 'REVOKED', 'SPENT', 'EXPIRED');

-- CreateTable
CREATE TABLE "EnvelopeKey" (
    "id" UUID NOT NULL,
    "buyerOrgId" UUID NOT NULL,
    "publicJwk" TEXT NOT NULL,
    "thumbprint" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retiredAt" TIMESTAMPTZ(3),

    CONSTRAINT "EnvelopeKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ConsentRequest" (
    "id" UUID NOT NULL,
    "buyerOrgId" UUID NOT NULL,
    "requestedBy" UUID NOT NULL,
    "subjectRef" TEXT NOT NULL,
    "resourceId" UUID NOT NULL,
    "fields" TEXT[],
    "purpose" TEXT NOT NULL,
    "validUntil" TIMESTAMPTZ(3) NOT NULL,
    "uses" INTEGER NOT NULL DEFAULT 1,
    "status" "ConsentStatus" NOT NULL DEFAULT 'PENDING',
    "nullifier" TEXT,
    "usesLeft" INTEGER NOT NULL DEFAULT 0,
    "token" TEXT,
    "decidedAt" TIMESTAMPTZ(3),
    "refusal" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ConsentRequest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EnvelopeDelivery" (
    "id" UUID NOT NULL,
    "requestId" UUID NOT NULL,
    "envelopeHash" TEXT NOT NULL,
    "keyThumbprint" TEXT NOT NULL,
    "deliveredAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EnvelopeDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SubjectIdentity" (
    "userId" UUID NOT NULL,
    "subjectRef" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SubjectIdentity_pkey" PRIMARY KEY ("userId")
);

-- CreateIndex
CREATE UNIQUE INDEX "EnvelopeKey_thumbprint_key" ON "EnvelopeKey"("thumbprint");

-- CreateIndex
CREATE INDEX "EnvelopeKey_buyerOrgId_retiredAt_idx" ON "EnvelopeKey"("buyerOrgId", "retiredAt");

-- CreateIndex
CREATE UNIQUE INDEX "ConsentRequest_nullifier_key" ON "ConsentRequest"("nullifier");

-- CreateIndex
CREATE INDEX "ConsentRequest_subjectRef_status_idx" ON "ConsentRequest"("subjectRef", "status");

-- CreateIndex
CREATE INDEX "ConsentRequest_buyerOrgId_createdAt_idx" ON "ConsentRequest"("buyerOrgId", "createdAt");

-- CreateIndex
CREATE INDEX "EnvelopeDelivery_requestId_idx" ON "EnvelopeDelivery"("requestId");

-- CreateIndex
CREATE UNIQUE INDEX "SubjectIdentity_subjectRef_key" ON "SubjectIdentity"("subjectRef");

