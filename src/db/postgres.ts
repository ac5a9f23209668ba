import pg from 'pg';
import type { DatabaseConfig } from '../config.js';
import { type Database, type OpenOptions, type Queryable, TYPE_OIDS, parseDate, parseInt8 } from './database.js';

pg.types.setTypeParser(TYPE_OIDS.INT8, parseInt8);
pg.types.setTypeParser(TYPE_OIDS.DATE, parseDate);

type PostgresConfig = Extract<DatabaseConfig, { kind: 'postgres' }>;

export function openPostgres(config: PostgresConfig, options: OpenOptions): Database {
  const pool = new pg.Pool({
    connectionString: config.connectionString,
    max: config.poolMax,
    // Bounded waits: during an outage a request fails fast instead of hanging.
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 30_000,
    // The server gives up on a statement before the client does, so it frees its resources too.
    ...(options.requestTimeouts === false ? {} : { query_timeout: 15_000, statement_timeout: 10_000 }),
    keepAlive: true,
    application_name: 'barona',
    // No JIT: for these short queries compiling costs more than it saves; on a large table the planner's
    // estimates cross jit_above_cost and a 30 ms day summary took 640–890 ms (docs/PERFORMANCE.md).
    options: `-c TimeZone=${options.timezone} -c jit=off`,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', (error) => options.onError?.(error));

  const asQueryable = (client: pg.PoolClient): Queryable => ({
    async query(sql, params) {
      const result = await client.query(sql, params as unknown[] | undefined);
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    },
    async exec(sql) {
      await client.query(sql);
    },
  });

  return {
    kind: 'postgres',
    async query(sql, params) {
      const result = await pool.query(sql, params as unknown[] | undefined);
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    },
    async exec(sql) {
      await pool.query(sql);
    },
    async transaction(work) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const value = await work(asQueryable(client));
        await client.query('COMMIT');
        return value;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw error;
      } finally {
        client.release(broken);
      }
    },
    async withConnection(work) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        return await work(asQueryable(client));
      } catch (error) {
        broken = error as Error;
        throw error;
      } finally {
        // A connection that failed mid-work may hold session state (locks): discard it.
        client.release(broken);
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
