import type { FastifyBaseLogger } from "fastify";
import { open, seal } from "../crypto/secret-box.js";
import type { Storage } from "../db/storage.js";

type StoredSecret = { secret: string | null; secretEncrypted: string | null };

/**
 * A webhook secret signs every delivery, so the service must read it back (unlike API keys, which
 * are only hashed). With SECRETS_KEY it is stored sealed; without one it is stored as it is, and
 * start-up says so (see sealPlaintextWebhookSecrets).
 */
export function storedSecret(secret: string, key: Buffer | undefined): StoredSecret {
  return key ? { secret: null, secretEncrypted: seal(key, secret) } : { secret, secretEncrypted: null };
}

export function signingSecret(stored: StoredSecret, key: Buffer | undefined): string {
  if (stored.secret !== null) return stored.secret;
  if (!key || stored.secretEncrypted === null)
    throw new Error("this webhook's secret is encrypted and SECRETS_KEY is unset");
  try {
    return open(key, stored.secretEncrypted);
  } catch {
    throw new Error("this webhook's secret does not open with the configured SECRETS_KEY");
  }
}

/**
 * Run at start-up by every replica. With a key, every plaintext secret left from before (or written
 * while no key was set) is sealed; the `secret IS NOT NULL` guard makes replicas that start together
 * harmless to each other. Without a key, plaintext is the stored form and is logged as such, and
 * secrets that some replica sealed cannot sign here: the service refuses to start rather than fail
 * those deliveries one by one.
 */
export async function sealPlaintextWebhookSecrets(
  { prisma: db }: Storage,
  key: Buffer | undefined,
  log: FastifyBaseLogger,
): Promise<void> {
  if (!key) {
    const sealed = await db.webhookEndpoint.count({ where: { secret: null } });
    if (sealed > 0) {
      throw new Error(
        `${sealed} webhook secrets are encrypted, but SECRETS_KEY is unset: set the key they were sealed with`,
      );
    }
    log.warn("SECRETS_KEY is unset: webhook secrets are stored in plaintext (set it to encrypt them at rest)");
    return;
  }
  const plaintext = await db.webhookEndpoint.findMany({
    where: { secret: { not: null } },
    select: { id: true, secret: true },
  });
  for (const { id, secret } of plaintext) {
    if (secret !== null) {
      await db.webhookEndpoint.updateMany({ where: { id, secret: { not: null } }, data: storedSecret(secret, key) });
    }
  }
  if (plaintext.length > 0) log.info({ count: plaintext.length }, "encrypted webhook secrets stored in plaintext");
}
