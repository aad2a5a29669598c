-- Webhook secrets encrypted at rest under SECRETS_KEY. Existing rows keep their plaintext secret and
-- keep signing. The service encrypts them at start-up once a SECRETS_KEY is configured: SQL has no key.
-- (No semicolons in comments: Prisma's migration runner splits the script on them.)

ALTER TABLE "webhook_endpoints" ADD COLUMN "secret_encrypted" TEXT;
ALTER TABLE "webhook_endpoints" ALTER COLUMN "secret" DROP NOT NULL;

-- Exactly one form is stored, so a row can neither lose its secret nor keep a plaintext copy.
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_one_secret"
  CHECK (("secret" IS NULL) <> ("secret_encrypted" IS NULL));
