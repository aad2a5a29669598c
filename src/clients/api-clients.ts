import { z } from "zod";
import { keysetArgs, toPage } from "../db/keyset.js";
import { statement } from "../db/sql.js";
import type { Storage } from "../db/storage.js";
import { NotFound } from "../errors/domain-errors.js";
import type { PageQuery } from "../schemas/page.js";
import { generateApiKey, hashApiKey, isWellFormedApiKey } from "./api-key.js";
import { ScopeSchema } from "./scopes.js";

export const ApiClientSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    scopes: z.array(ScopeSchema),
    homePage: z.url().nullable().describe("xAPI actor account homePage for this client's learners; null: the server's"),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "ApiClient" });

export const NewApiClientSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    scopes: z.array(ScopeSchema).min(1).max(6),
    homePage: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe("The LMS's home page, used as the xAPI actor account homePage of this client's learners"),
  })
  .meta({ id: "NewApiClient" });

type ApiClientView = z.infer<typeof ApiClientSchema>;
type NewApiClient = z.infer<typeof NewApiClientSchema>;

/** The caller of a request, once its key has been checked: the row the key lookup reads. */
const AuthenticatedClientSchema = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
  homePage: z.string().nullable(),
});
export type AuthenticatedClient = z.infer<typeof AuthenticatedClientSchema>;

type ApiClientRow = { id: string; name: string; scopes: string[]; homePage: string | null; createdAt: Date };

function toView(row: ApiClientRow): ApiClientView {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes.flatMap((name) => {
      const scope = ScopeSchema.safeParse(name);
      return scope.success ? [scope.data] : [];
    }),
    homePage: row.homePage,
    createdAt: row.createdAt.toISOString(),
  };
}

/** Creates a client and returns its key: the only moment the plain key exists. */
export async function createApiClient(
  { prisma: db }: Pick<Storage, "prisma">,
  input: NewApiClient,
): Promise<{ client: ApiClientView; key: string }> {
  const key = generateApiKey();
  const row = await db.apiClient.create({
    data: {
      name: input.name,
      scopes: [...new Set(input.scopes)],
      homePage: input.homePage ?? null,
      keyHash: hashApiKey(key),
    },
  });
  return { client: toView(row), key };
}

/** Exported for the benchmark's EXPLAIN ANALYZE of the hot queries. */
export const findClientByKeyHash = statement<[keyHash: string]>()(
  "find-client-by-key-hash",
  `SELECT id, name, scopes, home_page AS "homePage" FROM api_clients WHERE key_hash = $1 AND revoked_at IS NULL`,
  AuthenticatedClientSchema,
);

/** Beyond this many distinct keys the oldest entry goes: a bound on memory, not a policy. */
const MAX_CACHED_KEYS = 10_000;

/**
 * The client a bearer token belongs to, or null for any unknown, revoked or malformed token.
 * Known keys are remembered for `ttlMs` by their hash, so most requests authenticate without a
 * statement. That is also the bound on revocation: a key revoked through another replica keeps
 * working here for at most `ttlMs` (CACHE_TTL_MS); `forget` makes a revocation on this replica
 * immediate. Unknown keys are never remembered, so the failed-auth budget still counts each guess.
 * Concurrent requests with one key share one lookup.
 */
export function createApiKeyCache({ sql }: Storage, ttlMs: number) {
  type Entry = { expiresAt: number; client: Promise<AuthenticatedClient | null>; clientId?: string };
  const entries = new Map<string, Entry>();
  const drop = (keyHash: string, entry: Entry) => {
    if (entries.get(keyHash) === entry) entries.delete(keyHash);
  };
  return {
    async authenticate(token: string): Promise<AuthenticatedClient | null> {
      if (!isWellFormedApiKey(token)) return null;
      const keyHash = hashApiKey(token);
      const now = performance.now();
      const cached = entries.get(keyHash);
      if (cached && cached.expiresAt > now) return cached.client;
      entries.delete(keyHash);
      if (entries.size >= MAX_CACHED_KEYS) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
      const entry: Entry = {
        expiresAt: now + ttlMs,
        client: sql.rows(findClientByKeyHash, [keyHash]).then(([row]) => row ?? null),
      };
      entries.set(keyHash, entry);
      const found = await entry.client.catch((error: unknown) => {
        drop(keyHash, entry);
        throw error;
      });
      if (found) entry.clientId = found.id;
      else drop(keyHash, entry);
      return found;
    },
    /** Revoked here: stop trusting this client's keys now (and lookups still in flight, to be safe). */
    forget(clientId: string): void {
      for (const [keyHash, entry] of entries) {
        if (entry.clientId === undefined || entry.clientId === clientId) entries.delete(keyHash);
      }
    },
  };
}
export type ApiKeyCache = ReturnType<typeof createApiKeyCache>;

export async function listApiClients({ prisma: db }: Storage, page: PageQuery) {
  const { where, ...order } = keysetArgs("createdAt", "asc", page);
  const rows = await db.apiClient.findMany({ where: { revokedAt: null, ...where }, ...order });
  return toPage(rows, page, (row) => row.createdAt, toView);
}

/**
 * Revokes a client: its key stops working at once on the replica that revokes it (which then calls
 * ApiKeyCache.forget) and within CACHE_TTL_MS on the others. The row
 * stays, so the learners, grades and webhooks it owns are kept for audit and reach no one else.
 */
export async function deleteApiClient({ prisma: db }: Storage, id: string): Promise<void> {
  const { count } = await db.apiClient.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
  if (count === 0) throw new NotFound(`No API client ${id}`);
}

/**
 * A new key for a client, which replaces its old one: the old key stops working at once here (the
 * caller forgets it from the ApiKeyCache) and within CACHE_TTL_MS on other replicas. It is also how
 * the key of a client made by LTI Dynamic Registration is first shown: that client is made in the LMS
 * admin's browser, where no key is ever shown.
 */
export async function replaceApiKey(
  { prisma: db }: Storage,
  id: string,
): Promise<{ client: ApiClientView; key: string }> {
  const key = generateApiKey();
  const { count } = await db.apiClient.updateMany({
    where: { id, revokedAt: null },
    data: { keyHash: hashApiKey(key) },
  });
  if (count === 0) throw new NotFound(`No API client ${id}`);
  return { client: toView(await db.apiClient.findUniqueOrThrow({ where: { id } })), key };
}
