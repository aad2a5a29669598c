-- Learner sessions: a browser's short-lived credential for one learner, minted by an API client.
-- Only the SHA-256 of the token is kept, as for API keys.
CREATE TABLE "learner_sessions" (
    "id" UUID NOT NULL,
    "client_id" UUID NOT NULL,
    "learner_id" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "revoked_at" TIMESTAMP(3),

    CONSTRAINT "learner_sessions_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "learner_sessions_token_hash_key" ON "learner_sessions"("token_hash");

ALTER TABLE "learner_sessions" ADD CONSTRAINT "learner_sessions_client_id_learner_id_fkey"
  FOREIGN KEY ("client_id", "learner_id") REFERENCES "learners"("client_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;
