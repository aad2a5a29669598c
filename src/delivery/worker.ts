import type { FastifyBaseLogger } from "fastify";
import { claimDue, type Outbox } from "../db/outbox.js";
import type { Database } from "../db/prisma.js";
import { type ResolveHost, resolveDestination, systemResolver } from "./destination.js";
import { postToPinnedAddress } from "./pinned-post.js";
import { SIGNATURE_HEADER, signWebhook, standardWebhookHeaders } from "./signature.js";
import { signingSecret } from "./webhook-secrets.js";

export interface DeliverySettings {
  maxAttempts: number;
  /** Delay before the second attempt; each further retry doubles it (with ±20 % jitter), capped at a day. */
  retryBaseMs: number;
  pollIntervalMs: number;
  /** Off: deliveries to hosts that resolve to special-purpose addresses (loopback, private…) are refused. */
  allowPrivateUrls?: boolean;
  /** Opens webhook secrets stored encrypted; absent, only plaintext ones can sign. */
  secretsKey?: Buffer;
  resolveHost?: ResolveHost;
  /**
   * Time a claimed delivery stays invisible to other workers while this one sends it: how long the
   * claims of a replica that died mid-send wait before another replica retries them.
   */
  leaseMs: number;
  requestTimeoutMs?: number;
}

const MAX_DELAY_MS = 24 * 3600_000;

/**
 * What the tenant reads when a destination is refused. It names no address and no cause, and nothing
 * was sent, so no status exists: the attempt log cannot be used to map the network behind us.
 */
export const REFUSED = "refused: the host has no public address";
const BATCH = 20;

interface ClaimedDelivery {
  id: string;
  /** The payload's id: one per event, the same across retries (Standard Webhooks' webhook-id). */
  eventId: string;
  event: string;
  payload: unknown;
  attempts: number;
  url: string;
  secret: string | null;
  secretEncrypted: string | null;
}

/**
 * Where an outbox row goes after one attempt: sent, with the status it was sent with; given up once
 * it has had maxAttempts; or due again after the backoff. `data` is the row's update.
 */
export function afterAttempt<Status extends string>(
  sentAs: Status | null,
  attempts: number,
  settings: Pick<DeliverySettings, "maxAttempts" | "retryBaseMs">,
  now: Date,
) {
  if (sentAs !== null) return { data: { status: sentAs, deliveredAt: now }, exhausted: false };
  if (attempts >= settings.maxAttempts) return { data: { status: "failed" as const }, exhausted: true };
  const nextAttemptAt = new Date(now.getTime() + retryDelayMs(attempts, settings.retryBaseMs));
  return { data: { nextAttemptAt }, exhausted: false };
}

/** Exponential backoff after `attempt` failed attempts. */
function retryDelayMs(attempt: number, baseMs: number, random = Math.random): number {
  const delay = Math.min(MAX_DELAY_MS, baseMs * 2 ** (attempt - 1));
  return Math.round(delay * (0.8 + 0.4 * random()));
}

const WEBHOOK_OUTBOX: Outbox = {
  table: "webhook_deliveries",
  with: { tables: "webhook_endpoints AS e", on: "e.id = d.endpoint_id" },
  returning: `d.id, d.event_id AS "eventId", d.event, d.payload, d.attempts, e.url, e.secret,
              e.secret_encrypted AS "secretEncrypted"`,
};

/** Claims due deliveries for this worker (see claimDue: SKIP LOCKED, then a lease). */
export function claimDueDeliveries(db: Database, leaseMs: number, limit = BATCH): Promise<ClaimedDelivery[]> {
  return claimDue<ClaimedDelivery>(db, WEBHOOK_OUTBOX, leaseMs, limit);
}

/** Sends one claimed delivery and records the attempt and the outcome. */
export async function sendDelivery(
  db: Database,
  delivery: ClaimedDelivery,
  settings: DeliverySettings,
  log: FastifyBaseLogger,
): Promise<boolean> {
  const body = JSON.stringify(delivery.payload);
  const started = performance.now();
  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    const secret = signingSecret(delivery, settings.secretsKey);
    const allowPrivate = settings.allowPrivateUrls ?? false;
    const destination = await resolveDestination(
      delivery.url,
      allowPrivate,
      settings.resolveHost ?? systemResolver,
    ).catch((cause: unknown) => {
      // Whether an internal name exists is itself an answer: strict, it reads the same as a refusal.
      if (allowPrivate) throw cause;
      return { refused: true as const, reason: String(cause) };
    });
    if (destination.refused) {
      log.warn({ delivery: delivery.id, url: delivery.url, reason: destination.reason }, "webhook destination refused");
      error = REFUSED;
    } else {
      const timestamp = Math.floor(Date.now() / 1000);
      statusCode = await postToPinnedAddress(
        delivery.url,
        destination,
        {
          "content-type": "application/json",
          "user-agent": "aprendiendo-docker-webhooks/1",
          "aprendiendo-event": delivery.event,
          "aprendiendo-delivery": delivery.id,
          [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body),
          ...standardWebhookHeaders(secret, delivery.eventId, timestamp, body),
        },
        body,
        settings.requestTimeoutMs ?? 10_000,
      );
      if (statusCode < 200 || statusCode > 299) error = `HTTP ${statusCode}`;
    }
  } catch (cause) {
    error = cause instanceof Error ? `${cause.name}: ${cause.message}`.slice(0, 500) : String(cause);
  }
  const delivered = error === null;
  const now = new Date();
  const next = afterAttempt(delivered ? "delivered" : null, delivery.attempts, settings, now);
  await db.$transaction([
    db.webhookAttempt.create({
      data: {
        deliveryId: delivery.id,
        number: delivery.attempts,
        attemptedAt: now,
        statusCode,
        error,
        durationMs: Math.round(performance.now() - started),
      },
    }),
    db.webhookDelivery.update({
      where: { id: delivery.id },
      data: next.data,
    }),
  ]);
  if (!delivered) {
    log.warn({ delivery: delivery.id, attempt: delivery.attempts, error, exhausted: next.exhausted }, "webhook failed");
  }
  return delivered;
}

/**
 * Another outbox the worker drains in each round (LRS statements, LTI scores): it claims and sends
 * what is due, and answers true when more may be due at once.
 */
export type OutboxRound = (db: Database, settings: DeliverySettings, log: FastifyBaseLogger) => Promise<boolean>;

/**
 * Polls the webhook outbox, then each other outbox, until stopped; `poke()` runs a round now (after
 * a commit that enqueued something).
 */
export function startDeliveryWorker(
  db: Database,
  settings: DeliverySettings,
  log: FastifyBaseLogger,
  otherOutboxes: readonly OutboxRound[] = [],
) {
  let stopped = false;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const round = async () => {
    for (;;) {
      const claimed = await claimDueDeliveries(db, settings.leaseMs);
      await Promise.all(claimed.map((delivery) => sendDelivery(db, delivery, settings, log)));
      let more = claimed.length >= BATCH;
      for (const outbox of otherOutboxes) more = (await outbox(db, settings, log)) || more;
      if (!more || stopped) return;
    }
  };
  const tick = () => {
    if (stopped || running) return;
    running = round()
      .catch((error) => log.error({ err: error }, "webhook delivery round failed"))
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(tick, settings.pollIntervalMs);
      });
  };
  timer = setTimeout(tick, 0);

  return {
    poke() {
      if (running || stopped) return;
      clearTimeout(timer);
      tick();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
