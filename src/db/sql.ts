import pg from "pg";

/**
 * Plain `pg` for the hot paths (API-key lookup, progress read, the grading write). Prisma 6.19
 * compiles every query again in WebAssembly, about 0.6 ms of CPU per operation against ~60 µs for
 * a prepared statement (docs/benchmarks.md); Prisma keeps the schema, migrations and rare paths.
 * Both share one pg.Pool, so the deadlines and the connection budget are the same for both.
 */

/**
 * One SQL statement with the types of its parameters and rows, written once, next to the
 * repository that owns the table. `name` makes pg prepare it once per connection.
 */
export interface Statement<Params extends readonly unknown[], Row> {
  readonly name: string;
  readonly text: string;
  /** Only carries the types; never set. */
  readonly signature?: { params: Params; row: Row };
}

const names = new Set<string>();

export function statement<Params extends readonly unknown[], Row>(name: string, text: string): Statement<Params, Row> {
  // Two statements under one name would make pg run the first one's plan for the second one's text.
  if (names.has(name)) throw new Error(`Two SQL statements are named "${name}"`);
  names.add(name);
  return { name, text };
}

/** Runs statements on the pool or, inside a transaction, on its connection. */
export interface Sql {
  rows<Params extends readonly unknown[], Row>(statement: Statement<Params, Row>, params: Params): Promise<Row[]>;
}

function sqlOn(queryable: pg.Pool | pg.PoolClient): Sql {
  return {
    async rows(statement, params) {
      const result = await queryable.query({ name: statement.name, text: statement.text, values: [...params] });
      return result.rows;
    },
  };
}

export interface SqlPool extends Sql {
  /**
   * BEGIN, `work`, COMMIT on one connection; ROLLBACK if `work` throws. A connection whose
   * statement failed at the driver (a deadline, a dropped socket) is discarded, not pooled.
   */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
  readonly pool: pg.Pool;
}

export function createSqlPool(pool: pg.Pool): SqlPool {
  return {
    ...sqlOn(pool),
    pool,
    async transaction(work) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query("BEGIN");
        const result = await work(sqlOn(client));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw error;
      } finally {
        client.release(broken);
      }
    },
  };
}

export interface DatabaseDeadlines {
  /** Longest wait for one statement's answer, the API-key lookup included: a frozen server is an error, not a hang. */
  queryTimeoutMs: number;
  /** Longest wait for a pooled connection (or a transaction's) before the request answers 503. */
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
