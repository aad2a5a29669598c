-- What a learner session may do, fixed when it is minted: the scopes a session can use that its client
-- held then. Each use intersects them again with the client's scopes of the moment. Sessions minted
-- before this column get every scope a session can use, so from now on they hold what their client holds.
ALTER TABLE "learner_sessions"
  ADD COLUMN "scopes" TEXT[] NOT NULL DEFAULT ARRAY['content:read', 'submissions:write', 'progress:read', 'engine:shared']::TEXT[];
ALTER TABLE "learner_sessions" ALTER COLUMN "scopes" DROP DEFAULT;
