-- A buyer's BFV public key (~0.5 MB) is stored once in "HeKey" instead of in every query row.
-- Existing queries keep theirs: each distinct key moves to "HeKey" under its SHA-256 (hex of the
-- base64 text, as the buyer signs it), and the row names it.

-- CreateTable
CREATE TABLE "HeKey" (
    "hash" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "HeKey_pkey" PRIMARY KEY ("hash")
);

INSERT INTO "HeKey" ("hash", "key")
SELECT DISTINCT encode(sha256(convert_to("publicKey", 'UTF8')), 'hex'), "publicKey" FROM "QueryJob"
ON CONFLICT DO NOTHING;

-- AlterTable
ALTER TABLE "QueryJob" ADD COLUMN "heKeyHash" TEXT;
UPDATE "QueryJob" SET "heKeyHash" = encode(sha256(convert_to("publicKey", 'UTF8')), 'hex');
ALTER TABLE "QueryJob" ALTER COLUMN "heKeyHash" SET NOT NULL;
ALTER TABLE "QueryJob" DROP COLUMN "publicKey";

-- AddForeignKey
ALTER TABLE "QueryJob" ADD CONSTRAINT "QueryJob_heKeyHash_fkey" FOREIGN KEY ("heKeyHash") REFERENCES "HeKey"("hash") ON DELETE RESTRICT ON UPDATE CASCADE;
