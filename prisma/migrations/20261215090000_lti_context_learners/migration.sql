-- Who is in a course (issue 25, item 4): each user who launched from an LTI context with the Learner
-- role, and when first and last. The teacher's view lists a course's learners from here, so a learner
-- who only opened a lesson, or an exercise placed without a gradebook column, is in the class too.
-- The id orders a page of the class after its first launch (the keyset cursor of every list).
CREATE TABLE "lti_context_learners" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "platform_id" UUID NOT NULL,
    "context_id" TEXT NOT NULL,
    "sub" TEXT NOT NULL,
    "first_launched_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_launched_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "lti_context_learners_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "lti_context_learners_platform_id_context_id_sub_key" ON "lti_context_learners"("platform_id", "context_id", "sub");
CREATE INDEX "lti_context_learners_platform_id_context_id_first_launched_at_id_idx" ON "lti_context_learners"("platform_id", "context_id", "first_launched_at", "id");
ALTER TABLE "lti_context_learners" ADD CONSTRAINT "lti_context_learners_platform_id_fkey" FOREIGN KEY ("platform_id") REFERENCES "lti_platforms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Learners who launched a placed exercise before this table are in its course from their first launch.
INSERT INTO "lti_context_learners" ("platform_id", "context_id", "sub", "first_launched_at", "last_launched_at")
SELECT p."platform_id", p."context_id", l."sub", min(l."launched_at"), max(l."launched_at")
  FROM "lti_launches" AS l
  JOIN "lti_placements" AS p ON p."id" = l."placement_id"
 WHERE p."context_id" IS NOT NULL
 GROUP BY p."platform_id", p."context_id", l."sub"
ON CONFLICT DO NOTHING;
