import { z } from "zod";
import { seal } from "../crypto/secret-box.js";
import type { Storage } from "../db/storage.js";
import { DestinationRefused, NotFound } from "../errors/domain-errors.js";
import type { PageQuery } from "../schemas/page.js";
import { DeliveryAttemptSchema, lastAttemptOf, pageOfDeliveries } from "./attempt-log.js";
import { LRS_DELIVERY_STATUS_VALUES } from "./delivery-status.js";
import type { DestinationSettings } from "./destination-settings.js";
import { isRefusedAtRegistration } from "./outbound.js";

export const NewLrsSchema = z
  .strictObject({
    url: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .describe("The LRS's xAPI endpoint, e.g. https://lrs.example/data/xAPI: statements go to {url}/statements"),
    username: z.string().min(1).max(500).describe("HTTP Basic user (an LRS client key)"),
    password: z
      .string()
      .min(1)
      .max(500)
      .describe("HTTP Basic password (the client secret): stored encrypted, never shown"),
  })
  .meta({ id: "NewLrs" });

export const LrsSchema = z
  .object({ url: z.string(), username: z.string(), updatedAt: z.iso.datetime() })
  .meta({ id: "Lrs" });

export const LrsDeliverySchema = z
  .object({
    id: z.uuid(),
    statementId: z.uuid().describe("The statement's id: the submission's id"),
    status: z
      .enum(LRS_DELIVERY_STATUS_VALUES)
      .describe("already-stored: the LRS answered 409, it holds a statement with this id"),
    attempts: z.number().int(),
    lastStatusCode: z.number().int().nullable().describe("The newest attempt's statusCode"),
    lastError: z.string().nullable().describe("The newest attempt's error"),
    createdAt: z.iso.datetime(),
    deliveredAt: z.iso.datetime().nullable(),
    attemptLog: z.array(DeliveryAttemptSchema),
  })
  .meta({ id: "LrsDelivery" });

type LrsRow = { url: string; username: string; updatedAt: Date };
const toView = (row: LrsRow): z.infer<typeof LrsSchema> => ({
  url: row.url,
  username: row.username,
  updatedAt: row.updatedAt.toISOString(),
});

/**
 * Sets (or replaces) the client's LRS. Grades made from now on are pushed to it; earlier ones are
 * not, since the LRS can read them from GET /v1/xapi/statements.
 */
export async function putLrs(
  { prisma: db }: Storage,
  clientId: string,
  input: z.infer<typeof NewLrsSchema>,
  options: DestinationSettings,
) {
  if (!options.secretsKey) {
    throw new DestinationRefused(
      "body.password",
      "SECRETS_KEY is unset on this server, so it cannot store the password",
    );
  }
  if (isRefusedAtRegistration(input.url, options.allowPrivateUrls)) {
    throw new DestinationRefused("body.url", "must not point at localhost or a special-purpose address");
  }
  // An admin may set it for another client, which must exist and not be revoked.
  const client = await db.apiClient.findFirst({ where: { id: clientId, revokedAt: null }, select: { id: true } });
  if (!client) throw new NotFound(`No API client ${clientId}`);
  const stored = {
    url: input.url.replace(/\/+$/, ""),
    username: input.username,
    passwordEncrypted: seal(options.secretsKey, input.password),
  };
  const row = await db.lrsEndpoint.upsert({ where: { clientId }, create: { clientId, ...stored }, update: stored });
  return toView(row);
}

export async function getLrs({ prisma: db }: Storage, clientId: string) {
  const row = await db.lrsEndpoint.findUnique({ where: { clientId } });
  if (!row) throw new NotFound("This client has no LRS: PUT /v1/lrs sets one.");
  return toView(row);
}

/** Removes the LRS and its undelivered statements. */
export async function deleteLrs({ prisma: db }: Storage, clientId: string): Promise<void> {
  const { count } = await db.lrsEndpoint.deleteMany({ where: { clientId } });
  if (count === 0) throw new NotFound("This client has no LRS.");
}

export async function listLrsDeliveries({ prisma: db }: Storage, clientId: string, page: PageQuery) {
  return pageOfDeliveries(
    page,
    ({ where, ...args }) => db.lrsDelivery.findMany({ where: { clientId, ...where }, ...args }),
    (row) => ({
      statementId: row.statementId,
      status: LRS_DELIVERY_STATUS_VALUES[row.status],
      ...lastAttemptOf(row.attemptLog),
    }),
  );
}
