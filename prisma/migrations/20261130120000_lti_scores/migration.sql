-- LTI Assignment and Grade Services: where each placed exercise's scores go (its line item, learned
-- at launch), with its grade policy, and the outbox of scores to post there.

CREATE TABLE "lti_placements" (
    "id" UUID NOT NULL,
    "platform_id" UUID NOT NULL,
    "resource_link_id" TEXT NOT NULL,
    "exercise_id" TEXT NOT NULL,
    "lineitem_url" TEXT NOT NULL,
    "grade_policy" TEXT NOT NULL DEFAULT 'best',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "lti_placements_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "lti_placements_grade_policy_check" CHECK ("grade_policy" IN ('best', 'latest'))
);
CREATE UNIQUE INDEX "lti_placements_platform_id_resource_link_id_key" ON "lti_placements"("platform_id", "resource_link_id");
CREATE INDEX "lti_placements_platform_id_exercise_id_idx" ON "lti_placements"("platform_id", "exercise_id");
ALTER TABLE "lti_placements" ADD CONSTRAINT "lti_placements_platform_id_fkey" FOREIGN KEY ("platform_id") REFERENCES "lti_platforms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- status: pending, delivered, superseded (the platform holds a newer score: 409 or "older than"), failed.
CREATE TABLE "lti_score_deliveries" (
    "id" UUID NOT NULL,
    "placement_id" UUID NOT NULL,
    "sub" TEXT NOT NULL,
    "submission_id" UUID NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_status_code" INTEGER,
    "last_error" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMP(3),
    CONSTRAINT "lti_score_deliveries_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "lti_score_deliveries_status_next_attempt_at_idx" ON "lti_score_deliveries"("status", "next_attempt_at");
CREATE INDEX "lti_score_deliveries_placement_id_created_at_idx" ON "lti_score_deliveries"("placement_id", "created_at");
ALTER TABLE "lti_score_deliveries" ADD CONSTRAINT "lti_score_deliveries_placement_id_fkey" FOREIGN KEY ("placement_id") REFERENCES "lti_placements"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "lti_score_deliveries" ADD CONSTRAINT "lti_score_deliveries_submission_id_fkey" FOREIGN KEY ("submission_id") REFERENCES "submissions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
