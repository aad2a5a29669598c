-- SECRETS_KEY's canary: a known text sealed with the key the first time a replica starts with it, so a
-- replica started with another key stops at start-up. One row at most.
CREATE TABLE "secrets_key_canary" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "sealed" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "secrets_key_canary_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "secrets_key_canary_one_row" CHECK ("id" = 1)
);
