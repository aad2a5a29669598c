-- A learner belongs to a platform (issue 25, item 1). Until now the learner id of a launch was its
-- `sub` alone, so user 4242 of two platforms under one API client was one learner: they read the
-- submissions and progress of each other, and a grade could go to the gradebook of the other site.
-- From now on the id of a new user names their platform: lti-<key>-<sub>, where <key> is 12 hex
-- characters of the SHA-256 of "<issuer>\n<client_id>" (learnerIdOnPlatform in src/lti/launch.ts,
-- which this file follows). No semicolon in these comments: Prisma splits the script on each one.
--
-- Links whose learner id no other platform of the client shares are left as they are: those learners
-- keep their ids and all their work. Where platforms of one client share a learner id, the platform
-- registered first keeps it, with everything stored under it (whose attempt was whose cannot be told
-- apart), and the user of each other platform gets the id their next launch would give a new user,
-- as a new learner. The sessions of the shared id are revoked: a browser signed in as it may be the
-- user of the other site, and a new launch signs each one in as themselves. No row is deleted, and
-- the primary key (platform_id, sub) stays the one key of a link. Running it again changes nothing.
WITH "linked" AS (
  SELECT l."platform_id", l."sub", l."learner_id", p."client_id",
         'lti-' || substr(encode(sha256(convert_to(p."issuer" || E'\n' || p."platform_client_id", 'UTF8')), 'hex'), 1, 12) || '-'
           AS "prefix",
         row_number() OVER (PARTITION BY p."client_id", l."learner_id" ORDER BY p."created_at", p."id", l."sub") AS "claim"
    FROM "lti_learners" AS l
    JOIN "lti_platforms" AS p ON p."id" = l."platform_id"
), "moved" AS (
  SELECT "platform_id", "sub", "client_id", "learner_id" AS "shared_id",
         CASE WHEN "prefix" || "sub" ~ '^[A-Za-z0-9._:@-]+$' AND length("prefix" || "sub") <= 255
              THEN "prefix" || "sub"
              ELSE "prefix" || 'sha256:' || encode(sha256(convert_to("sub", 'UTF8')), 'hex')
         END AS "own_id"
    FROM "linked"
   WHERE "claim" > 1
), "relinked" AS (
  UPDATE "lti_learners" AS l SET "learner_id" = m."own_id"
    FROM "moved" AS m
   WHERE l."platform_id" = m."platform_id" AND l."sub" = m."sub"
), "created" AS (
  INSERT INTO "learners" ("client_id", "id")
  SELECT "client_id", "own_id" FROM "moved"
  ON CONFLICT DO NOTHING
)
UPDATE "learner_sessions" AS s SET "revoked_at" = now()
  FROM (SELECT DISTINCT "client_id", "shared_id" FROM "moved") AS m
 WHERE s."client_id" = m."client_id" AND s."learner_id" = m."shared_id" AND s."revoked_at" IS NULL;
