-- Audits are durable jobs: a worker claims one with a lease and renews it while it runs; a lapsed lease lets another worker resume it.
ALTER TABLE "Audit" ADD COLUMN     "attempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "leaseUntil" TIMESTAMPTZ(3);
