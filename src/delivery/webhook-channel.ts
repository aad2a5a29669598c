import { z } from "zod";
import { failureReason, send, statusReason } from "./outbound.js";
import { ClaimedRowSchema } from "./outbox.js";
import { SIGNATURE_HEADER, signWebhook, standardWebhookHeaders } from "./signature.js";
import { signingSecret } from "./webhook-secrets.js";
import { channel, type Outcome } from "./worker.js";

const ClaimedWebhookSchema = ClaimedRowSchema.extend({
  /** The payload's id: one per event, the same across retries (Standard Webhooks' webhook-id). */
  eventId: z.string(),
  event: z.string(),
  payload: z.unknown(),
  url: z.string(),
  secret: z.string().nullable(),
  secretEncrypted: z.string().nullable(),
});

/** Webhooks: each delivery is one signed POST; any 2xx delivers it, anything else is retried. */
export const webhookChannel = channel({
  name: "webhooks",
  batch: 20,
  outbox: {
    table: "webhook_deliveries",
    attemptColumn: "webhook_delivery_id",
    with: { tables: "webhook_endpoints AS e", on: "e.id = d.endpoint_id" },
    returning: `d.id, d.attempts, d.event_id AS "eventId", d.event, d.payload, e.url, e.secret,
                e.secret_encrypted AS "secretEncrypted"`,
  },
  claimed: ClaimedWebhookSchema,
  async send(rows, context) {
    const sent = await Promise.all(
      rows.map(async (delivery): Promise<[string, Outcome]> => {
        const started = performance.now();
        const durationMs = () => Math.round(performance.now() - started);
        let secret: string;
        try {
          secret = signingSecret(delivery, context.secretsKey);
        } catch (cause) {
          // Our own words, about our own key: nothing from the remote end.
          const error = cause instanceof Error ? cause.message : "the secret cannot sign";
          return [delivery.id, { status: "retry", statusCode: null, error, durationMs: durationMs() }];
        }
        try {
          const body = JSON.stringify(delivery.payload);
          const timestamp = Math.floor(Date.now() / 1000);
          const response = await send(
            delivery.url,
            {
              method: "POST",
              headers: {
                "content-type": "application/json",
                "user-agent": "aprendiendo-docker-webhooks/1",
                "aprendiendo-event": delivery.event,
                "aprendiendo-delivery": delivery.id,
                [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body),
                ...standardWebhookHeaders(secret, delivery.eventId, timestamp, body),
              },
              body,
            },
            context.outbound,
          );
          const ok = response.status >= 200 && response.status <= 299;
          return [
            delivery.id,
            {
              status: ok ? "delivered" : "retry",
              statusCode: response.status,
              error: ok ? null : statusReason(response.status),
              durationMs: durationMs(),
            },
          ];
        } catch (cause) {
          context.log.warn({ delivery: delivery.id, url: delivery.url, err: cause }, "webhook not sent");
          return [
            delivery.id,
            { status: "retry", statusCode: null, error: failureReason(cause), durationMs: durationMs() },
          ];
        }
      }),
    );
    return new Map(sent);
  },
});
