import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Prisma } from "../generated/prisma/client.js";

export const WEBHOOK_EVENTS = ["submission.graded", "exercise.passed", "lesson.completed"] as const;
export const WebhookEventSchema = z.enum(WEBHOOK_EVENTS);
export type WebhookEvent = z.infer<typeof WebhookEventSchema>;

/** The JSON body of every delivery; `id` is the same for every endpoint, so receivers can deduplicate. */
export const WebhookPayloadSchema = z
  .object({
    id: z.uuid(),
    type: WebhookEventSchema,
    createdAt: z.iso.datetime(),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "WebhookPayload" });
export type WebhookPayload = z.infer<typeof WebhookPayloadSchema>;

type Transaction = Prisma.TransactionClient;

/**
 * Writes the event into the outbox, one delivery per subscribed endpoint of the client, inside the
 * caller's transaction: the event is stored if and only if the change that caused it commits.
 */
export async function enqueueWebhookEvent(
  tx: Transaction,
  clientId: string,
  type: WebhookEvent,
  data: Record<string, unknown>,
): Promise<number> {
  const endpoints = await tx.webhookEndpoint.findMany({
    where: { clientId, events: { has: type } },
    select: { id: true },
  });
  if (endpoints.length === 0) return 0;
  const payload: WebhookPayload = { id: randomUUID(), type, createdAt: new Date().toISOString(), data };
  const { count } = await tx.webhookDelivery.createMany({
    data: endpoints.map((endpoint) => ({
      endpointId: endpoint.id,
      eventId: payload.id,
      event: type,
      payload: payload as unknown as Prisma.InputJsonValue,
    })),
  });
  return count;
}
