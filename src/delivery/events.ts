import { randomUUID } from "node:crypto";
import { z } from "zod";
import { type Sql, statement } from "../db/sql.js";

const WEBHOOK_EVENTS = ["submission.graded", "exercise.passed", "lesson.completed"] as const;
export const WebhookEventSchema = z.enum(WEBHOOK_EVENTS);
type WebhookEvent = z.infer<typeof WebhookEventSchema>;

/** The JSON body of every delivery; `id` is the same for every endpoint, so receivers can deduplicate. */
const WebhookPayloadSchema = z
  .object({
    id: z.uuid(),
    type: WebhookEventSchema,
    createdAt: z.iso.datetime(),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "WebhookPayload" });
export type WebhookPayload = z.infer<typeof WebhookPayloadSchema>;

export function newWebhookPayload(type: WebhookEvent, data: Record<string, unknown>): WebhookPayload {
  return { id: randomUUID(), type, createdAt: new Date().toISOString(), data };
}

/**
 * The outbox rule as SQL: one delivery per endpoint of the client that subscribed to the event.
 * Every statement that enqueues embeds this one text (the grading write runs it as CTEs), so a
 * client without endpoints costs no statement of its own. Arguments are placeholders or literals.
 */
export function insertDeliveriesSql(on: {
  clientId: string;
  type: string;
  payload: string;
  /** An extra SQL condition, e.g. "only on a first pass". */
  when?: string;
}): string {
  return `INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event, payload)
      SELECT gen_random_uuid(), e.id, (${on.payload}::jsonb ->> 'id')::uuid, ${on.type}::text, ${on.payload}::jsonb
        FROM webhook_endpoints e
       WHERE e.client_id = ${on.clientId}::uuid AND ${on.type}::text = ANY(e.events)${on.when ? ` AND ${on.when}` : ""}
      RETURNING 1`;
}

const enqueueEvent = statement<[clientId: string, type: WebhookEvent, payload: string]>()(
  "enqueue-webhook-event",
  `WITH queued AS (${insertDeliveriesSql({ clientId: "$1", type: "$2", payload: "$3" })})
   SELECT count(*)::int AS enqueued FROM queued`,
  z.object({ enqueued: z.number() }),
);

/**
 * Writes the event into the outbox, one delivery per subscribed endpoint of the client, inside the
 * caller's transaction: the event is stored if and only if the change that caused it commits.
 * Answers how many deliveries were enqueued (0: no worker needs poking).
 */
export async function enqueueWebhookEvent(
  tx: Sql,
  clientId: string,
  type: WebhookEvent,
  data: Record<string, unknown>,
): Promise<number> {
  const [row] = await tx.rows(enqueueEvent, [clientId, type, JSON.stringify(newWebhookPayload(type, data))]);
  return row?.enqueued ?? 0;
}
