import { z } from "zod";
import { keysetArgs, toPage } from "../db/keyset.js";
import type { Database } from "../db/prisma.js";
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

export type ApiClientView = z.infer<typeof ApiClientSchema>;
export type NewApiClient = z.infer<typeof NewApiClientSchema>;

/** The caller of a request, once its key has been checked. */
export interface AuthenticatedClient {
  id: string;
  name: string;
  scopes: string[];
  homePage: string | null;
}

type ApiClientRow = { id: string; name: string; scopes: string[]; homePage: string | null; createdAt: Date };

function toView(row: ApiClientRow): ApiClientView {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes.filter((scope) => ScopeSchema.safeParse(scope).success) as ApiClientView["scopes"],
    homePage: row.homePage,
    createdAt: row.createdAt.toISOString(),
  };
}

/** Creates a client and returns its key: the only moment the plain key exists. */
export async function createApiClient(
  db: Database,
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

/** The client a bearer token belongs to, or null for any unknown or malformed token. */
export async function findClientByKey(db: Database, token: string): Promise<AuthenticatedClient | null> {
  if (!isWellFormedApiKey(token)) return null;
  const client = await db.apiClient.findUnique({
    where: { keyHash: hashApiKey(token) },
    select: { id: true, name: true, scopes: true, homePage: true, revokedAt: true },
  });
  if (!client || client.revokedAt) return null;
  return { id: client.id, name: client.name, scopes: client.scopes, homePage: client.homePage };
}

export async function listApiClients(db: Database, page: PageQuery) {
  const { where, ...order } = keysetArgs("createdAt", "asc", page);
  const rows = await db.apiClient.findMany({ where: { revokedAt: null, ...where }, ...order });
  return toPage(rows, page, (row) => row.createdAt, toView);
}

/**
 * Revokes a client: its key stops working at once, on every replica (keys are not cached). The row
 * stays, so the learners, grades and webhooks it owns are kept for audit and reach no one else.
 */
export async function deleteApiClient(db: Database, id: string): Promise<void> {
  const { count } = await db.apiClient.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
  if (count === 0) throw new NotFound(`No API client ${id}`);
}
