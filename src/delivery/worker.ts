import type { FastifyBaseLogger } from "fastify";
import type { z } from "zod";
import type { Storage } from "../db/storage.js";
import type { SettledStatus } from "./delivery-status.js";
import type { OutboundPolicy } from "./outbound.js";
import { type ClaimedRow, claimDue, type NextState, type Outbox, pruneSettled, recordAttempt } from "./outbox.js";

interface WorkerSettings {
  maxAttempts: number;
  /** Delay before the second attempt; each further retry doubles it (with ±20 % jitter), capped at a day. */
  retryBaseMs: number;
  pollIntervalMs: number;
  /**
   * Time a claimed delivery stays invisible to other workers while this one sends it: how long the
   * claims of a replica that died mid-send wait before another replica retries them.
   */
  leaseMs: number;
}

/** What a channel's send needs from the service. */
export interface ChannelContext {
  storage: Storage;
  outbound: OutboundPolicy;
  /** Opens secrets stored sealed (webhook secrets, LRS passwords, the tool's LTI key). */
  secretsKey: Buffer | undefined;
  log: FastifyBaseLogger;
}

/**
 * One attempt's result, as a channel's protocol reads it. `retry`: worth trying again later (the
 * worker gives up after maxAttempts); `failed`: final now (a refusal that retrying cannot change).
 * The other statuses settle the row as the channel names them. `error` is a fixed reason, never
 * what the remote end said.
 */
export interface Outcome {
  status: SettledStatus | "retry";
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** A channel holds only its protocol: how a batch of claimed rows is sent, and what each answer means. */
interface Channel<Row extends ClaimedRow> {
  name: "webhooks" | "lrs" | "lti-scores";
  outbox: Outbox;
  /** A claimed row, as the columns of `outbox.returning` hold it: every claimed row is parsed with it. */
  claimed: z.ZodType<Row>;
  /** Rows claimed per round. */
  batch: number;
  send(rows: Row[], context: ChannelContext): Promise<Map<string, Outcome>>;
}

/** A channel whose row type the worker need not know. */
interface AnyChannel {
  name: string;
  outbox: Outbox;
  batch: number;
  claimAndSend(context: ChannelContext, leaseMs: number): Promise<[ClaimedRow, Outcome][]>;
}

export function channel<Row extends ClaimedRow>(spec: Channel<Row>): AnyChannel {
  return {
    name: spec.name,
    outbox: spec.outbox,
    batch: spec.batch,
    async claimAndSend(context, leaseMs) {
      const rows = await claimDue(context.storage.prisma, spec.outbox, spec.claimed, leaseMs, spec.batch);
      if (rows.length === 0) return [];
      const outcomes = await spec.send(rows, context);
      return rows.map((row): [ClaimedRow, Outcome] => [
        row,
        outcomes.get(row.id) ?? { status: "retry", statusCode: null, error: "could not be sent", durationMs: 0 },
      ]);
    },
  };
}

const MAX_DELAY_MS = 24 * 3600_000;

/** Exponential backoff after `attempt` failed attempts. */
function retryDelayMs(attempt: number, baseMs: number, random = Math.random): number {
  const delay = Math.min(MAX_DELAY_MS, baseMs * 2 ** (attempt - 1));
  return Math.round(delay * (0.8 + 0.4 * random()));
}

/** Where a row goes after an attempt: settled as its channel says, given up after maxAttempts, or due again. */
function nextState(outcome: Outcome, attempts: number, settings: WorkerSettings): NextState {
  if (outcome.status !== "retry") {
    return { settle: outcome.status, delivered: outcome.status === "delivered" || outcome.status === "already-stored" };
  }
  if (attempts >= settings.maxAttempts) return { settle: "failed", delivered: false };
  return { retryInMs: retryDelayMs(attempts, settings.retryBaseMs) };
}

/**
 * The one delivery worker: in each round it claims what is due in every outbox, sends it through its
 * channel, and records the attempt and where the row goes next; it polls until stopped. `poke()`
 * runs a round now (after a commit that enqueued something).
 */
export function startDeliveryWorker(
  channels: readonly AnyChannel[],
  context: ChannelContext,
  settings: WorkerSettings,
) {
  let stopped = false;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const drain = async (outbox: AnyChannel): Promise<boolean> => {
    const sent = await outbox.claimAndSend(context, settings.leaseMs);
    for (const [row, outcome] of sent) {
      const next = nextState(outcome, row.attempts, settings);
      await recordAttempt(context.storage.prisma, outbox.outbox, row, outcome, next);
      if (outcome.status === "retry" || outcome.status === "failed") {
        context.log.warn(
          { channel: outbox.name, delivery: row.id, attempt: row.attempts, error: outcome.error, next },
          "delivery failed",
        );
      }
    }
    return sent.length >= outbox.batch;
  };

  const round = async () => {
    for (;;) {
      let more = false;
      for (const outbox of channels) {
        // One channel's trouble (its tables, its secrets) does not hold up the others.
        more =
          (await drain(outbox).catch((error) => {
            context.log.error({ err: error, channel: outbox.name }, "delivery round failed");
            return false;
          })) || more;
      }
      if (!more || stopped) return;
    }
  };
  const tick = () => {
    if (stopped || running) return;
    running = round().finally(() => {
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

/** Prunes every outbox by the one rule (see pruneSettled); any replica may run it. */
export async function pruneDeliveries(
  { prisma: db }: Storage,
  channels: readonly AnyChannel[],
  retentionDays: number,
): Promise<number> {
  let count = 0;
  for (const outbox of channels) count += await pruneSettled(db, outbox.outbox, retentionDays);
  return count;
}
