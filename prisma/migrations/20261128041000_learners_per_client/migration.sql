-- Learners belong to the API client that created them: learner ids are the LMS's own, so two
-- LMSs can use the same id for different people. Generated with prisma migrate diff, then edited
-- so that rows from before API clients existed are kept: they go to one client that has no key.

-- DropForeignKey
ALTER TABLE "submissions" DROP CONSTRAINT "submissions_learner_id_fkey";

-- DropForeignKey
ALTER TABLE "exercise_progress" DROP CONSTRAINT "exercise_progress_learner_id_fkey";

-- DropIndex
DROP INDEX "submissions_learner_id_exercise_id_graded_at_idx";

-- New columns, nullable until the backfill below
ALTER TABLE "learners" ADD COLUMN "client_id" UUID;
ALTER TABLE "submissions" ADD COLUMN "client_id" UUID;
ALTER TABLE "exercise_progress" ADD COLUMN "client_id" UUID;

-- Backfill: existing learners go to one revoked client whose key hash matches no key.
-- (Plain statements: Prisma's migration runner splits on semicolons, so no DO block.)
INSERT INTO "api_clients" ("id", "name", "key_hash", "scopes", "revoked_at")
SELECT '00000000-0000-4000-8000-000000000001', 'Learners recorded before API clients', 'none:pre-tenancy', '{}', CURRENT_TIMESTAMP
WHERE EXISTS (SELECT 1 FROM "learners");
UPDATE "learners" SET "client_id" = '00000000-0000-4000-8000-000000000001';
UPDATE "submissions" SET "client_id" = '00000000-0000-4000-8000-000000000001';
UPDATE "exercise_progress" SET "client_id" = '00000000-0000-4000-8000-000000000001';

ALTER TABLE "learners" ALTER COLUMN "client_id" SET NOT NULL;
ALTER TABLE "submissions" ALTER COLUMN "client_id" SET NOT NULL;
ALTER TABLE "exercise_progress" ALTER COLUMN "client_id" SET NOT NULL;

-- AlterTable
ALTER TABLE "learners" DROP CONSTRAINT "learners_pkey",
ADD CONSTRAINT "learners_pkey" PRIMARY KEY ("client_id", "id");

-- AlterTable
ALTER TABLE "exercise_progress" DROP CONSTRAINT "exercise_progress_pkey",
ADD CONSTRAINT "exercise_progress_pkey" PRIMARY KEY ("client_id", "learner_id", "exercise_id");

-- CreateIndex
CREATE INDEX "submissions_client_id_learner_id_exercise_id_graded_at_idx" ON "submissions"("client_id", "learner_id", "exercise_id", "graded_at");

-- AddForeignKey
ALTER TABLE "learners" ADD CONSTRAINT "learners_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "api_clients"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "submissions" ADD CONSTRAINT "submissions_client_id_learner_id_fkey" FOREIGN KEY ("client_id", "learner_id") REFERENCES "learners"("client_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "exercise_progress" ADD CONSTRAINT "exercise_progress_client_id_learner_id_fkey" FOREIGN KEY ("client_id", "learner_id") REFERENCES "learners"("client_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "learner_labs" ADD CONSTRAINT "learner_labs_client_id_learner_id_fkey" FOREIGN KEY ("client_id", "learner_id") REFERENCES "learners"("client_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "lesson_completions" ADD CONSTRAINT "lesson_completions_client_id_learner_id_fkey" FOREIGN KEY ("client_id", "learner_id") REFERENCES "learners"("client_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;
