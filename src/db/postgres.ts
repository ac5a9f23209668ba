import pg from 'pg';
import type { DatabaseConfig } from '../config.js';
import { type Database, type OpenOptions, type Queryable, type QueryOptions, TYPE_OIDS, parseDate, parseInt8 } from './database.js';

pg.types.setTypeParser(TYPE_OIDS.INT8, parseInt8);
pg.types.setTypeParser(TYPE_OIDS.DATE, parseDate);

type PostgresConfig = Extract<DatabaseConfig, { kind: 'postgres' }>;

/** The server gives up on a statement before the client does, so it frees its resources too. */
const STATEMENT_TIMEOUT_MS = 10_000;
const QUERY_TIMEOUT_MS = 15_000;

/** A string literal for a SET command (which takes no bind parameters). */
const literal = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/**
 * The settings every statement runs with. No JIT: for these short queries compiling costs more than it
 * saves; on a large table the planner's estimates cross jit_above_cost and a 30 ms day summary took
 * 640–890 ms (docs/PERFORMANCE.md). The session time zone renders and buckets times in APP_TIMEZONE.
 */
function settings(options: OpenOptions): [name: string, value: string][] {
  return [
    ['TimeZone', options.timezone],
    ['jit', 'off'],
    ...(options.requestTimeouts === false ? [] : [['statement_timeout', String(STATEMENT_TIMEOUT_MS)] as [string, string]]),
  ];
}

export function openPostgres(config: PostgresConfig, options: OpenOptions): Database {
  // The direct connection has a session of its own: migrations, commands (see OpenOptions.direct).
  const connectionString = options.direct ? (config.directConnectionString ?? config.connectionString) : config.connectionString;
  const poolMode = options.direct ? 'session' : (config.poolMode ?? 'session');
  // Session mode: the settings are startup parameters, sent once per connection. Transaction mode
  // (PgBouncer): a pooler in transaction mode refuses startup parameters ("unsupported startup
  // parameter"), and a SET would stay behind on a server connection another client gets next, so no
  // startup parameter is sent (node-postgres then sends only user, database and application_name, which
  // PgBouncer handles itself) and every transaction begins with SET LOCAL, which ends with it.
  const startup =
    poolMode === 'session'
      ? {
          ...(options.requestTimeouts === false ? {} : { statement_timeout: STATEMENT_TIMEOUT_MS }),
          options: `-c TimeZone=${options.timezone} -c jit=off`,
        }
      : {};
  // One round trip, as a plain BEGIN is: a simple-protocol query may hold several statements.
  const begin =
    poolMode === 'session'
      ? 'BEGIN'
      : ['BEGIN', ...settings(options).map(([name, value]) => `SET LOCAL ${name} = ${literal(value)}`)].join('; ');

  const pool = new pg.Pool({
    connectionString,
    max: config.poolMax,
    // Bounded waits: during an outage a request fails fast instead of hanging.
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 30_000,
    ...(options.requestTimeouts === false ? {} : { query_timeout: QUERY_TIMEOUT_MS }),
    keepAlive: true,
    application_name: 'barona',
    ...startup,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', (error) => options.onError?.(error));

  /** A statement as node-postgres takes it: named (kept prepared on the connection) in session mode only. */
  const statement = (sql: string, params: readonly unknown[] | undefined, options: QueryOptions | undefined): pg.QueryConfig => ({
    text: sql,
    values: params as unknown[] | undefined,
    ...(options?.prepared !== undefined && poolMode === 'session' ? { name: options.prepared } : {}),
  });

  const asQueryable = (client: pg.PoolClient): Queryable => ({
    async query(sql, params, options) {
      const result = await client.query(statement(sql, params, options));
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    },
    async exec(sql) {
      await client.query(sql);
    },
  });

  /**
   * A connection checked out of the pool. Its connection may be lost between two statements (the server
   * or the pooler went away): node-postgres then emits 'error' on the client, which the pool listens to
   * only while the client is idle in it, and an 'error' nobody listens to would end the process. The
   * next statement fails ("not queryable"), and the client is discarded on release.
   */
  async function checkOut(): Promise<{ client: pg.PoolClient; release: (error?: Error) => void }> {
    const client = await pool.connect();
    let lost: Error | undefined;
    const onError = (error: Error) => {
      lost = error;
    };
    client.on('error', onError);
    return {
      client,
      release(error) {
        client.off('error', onError);
        client.release(error ?? lost);
      },
    };
  }

  async function transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const { client, release } = await checkOut();
    let broken: Error | undefined;
    try {
      await client.query(begin);
      const value = await work(asQueryable(client));
      await client.query('COMMIT');
      return value;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      release(broken);
    }
  }

  return {
    kind: 'postgres',
    poolMode,
    async query(sql, params, options) {
      // Transaction mode: a statement on its own runs in a short transaction of its own, so it has the
      // same time zone, planner setting and time limit as in session mode (two more round trips to the
      // pooler; docs/KUBERNETES.md has what that costs).
      if (poolMode === 'transaction') return transaction((tx) => tx.query(sql, params));
      const result = await pool.query(statement(sql, params, options));
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    },
    async exec(sql) {
      if (poolMode === 'transaction') return transaction((tx) => tx.exec(sql));
      await pool.query(sql);
    },
    transaction,
    async withConnection(work) {
      const { client, release } = await checkOut();
      let broken: Error | undefined;
      try {
        return await work(asQueryable(client));
      } catch (error) {
        broken = error as Error;
        throw error;
      } finally {
        // A connection that failed mid-work may hold session state (locks): discard it.
        release(broken);
      }
    },
    stats() {
      return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
    },
    async close() {
      await pool.end();
    },
  };
}
