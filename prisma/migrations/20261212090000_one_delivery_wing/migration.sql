-- One delivery wing (issue 22): one attempt log for the three outboxes, one pruning rule, frozen
-- LTI scores, and the launches that say where a learner is.

-- One attempt log. Each attempt names the row of exactly one outbox and goes with it.
CREATE TABLE "delivery_attempts" (
    "id" UUID NOT NULL,
    "webhook_delivery_id" UUID,
    "lrs_delivery_id" UUID,
    "score_delivery_id" UUID,
    "number" INTEGER NOT NULL,
    "attempted_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "status_code" INTEGER,
    "error" TEXT,
    "duration_ms" INTEGER NOT NULL,
    CONSTRAINT "delivery_attempts_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "delivery_attempts_one_outbox_check"
      CHECK (num_nonnulls("webhook_delivery_id", "lrs_delivery_id", "score_delivery_id") = 1)
);
CREATE UNIQUE INDEX "delivery_attempts_webhook_delivery_id_number_key" ON "delivery_attempts"("webhook_delivery_id", "number");
CREATE UNIQUE INDEX "delivery_attempts_lrs_delivery_id_number_key" ON "delivery_attempts"("lrs_delivery_id", "number");
CREATE UNIQUE INDEX "delivery_attempts_score_delivery_id_number_key" ON "delivery_attempts"("score_delivery_id", "number");
ALTER TABLE "delivery_attempts" ADD CONSTRAINT "delivery_attempts_webhook_delivery_id_fkey" FOREIGN KEY ("webhook_delivery_id") REFERENCES "webhook_deliveries"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "delivery_attempts" ADD CONSTRAINT "delivery_attempts_lrs_delivery_id_fkey" FOREIGN KEY ("lrs_delivery_id") REFERENCES "lrs_deliveries"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "delivery_attempts" ADD CONSTRAINT "delivery_attempts_score_delivery_id_fkey" FOREIGN KEY ("score_delivery_id") REFERENCES "lti_score_deliveries"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Webhook attempts move as they are.
INSERT INTO "delivery_attempts" ("id", "webhook_delivery_id", "number", "attempted_at", "status_code", "error", "duration_ms")
SELECT "id", "delivery_id", "number", "attempted_at", "status_code", "error", "duration_ms" FROM "webhook_attempts";
DROP TABLE "webhook_attempts";

-- The LRS and LTI outboxes kept only their last attempt: it becomes their logs one entry. An LTI
-- error could quote the platform reply, so it is rewritten to the status alone.
INSERT INTO "delivery_attempts" ("id", "lrs_delivery_id", "number", "attempted_at", "status_code", "error", "duration_ms")
SELECT gen_random_uuid(), "id", "attempts", COALESCE("delivered_at", "next_attempt_at"), "last_status_code", "last_error", 0
  FROM "lrs_deliveries" WHERE "attempts" > 0;
INSERT INTO "delivery_attempts" ("id", "score_delivery_id", "number", "attempted_at", "status_code", "error", "duration_ms")
SELECT gen_random_uuid(), "id", "attempts", COALESCE("delivered_at", "next_attempt_at"), "last_status_code",
       CASE WHEN "last_error" IS NULL THEN NULL
            WHEN "last_status_code" IS NULL THEN 'could not be sent'
            ELSE 'HTTP ' || "last_status_code" END, 0
  FROM "lti_score_deliveries" WHERE "attempts" > 0;
ALTER TABLE "lrs_deliveries" DROP COLUMN "last_status_code", DROP COLUMN "last_error";
ALTER TABLE "lti_score_deliveries" DROP COLUMN "last_status_code", DROP COLUMN "last_error";

-- One pruning rule: a row settled (anything but pending) longer ago than the retention goes.
ALTER TABLE "webhook_deliveries" ADD COLUMN "settled_at" TIMESTAMP(3);
ALTER TABLE "lrs_deliveries" ADD COLUMN "settled_at" TIMESTAMP(3);
ALTER TABLE "lti_score_deliveries" ADD COLUMN "settled_at" TIMESTAMP(3);
UPDATE "webhook_deliveries" SET "settled_at" = COALESCE("delivered_at", CURRENT_TIMESTAMP) WHERE "status" <> 'pending';
UPDATE "lrs_deliveries" SET "settled_at" = COALESCE("delivered_at", CURRENT_TIMESTAMP) WHERE "status" <> 'pending';
UPDATE "lti_score_deliveries" SET "settled_at" = COALESCE("delivered_at", CURRENT_TIMESTAMP) WHERE "status" <> 'pending';
CREATE INDEX "webhook_deliveries_settled_at_idx" ON "webhook_deliveries"("settled_at") WHERE "status" <> 'pending';
CREATE INDEX "lrs_deliveries_settled_at_idx" ON "lrs_deliveries"("settled_at") WHERE "status" <> 'pending';
CREATE INDEX "lti_score_deliveries_settled_at_idx" ON "lti_score_deliveries"("settled_at") WHERE "status" <> 'pending';

-- A score is frozen when the grade is made: the AGS body, timestamp included, is what every retry
-- sends. Rows queued before were rendered at send time: they get the body their submission makes,
-- stamped with its grading time.
ALTER TABLE "lti_score_deliveries" ADD COLUMN "score" JSONB;
UPDATE "lti_score_deliveries" AS d
   SET "score" = jsonb_build_object(
         'userId', d."sub",
         'scoreGiven', s."score",
         'scoreMaximum', GREATEST(s."max_score", 1),
         'timestamp', to_char(s."graded_at", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
         'activityProgress', CASE WHEN s."passed" THEN 'Completed' ELSE 'Submitted' END,
         'gradingProgress', 'FullyGraded',
         'submission', jsonb_build_object('submittedAt', to_char(s."graded_at", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
  FROM "submissions" AS s
 WHERE s."id" = d."submission_id";
ALTER TABLE "lti_score_deliveries" ALTER COLUMN "score" SET NOT NULL;
CREATE INDEX "lti_score_deliveries_placement_id_sub_created_at_idx" ON "lti_score_deliveries"("placement_id", "sub", "created_at");

-- Where a learner is: a launch with the Learner role, from one resource link (and its course).
ALTER TABLE "lti_placements" ADD COLUMN "context_id" TEXT;
CREATE TABLE "lti_launches" (
    "placement_id" UUID NOT NULL,
    "sub" TEXT NOT NULL,
    "launched_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "lti_launches_pkey" PRIMARY KEY ("placement_id", "sub")
);
ALTER TABLE "lti_launches" ADD CONSTRAINT "lti_launches_placement_id_fkey" FOREIGN KEY ("placement_id") REFERENCES "lti_placements"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Origins a platform services (AGS line items) may live at besides its issuers and endpoints own.
ALTER TABLE "lti_platforms" ADD COLUMN "service_origins" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];
