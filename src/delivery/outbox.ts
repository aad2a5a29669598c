import { Prisma } from "../generated/prisma/client.js";
import type { Database } from "./prisma.js";

/**
 * An outbox table: rows with `status`, `attempts` and `next_attempt_at`, sent by a worker after the
 * transaction that wrote them commits. Every piece is a constant of the code, never input.
 */
export interface Outbox {
  /** The outbox table; its rows are `d` in `with` and `returning`. */
  table: string;
  /** What a send needs besides the row: the tables to join, and how they join `d`. */
  with: { tables: string; on: string };
  /** The columns a send reads, named as the claimed row type names them. */
  returning: string;
}

/**
 * Claims due rows for this worker. The inner SELECT … FOR UPDATE SKIP LOCKED lets concurrent workers
 * (other replicas) pass over rows another one is claiming, and moving next_attempt_at past the lease
 * hides them afterwards, so no row is sent twice at once. A worker that dies mid-send loses its lease
 * and another replica retries: delivery is at least once, never lost.
 */
export function claimDue<Row>(db: Database, outbox: Outbox, leaseMs: number, limit: number): Promise<Row[]> {
  const table = Prisma.raw(outbox.table);
  return db.$queryRaw<Row[]>`
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
}
