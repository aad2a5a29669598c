import { z } from "zod";
import type { Database } from "../db/prisma.js";
import { Prisma } from "../generated/prisma/client.js";
import type { SettledStatus } from "./delivery-status.js";

/**
 * An outbox table: rows with `status`, `attempts`, `next_attempt_at` and `settled_at`, sent by the
 * worker after the transaction that wrote them commits. Every piece is a constant of the code, never input.
 */
export interface Outbox {
  /** The outbox table; its rows are `d` in `with` and `returning`. */
  table: string;
  /** The column of delivery_attempts that names a row of this table. */
  attemptColumn: "webhook_delivery_id" | "lrs_delivery_id" | "score_delivery_id";
  /** What a send needs besides the row: the tables to join, and how they join `d`. */
  with: { tables: string; on: string };
  /** The columns a send reads, named as the claimed row type names them; `d.id` and `d.attempts` always. */
  returning: string;
}

/** What every claimed row carries, whatever its channel reads besides. */
export const ClaimedRowSchema = z.object({
  id: z.string(),
  /** Attempts counted so far, this one included. */
  attempts: z.number(),
});
export type ClaimedRow = z.infer<typeof ClaimedRowSchema>;

/**
 * Claims due rows for this worker. The inner SELECT … FOR UPDATE SKIP LOCKED lets concurrent workers
 * (other replicas) pass over rows another one is claiming, and moving next_attempt_at past the lease
 * hides them afterwards, so no row is sent twice at once. A worker that dies mid-send loses its lease
 * and another replica retries: delivery is at least once, never lost.
 */
export async function claimDue<Row extends ClaimedRow>(
  db: Database,
  outbox: Outbox,
  rowSchema: z.ZodType<Row>,
  leaseMs: number,
  limit: number,
): Promise<Row[]> {
  const table = Prisma.raw(outbox.table);
  const rows = await db.$queryRaw<unknown[]>`
    UPDATE ${table} AS d
       SET attempts = d.attempts + 1,
           next_attempt_at = now() + make_interval(secs => ${leaseMs / 1000}::float8)
      FROM (SELECT id FROM ${table}
             WHERE status = 'pending' AND next_attempt_at <= now()
             ORDER BY next_attempt_at
             LIMIT ${limit}
             FOR UPDATE SKIP LOCKED) AS due,
           ${Prisma.raw(outbox.with.tables)}
     WHERE d.id = due.id AND ${Prisma.raw(outbox.with.on)}
 RETURNING ${Prisma.raw(outbox.returning)}`;
  return rows.map((row) => {
    const parsed = rowSchema.safeParse(row);
    if (parsed.success) return parsed.data;
    throw new Error(`${outbox.table} claimed a row its schema does not describe:\n${z.prettifyError(parsed.error)}`);
  });
}

/** Where a row goes after one attempt: settled with a status, or due again `retryInMs` from now. */
export type NextState = { settle: SettledStatus; delivered: boolean } | { retryInMs: number };

/**
 * Logs one attempt and moves the row on, in one statement. Only a row still pending moves: one that
 * a newer score superseded while this attempt was on the wire stays superseded.
 */
export async function recordAttempt(
  db: Database,
  outbox: Outbox,
  row: ClaimedRow,
  attempt: { statusCode: number | null; error: string | null; durationMs: number },
  next: NextState,
): Promise<void> {
  const table = Prisma.raw(outbox.table);
  const column = Prisma.raw(outbox.attemptColumn);
  const status = "settle" in next ? next.settle : "pending";
  const retrySeconds = "retryInMs" in next ? next.retryInMs / 1000 : 0;
  const delivered = "settle" in next && next.delivered;
  await db.$executeRaw`
    WITH attempt AS (
      INSERT INTO delivery_attempts (id, ${column}, number, attempted_at, status_code, error, duration_ms)
      VALUES (gen_random_uuid(), ${row.id}::uuid, ${row.attempts}, now(), ${attempt.statusCode}::int, ${attempt.error},
              ${attempt.durationMs}::int)
    )
    UPDATE ${table}
       SET status = ${status},
           next_attempt_at = CASE WHEN ${status} = 'pending'
                                  THEN now() + make_interval(secs => ${retrySeconds}::float8)
                                  ELSE next_attempt_at END,
           delivered_at = CASE WHEN ${delivered} THEN now() ELSE delivered_at END,
           settled_at = CASE WHEN ${status} = 'pending' THEN NULL ELSE now() END
     WHERE id = ${row.id}::uuid AND status = 'pending'`;
}

/** Every outbox keeps a settled row this long, then it goes with its attempts (one rule for all). */
export async function pruneSettled(db: Database, outbox: Outbox, retentionDays: number): Promise<number> {
  return db.$executeRaw`
    DELETE FROM ${Prisma.raw(outbox.table)}
     WHERE status <> 'pending' AND settled_at < now() - make_interval(days => ${retentionDays}::int)`;
}
