-- AlterTable
ALTER TABLE "EnvelopeDelivery" ADD COLUMN     "ledgerEntryId" UUID;

