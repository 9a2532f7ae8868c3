-- Queries carry a lease like audits: a worker claims a job with a lease and a fresh claim id, renews the lease while it runs; a lapsed lease lets another worker take the job again.
-- AlterTable
ALTER TABLE "QueryJob" ADD COLUMN     "claimedBy" UUID,
ADD COLUMN     "leaseUntil" TIMESTAMPTZ(3);

