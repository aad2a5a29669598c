import { setTimeout as delay } from "node:timers/promises";
import pg from "pg";
import { z } from "zod";
import { CommitOutcomeUnknown } from "../errors/domain-errors.js";

/**
 * Plain `pg` for the hot paths (API-key lookup, progress read, the grading write). Prisma 6.19
 * compiles every query again in WebAssembly, about 0.6 ms of CPU per operation against ~60 µs for
 * a prepared statement (docs/benchmarks.md); Prisma keeps the schema, migrations and rare paths.
 * Both share one pg.Pool, so the deadlines and the connection budget are the same for both.
 */

/**
 * One SQL statement with the types of its parameters and the schema of its rows, written once, next
 * to the repository that owns the table. `name` makes pg prepare it once per connection.
 */
export interface Statement<Params extends readonly unknown[], Row> {
  readonly name: string;
  readonly text: string;
  /** Every row the statement answers is parsed with it: a row is never only a type assertion. */
  readonly rowSchema: z.ZodType<Row>;
  /** Only carries the parameters' type; never set. */
  readonly params?: Params;
}

const names = new Set<string>();

/**
 * `statement<[id: string]>()(name, text, RowSchema)`: the parameters are a type, the row type is the
 * schema's, so neither is written twice. The schema names each column as pg returns it (Date for
 * timestamps, string for uuid, bigint and numeric), so parsing costs no conversion on the hot paths.
 * A statement that returns no rows takes `NO_ROWS`.
 */
export function statement<Params extends readonly unknown[]>() {
  return <Row>(name: string, text: string, rowSchema: z.ZodType<Row>): Statement<Params, Row> => {
    // Two statements under one name would make pg run the first one's plan for the second one's text.
    if (names.has(name)) throw new Error(`Two SQL statements are named "${name}"`);
    names.add(name);
    return { name, text, rowSchema };
  };
}

/** The row schema of a statement without RETURNING: any row it answered would be a mistake. */
export const NO_ROWS = z.never();

/** Runs statements on the pool or, inside a transaction, on its connection. */
export interface Sql {
  rows<Params extends readonly unknown[], Row>(statement: Statement<Params, Row>, params: Params): Promise<Row[]>;
}

function sqlOn(queryable: pg.Pool | pg.PoolClient): Sql {
  return {
    async rows(statement, params) {
      const result = await queryable.query({ name: statement.name, text: statement.text, values: [...params] });
      return result.rows.map((row: unknown) => parseRow(statement, row));
    },
  };
}

function parseRow<Row>(statement: Statement<readonly unknown[], Row>, row: unknown): Row {
  const parsed = statement.rowSchema.safeParse(row);
  if (parsed.success) return parsed.data;
  throw new Error(
    `SQL statement "${statement.name}" returned a row its schema does not describe:\n${z.prettifyError(parsed.error)}`,
  );
}

export interface SqlPool extends Sql {
  /**
   * BEGIN, `work`, COMMIT on one connection; ROLLBACK if `work` throws. A connection whose
   * statement failed at the driver (a deadline, a dropped socket) is discarded, not pooled.
   *
   * A COMMIT that goes unanswered (its deadline passed, its socket dropped) may still take effect:
   * the server has it and can commit after the deadline, once a stall ends. So its outcome is asked
   * for by transaction id, from another connection, for up to `outcomeWaitMs`: committed returns the
   * result, aborted throws the error (nothing was stored), and still unknown throws
   * CommitOutcomeUnknown, never an error that says nothing was stored.
   */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
  readonly pool: pg.Pool;
}

const currentTransactionId = statement<[]>()(
  "current-transaction-id",
  "SELECT pg_current_xact_id()::text AS xid",
  z.object({ xid: z.string() }),
);

/** 'committed', 'aborted' or 'in progress' (a COMMIT the server has not finished yet). */
const transactionStatus = statement<[xid: string]>()(
  "transaction-status",
  "SELECT pg_xact_status($1::xid8) AS status",
  z.object({ status: z.string().nullable() }),
);

/** How often an unanswered COMMIT's outcome is asked for while the wait lasts. */
const OUTCOME_POLL_MS = 100;

export function createSqlPool(
  pool: pg.Pool,
  options: { outcomeWaitMs: number } = { outcomeWaitMs: DEFAULT_DEADLINES.poolWaitMs },
): SqlPool {
  return {
    ...sqlOn(pool),
    pool,
    async transaction(work) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query("BEGIN");
        const result = await work(sqlOn(client));
        const [{ xid } = { xid: "" }] = await sqlOn(client).rows(currentTransactionId, []);
        try {
          await client.query("COMMIT");
        } catch (error) {
          // The server's own refusal (a constraint checked at commit) is an answer: rolled back.
          if (error instanceof pg.DatabaseError) throw error;
          broken = error instanceof Error ? error : new Error(String(error));
          const outcome = await commitOutcome(pool, xid, options.outcomeWaitMs);
          if (outcome === "committed") return result;
          if (outcome === "unknown") throw new CommitOutcomeUnknown({ cause: error });
          throw error;
        }
        return result;
      } catch (error) {
        if (!broken) {
          await client.query("ROLLBACK").catch((rollbackError: Error) => {
            broken = rollbackError;
          });
        }
        throw error;
      } finally {
        client.release(broken);
      }
    },
  };
}

/**
 * Asks, on other connections, what became of transaction `xid` after its COMMIT went unanswered,
 * until the server says committed or aborted or `waitMs` has passed. A stalled server answers
 * nothing, and a COMMIT it holds stays "in progress": both are unknown.
 */
async function commitOutcome(pool: pg.Pool, xid: string, waitMs: number): Promise<"committed" | "aborted" | "unknown"> {
  const deadline = performance.now() + waitMs;
  for (;;) {
    const remaining = deadline - performance.now();
    if (remaining <= 0) return "unknown";
    const status = await withinMs(remaining, sqlOn(pool).rows(transactionStatus, [xid])).then(
      (rows) => rows?.[0]?.status,
      () => undefined,
    );
    if (status === "committed" || status === "aborted") return status;
    await delay(Math.min(OUTCOME_POLL_MS, remaining));
  }
}

/** The promise's value, or undefined once `ms` have passed (a pool waiting on a frozen server would wait longer). */
function withinMs<T>(ms: number, promise: Promise<T>): Promise<T | undefined> {
  promise.catch(() => {}); // settles after we stopped waiting: nobody is listening then
  const stop = new AbortController();
  const timeout = delay(ms, undefined, { signal: stop.signal }).catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => stop.abort());
}

export interface DatabaseDeadlines {
  /** Longest wait for one statement's answer, the API-key lookup included: a frozen server is an error, not a hang. */
  queryTimeoutMs: number;
  /**
   * Longest wait for a pooled connection (or a transaction's) before the request answers 503; also
   * how long an unanswered COMMIT's outcome is asked for before the answer says it is unknown.
   */
  poolWaitMs: number;
}

export const DEFAULT_DEADLINES: DatabaseDeadlines = { queryTimeoutMs: 5000, poolWaitMs: 10_000 };

/** The service's one connection pool; Prisma's adapter is given the same pool. */
export function createPool(url: string, deadlines: DatabaseDeadlines = DEFAULT_DEADLINES): pg.Pool {
  return new pg.Pool({
    connectionString: url,
    // Under load, requests queue for one of the pool's connections: wait as long for a
    // transaction's connection as for a query's, long enough to ride out a burst.
    connectionTimeoutMillis: deadlines.poolWaitMs,
    query_timeout: deadlines.queryTimeoutMs,
    max: 10,
  });
}
