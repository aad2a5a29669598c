-- Each graded submission's xAPI statement, frozen when it is first made: the exercise title and the
-- client's homePage it names may change later, and an LRS answers 409 to a changed statement with a
-- known id. Rows are written at grading time, or at the first export of a grade made before this table.

CREATE TABLE "xapi_statements" (
    "id" UUID NOT NULL,
    "client_id" UUID NOT NULL,
    "learner_id" TEXT NOT NULL,
    "statement" JSONB NOT NULL,
    "stored_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "xapi_statements_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "xapi_statements_client_id_stored_at_idx" ON "xapi_statements"("client_id", "stored_at");

ALTER TABLE "xapi_statements" ADD CONSTRAINT "xapi_statements_id_fkey" FOREIGN KEY ("id") REFERENCES "submissions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
