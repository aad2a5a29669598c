-- xAPI to a Learning Record Store: one LRS per API client, and an outbox of statements to push to it.
-- The password is stored only AES-256-GCM sealed under SECRETS_KEY (the service refuses an LRS without one).

CREATE TABLE "lrs_endpoints" (
    "client_id" UUID NOT NULL,
    "url" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "password_encrypted" TEXT NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "lrs_endpoints_pkey" PRIMARY KEY ("client_id")
);

ALTER TABLE "lrs_endpoints" ADD CONSTRAINT "lrs_endpoints_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "api_clients"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- status: pending, delivered, already-stored (the LRS answered 409: it holds that id), failed.
CREATE TABLE "lrs_deliveries" (
    "id" UUID NOT NULL,
    "client_id" UUID NOT NULL,
    "statement_id" UUID NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_status_code" INTEGER,
    "last_error" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMP(3),

    CONSTRAINT "lrs_deliveries_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "lrs_deliveries_status_next_attempt_at_idx" ON "lrs_deliveries"("status", "next_attempt_at");
CREATE INDEX "lrs_deliveries_client_id_created_at_idx" ON "lrs_deliveries"("client_id", "created_at");

ALTER TABLE "lrs_deliveries" ADD CONSTRAINT "lrs_deliveries_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "lrs_endpoints"("client_id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "lrs_deliveries" ADD CONSTRAINT "lrs_deliveries_statement_id_fkey" FOREIGN KEY ("statement_id") REFERENCES "xapi_statements"("id") ON DELETE CASCADE ON UPDATE CASCADE;
