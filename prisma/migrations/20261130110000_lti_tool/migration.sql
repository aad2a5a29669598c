-- LTI 1.3: the tool's own signing keys, the platforms registered per API client, the OIDC login
-- states and the nonces already used, the placements of exercises in courses, and who each launching
-- user (the platform's sub) is as a learner.

CREATE TABLE "lti_tool_keys" (
    "kid" TEXT NOT NULL,
    "public_jwk" JSONB NOT NULL,
    "private_jwk_encrypted" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "lti_tool_keys_pkey" PRIMARY KEY ("kid")
);

CREATE TABLE "lti_platforms" (
    "id" UUID NOT NULL,
    "client_id" UUID NOT NULL,
    "issuer" TEXT NOT NULL,
    "platform_client_id" TEXT NOT NULL,
    "deployment_ids" TEXT[],
    "auth_url" TEXT NOT NULL,
    "token_url" TEXT NOT NULL,
    "jwks_url" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "lti_platforms_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "lti_platforms_issuer_platform_client_id_key" ON "lti_platforms"("issuer", "platform_client_id");
CREATE INDEX "lti_platforms_client_id_created_at_idx" ON "lti_platforms"("client_id", "created_at");
ALTER TABLE "lti_platforms" ADD CONSTRAINT "lti_platforms_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "api_clients"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "lti_login_states" (
    "state" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "platform_id" UUID NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "lti_login_states_pkey" PRIMARY KEY ("state")
);
ALTER TABLE "lti_login_states" ADD CONSTRAINT "lti_login_states_platform_id_fkey" FOREIGN KEY ("platform_id") REFERENCES "lti_platforms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "lti_used_nonces" (
    "platform_id" UUID NOT NULL,
    "nonce" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "lti_used_nonces_pkey" PRIMARY KEY ("platform_id", "nonce")
);
ALTER TABLE "lti_used_nonces" ADD CONSTRAINT "lti_used_nonces_platform_id_fkey" FOREIGN KEY ("platform_id") REFERENCES "lti_platforms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "lti_learners" (
    "platform_id" UUID NOT NULL,
    "sub" TEXT NOT NULL,
    "learner_id" TEXT NOT NULL,
    CONSTRAINT "lti_learners_pkey" PRIMARY KEY ("platform_id", "sub")
);
ALTER TABLE "lti_learners" ADD CONSTRAINT "lti_learners_platform_id_fkey" FOREIGN KEY ("platform_id") REFERENCES "lti_platforms"("id") ON DELETE CASCADE ON UPDATE CASCADE;
