import type { Database } from "../db/prisma.js";
import type { Storage } from "../db/storage.js";
import { open, seal } from "./secret-box.js";

/** What the canary holds; only whether it opens to this with the configured key matters. */
const CANARY_TEXT = "aprendiendo-docker SECRETS_KEY canary";

const SECRETS_KEY_MISMATCH =
  "SECRETS_KEY does not match the one that sealed this database's secrets: start with that key";

/**
 * Run at start-up by every replica, before anything is sealed or opened. The first start with a key
 * seals the canary with it; every later start must open it, or it stops with SECRETS_KEY_MISMATCH
 * rather than fail each TLS lab, deep link, LRS push and webhook it cannot open, later, as a 500.
 * A database from before the canary holds no canary but may hold sealed secrets: the oldest of each
 * kind must open with the key before the canary is sealed. Without a key there is nothing to check
 * (webhook-secrets.ts refuses to start without one when encrypted webhook secrets exist).
 */
export async function checkSecretsKey({ prisma: db }: Storage, key: Buffer | undefined): Promise<void> {
  if (!key) return;
  const canary = await db.secretsKeyCanary.findUnique({ where: { id: 1 } });
  if (canary) {
    if (!opensTo(key, canary.sealed, CANARY_TEXT)) throw new Error(SECRETS_KEY_MISMATCH);
    return;
  }
  for (const sealed of await oldestSealedSecrets(db)) {
    if (!opensTo(key, sealed)) throw new Error(SECRETS_KEY_MISMATCH);
  }
  await db.secretsKeyCanary.createMany({ data: [{ id: 1, sealed: seal(key, CANARY_TEXT) }], skipDuplicates: true });
  // Replicas that start together race to seal it: whichever won, this key must open it.
  const stored = await db.secretsKeyCanary.findUniqueOrThrow({ where: { id: 1 } });
  if (!opensTo(key, stored.sealed, CANARY_TEXT)) throw new Error(SECRETS_KEY_MISMATCH);
}

/** Whether `sealed` opens with `key` (AES-GCM refuses a wrong key), and to `expected` if given. */
function opensTo(key: Buffer, sealed: string, expected?: string): boolean {
  try {
    const text = open(key, sealed);
    return expected === undefined || text === expected;
  } catch {
    return false;
  }
}

/** The oldest sealed value of each kind: sealed with the key the database's secrets were first sealed with. */
async function oldestSealedSecrets(db: Database): Promise<string[]> {
  const [webhook, lab, lrs, toolKey] = await Promise.all([
    db.webhookEndpoint.findFirst({
      where: { secretEncrypted: { not: null } },
      orderBy: { createdAt: "asc" },
      select: { secretEncrypted: true },
    }),
    db.learnerLab.findFirst({
      where: { tlsKeyEncrypted: { not: null } },
      orderBy: { updatedAt: "asc" },
      select: { tlsKeyEncrypted: true },
    }),
    db.lrsEndpoint.findFirst({ orderBy: { updatedAt: "asc" }, select: { passwordEncrypted: true } }),
    db.ltiToolKey.findFirst({ orderBy: { createdAt: "asc" }, select: { privateJwkEncrypted: true } }),
  ]);
  return [webhook?.secretEncrypted, lab?.tlsKeyEncrypted, lrs?.passwordEncrypted, toolKey?.privateJwkEncrypted].filter(
    (sealed): sealed is string => typeof sealed === "string",
  );
}
