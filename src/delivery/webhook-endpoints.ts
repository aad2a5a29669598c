import { z } from "zod";
import { keysetArgs, toPage } from "../db/keyset.js";
import type { Database } from "../db/prisma.js";
import type { Storage } from "../db/storage.js";
import { NotFound, WebhookUrlRefused } from "../errors/domain-errors.js";
import { WebhookDeliveryStatus } from "../generated/prisma/enums.js";
import type { PageQuery } from "../schemas/page.js";
import { DeliveryAttemptSchema, pageOfDeliveries } from "./attempt-log.js";
import type { DestinationSettings } from "./destination-settings.js";
import { WebhookEventSchema } from "./events.js";
import { isRefusedAtRegistration } from "./outbound.js";
import { generateWebhookSecret } from "./signature.js";
import { storedSecret } from "./webhook-secrets.js";

export const NewWebhookSchema = z
  .strictObject({
    url: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .describe("Where events are POSTed"),
    events: z.array(WebhookEventSchema).min(1).max(3),
  })
  .meta({ id: "NewWebhook" });

export const WebhookSchema = z
  .object({
    id: z.uuid(),
    url: z.string(),
    events: z.array(WebhookEventSchema),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "Webhook" });

export const WebhookDeliverySchema = z
  .object({
    id: z.uuid(),
    eventId: z.uuid(),
    event: WebhookEventSchema,
    status: z.enum(WebhookDeliveryStatus),
    attempts: z.number().int(),
    nextAttemptAt: z.iso.datetime().nullable().describe("When the next try is due; null once delivered or failed"),
    createdAt: z.iso.datetime(),
    deliveredAt: z.iso.datetime().nullable(),
    payload: z.record(z.string(), z.unknown()),
    attemptLog: z.array(DeliveryAttemptSchema),
  })
  .meta({ id: "WebhookDelivery" });

type WebhookRow = { id: string; url: string; events: string[]; createdAt: Date };

function toView(row: WebhookRow): z.infer<typeof WebhookSchema> {
  return {
    id: row.id,
    url: row.url,
    // An event name this version no longer sends is left out rather than refused.
    events: row.events.flatMap((name) => {
      const event = WebhookEventSchema.safeParse(name);
      return event.success ? [event.data] : [];
    }),
    createdAt: row.createdAt.toISOString(),
  };
}

export async function createWebhook(
  { prisma: db }: Storage,
  clientId: string,
  input: z.infer<typeof NewWebhookSchema>,
  options: DestinationSettings,
) {
  if (isRefusedAtRegistration(input.url, options.allowPrivateUrls)) {
    throw new WebhookUrlRefused(
      "must not point at localhost or a special-purpose address (loopback, private, link-local…)",
    );
  }
  const secret = generateWebhookSecret();
  const row = await db.webhookEndpoint.create({
    data: {
      clientId,
      url: input.url,
      events: [...new Set(input.events)],
      ...storedSecret(secret, options.secretsKey),
    },
  });
  return { ...toView(row), secret };
}

export async function listWebhooks({ prisma: db }: Storage, clientId: string, page: PageQuery) {
  const { where, ...order } = keysetArgs("createdAt", "asc", page);
  const rows = await db.webhookEndpoint.findMany({ where: { clientId, ...where }, ...order });
  return toPage(rows, page, (row) => row.createdAt, toView);
}

/** Another client's webhook is answered exactly like a missing one. */
async function ownedWebhook(db: Database, clientId: string, id: string) {
  const row = await db.webhookEndpoint.findFirst({ where: { id, clientId } });
  if (!row) throw new NotFound(`There is no webhook ${id}.`);
  return row;
}

export async function deleteWebhook({ prisma: db }: Storage, clientId: string, id: string): Promise<void> {
  await ownedWebhook(db, clientId, id);
  await db.webhookEndpoint.delete({ where: { id } });
}

/** Newest first, each with every attempt made so far. */
export async function listDeliveries({ prisma: db }: Storage, clientId: string, webhookId: string, page: PageQuery) {
  await ownedWebhook(db, clientId, webhookId);
  return pageOfDeliveries(
    page,
    ({ where, ...args }) => db.webhookDelivery.findMany({ where: { endpointId: webhookId, ...where }, ...args }),
    (row) => ({
      eventId: row.eventId,
      event: WebhookEventSchema.parse(row.event),
      status: row.status,
      nextAttemptAt: row.status === "pending" ? row.nextAttemptAt.toISOString() : null,
      payload: WebhookDeliverySchema.shape.payload.parse(row.payload),
    }),
  );
}
