-- Status columns become enum types (issue 28): each column holds one closed set of values, and the
-- database now refuses any other, as the CHECK constraints on origin and grade_policy did for theirs.
-- Existing values keep their spelling ("already-stored" included), so the API answers the same strings.

CREATE TYPE "webhook_delivery_status" AS ENUM ('pending', 'delivered', 'failed');
CREATE TYPE "lrs_delivery_status" AS ENUM ('pending', 'delivered', 'already-stored', 'failed');
CREATE TYPE "lti_context_roster_status" AS ENUM ('read', 'partial', 'failed');
CREATE TYPE "lti_score_delivery_status" AS ENUM ('pending', 'delivered', 'superseded', 'failed');
CREATE TYPE "lab_engine_origin" AS ENUM ('admin', 'service');
CREATE TYPE "lti_grade_policy" AS ENUM ('best', 'latest');

-- These partial indexes compare status with a text literal ('pending'::text), which no longer applies
-- to an enum once the column's type changes: they are dropped here and made again below, unchanged.
DROP INDEX "webhook_deliveries_pending_next_attempt_at_idx";
DROP INDEX "webhook_deliveries_settled_at_idx";
DROP INDEX "lrs_deliveries_settled_at_idx";
DROP INDEX "lti_score_deliveries_settled_at_idx";

-- The enum types take over what these CHECK constraints held (and their text comparison would fail too).
ALTER TABLE "lab_engines" DROP CONSTRAINT "lab_engines_origin";
ALTER TABLE "lti_placements" DROP CONSTRAINT "lti_placements_grade_policy_check";

-- A text default cannot be cast with its column: each is dropped and set again as the enum's value.
ALTER TABLE "webhook_deliveries"
  ALTER COLUMN "status" DROP DEFAULT,
  ALTER COLUMN "status" TYPE "webhook_delivery_status" USING "status"::"webhook_delivery_status",
  ALTER COLUMN "status" SET DEFAULT 'pending';
ALTER TABLE "lrs_deliveries"
  ALTER COLUMN "status" DROP DEFAULT,
  ALTER COLUMN "status" TYPE "lrs_delivery_status" USING "status"::"lrs_delivery_status",
  ALTER COLUMN "status" SET DEFAULT 'pending';
ALTER TABLE "lti_context_rosters"
  ALTER COLUMN "status" TYPE "lti_context_roster_status" USING "status"::"lti_context_roster_status";
ALTER TABLE "lti_score_deliveries"
  ALTER COLUMN "status" DROP DEFAULT,
  ALTER COLUMN "status" TYPE "lti_score_delivery_status" USING "status"::"lti_score_delivery_status",
  ALTER COLUMN "status" SET DEFAULT 'pending';
ALTER TABLE "lab_engines"
  ALTER COLUMN "origin" DROP DEFAULT,
  ALTER COLUMN "origin" TYPE "lab_engine_origin" USING "origin"::"lab_engine_origin",
  ALTER COLUMN "origin" SET DEFAULT 'admin';
ALTER TABLE "lti_placements"
  ALTER COLUMN "grade_policy" DROP DEFAULT,
  ALTER COLUMN "grade_policy" TYPE "lti_grade_policy" USING "grade_policy"::"lti_grade_policy",
  ALTER COLUMN "grade_policy" SET DEFAULT 'best';

CREATE INDEX "webhook_deliveries_pending_next_attempt_at_idx" ON "webhook_deliveries"("next_attempt_at") WHERE "status" = 'pending';
CREATE INDEX "webhook_deliveries_settled_at_idx" ON "webhook_deliveries"("settled_at") WHERE "status" <> 'pending';
CREATE INDEX "lrs_deliveries_settled_at_idx" ON "lrs_deliveries"("settled_at") WHERE "status" <> 'pending';
CREATE INDEX "lti_score_deliveries_settled_at_idx" ON "lti_score_deliveries"("settled_at") WHERE "status" <> 'pending';
