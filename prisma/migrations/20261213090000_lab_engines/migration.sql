-- A lab engine belongs to exactly one API client (issue 21, item 1). Until now a learner lab named
-- any URL LAB_ENGINE_ALLOWLIST allowed, so one client could point its learners at another client engine.

CREATE TABLE "lab_engines" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "client_id" UUID NOT NULL,
    "engine_url" TEXT NOT NULL,
    "origin" TEXT NOT NULL DEFAULT 'admin',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "lab_engines_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "lab_engines_origin" CHECK ("origin" IN ('admin', 'service'))
);
-- One engine, one client: the canonical address is unique across every client.
CREATE UNIQUE INDEX "lab_engines_engine_url_key" ON "lab_engines"("engine_url");
CREATE UNIQUE INDEX "lab_engines_id_client_id_key" ON "lab_engines"("id", "client_id");
CREATE INDEX "lab_engines_client_id_created_at_idx" ON "lab_engines"("client_id", "created_at");
ALTER TABLE "lab_engines" ADD CONSTRAINT "lab_engines_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "api_clients"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "lab_engine_migration_conflicts" (
    "client_id" UUID NOT NULL,
    "learner_id" TEXT NOT NULL,
    "engine_url" TEXT NOT NULL,
    "owner_client_id" UUID NOT NULL,
    "recorded_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "lab_engine_migration_conflicts_pkey" PRIMARY KEY ("client_id", "learner_id")
);

-- Each engine a lab names goes to the client that set it. Where several clients named one engine, the
-- one whose lab on it was set earliest keeps it (learner_labs keeps no creation time, and its oldest
-- updated_at is the best evidence left of who was there first, and an intruder came later). The labs
-- of the other clients on it are removed (their learners are graded as learners without a lab: on the shared
-- engine only with engine:shared) and listed in lab_engine_migration_conflicts, which every start-up
-- reports in its log.
INSERT INTO "lab_engines" ("client_id", "engine_url", "origin", "created_at")
SELECT DISTINCT ON ("engine_url") "client_id", "engine_url", 'admin', "updated_at"
  FROM "learner_labs"
 ORDER BY "engine_url", "updated_at", "client_id";

INSERT INTO "lab_engine_migration_conflicts" ("client_id", "learner_id", "engine_url", "owner_client_id")
SELECT l."client_id", l."learner_id", l."engine_url", e."client_id"
  FROM "learner_labs" l JOIN "lab_engines" e ON e."engine_url" = l."engine_url"
 WHERE e."client_id" <> l."client_id";

DELETE FROM "learner_labs" l USING "lab_engine_migration_conflicts" c
 WHERE l."client_id" = c."client_id" AND l."learner_id" = c."learner_id";

ALTER TABLE "learner_labs" ADD COLUMN "engine_id" UUID;
UPDATE "learner_labs" l SET "engine_id" = e."id" FROM "lab_engines" e WHERE e."engine_url" = l."engine_url";
ALTER TABLE "learner_labs" ALTER COLUMN "engine_id" SET NOT NULL;
ALTER TABLE "learner_labs" DROP COLUMN "engine_url";
CREATE INDEX "learner_labs_engine_id_idx" ON "learner_labs"("engine_id");
-- A lab is always an engine of the same client as its learner: held by the database, not only by the code.
ALTER TABLE "learner_labs" ADD CONSTRAINT "learner_labs_engine_id_client_id_fkey" FOREIGN KEY ("engine_id", "client_id") REFERENCES "lab_engines"("id", "client_id") ON DELETE CASCADE ON UPDATE CASCADE;
