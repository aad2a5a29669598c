-- A course's roster from the platform (issue 25, item 4, LTI Names and Role Provisioning Services):
-- read at a teacher's launch, so the class lists learners who never launched. One row per course says
-- when it was last read and how that went, and the members are the learners it listed then.
CREATE TABLE "lti_context_rosters" (
    "platform_id" UUID NOT NULL,
    "context_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "reason" TEXT,
    "read_at" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "lti_context_rosters_pkey" PRIMARY KEY ("platform_id","context_id")
);
ALTER TABLE "lti_context_rosters" ADD CONSTRAINT "lti_context_rosters_platform_id_fkey" FOREIGN KEY ("platform_id") REFERENCES "lti_platforms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "lti_context_members" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "platform_id" UUID NOT NULL,
    "context_id" TEXT NOT NULL,
    "sub" TEXT NOT NULL,
    "name" TEXT,
    "listed_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "lti_context_members_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "lti_context_members_platform_id_context_id_sub_key" ON "lti_context_members"("platform_id", "context_id", "sub");
ALTER TABLE "lti_context_members" ADD CONSTRAINT "lti_context_members_platform_id_fkey" FOREIGN KEY ("platform_id") REFERENCES "lti_platforms"("id") ON DELETE CASCADE ON UPDATE CASCADE;
