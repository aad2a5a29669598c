-- A learner's submission list, newest first and keyset-paged on (graded_at, id): without this index
-- every page read and sorted all of the learner's rows (issue 12). Both orders scan it.
CREATE INDEX "submissions_client_id_learner_id_graded_at_id_idx" ON "submissions"("client_id", "learner_id", "graded_at" DESC, "id" DESC);

-- The delivery worker claims pending rows that are due. Delivered and failed rows are most of the table
-- and never claimed again, so the index holds pending rows only (Prisma's schema cannot say this).
DROP INDEX "webhook_deliveries_status_next_attempt_at_idx";
CREATE INDEX "webhook_deliveries_pending_next_attempt_at_idx" ON "webhook_deliveries"("next_attempt_at") WHERE "status" = 'pending';
