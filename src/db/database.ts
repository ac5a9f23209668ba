// The one data-access interface of the service. Two implementations speak the same SQL:
// a node-postgres pool for a PostgreSQL server, and PGlite (PostgreSQL in WASM) for the embedded mode.
import type { DatabaseConfig, PoolMode } from '../config.js';

export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

/** Something SQL can be sent to: the database itself or an open transaction. */
export interface QueryOptions {
  /**
   * Keep the statement prepared on each connection under this name: parsed and planned once per
   * connection instead of on every call (for a hot statement with a plan worth keeping: the check-in
   * batch's INSERT was ~0.4 ms of parsing and planning a call). Only for a fixed SQL text (one name, one
   * text); ignored behind a pooler in transaction mode, where the next transaction may run on another
   * server connection, and on the embedded database.
   */
  prepared?: string;
}

export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<Row>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'embedded';
  /**
   * `transaction`: behind a pooler in transaction mode (DATABASE_POOL_MODE), where nothing outlives a
   * transaction on the server: no session settings, no session-level advisory locks, no LISTEN.
   */
  readonly poolMode: PoolMode;
  /** Runs `work` in one transaction on one connection; rolls back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Runs `work` on one dedicated connection (outside a transaction), e.g. to hold a session-level
   * advisory lock while running several transactions. With poolMode `transaction` the connection is one
   * to the pooler: one transaction at a time is safe, session state is not (see `direct` below).
   */
  withConnection<T>(work: (conn: Queryable) => Promise<T>): Promise<T>;
  stats(): PoolStats;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** IANA time zone set as the session time zone, so PostgreSQL renders and buckets times in it. */
  timezone: string;
  /** Called with connection-level errors that happen outside a query (e.g. the server went away). */
  onError?: (error: Error) => void;
  /**
   * Per-statement time limits for serving requests (default true). Migrations turn them off: a long
   * migration, or waiting for another process's migration lock, must not be cut short.
   */
  requestTimeouts?: boolean;
  /**
   * Open the direct connection (DATABASE_DIRECT_URL, default DATABASE_URL) with a session of its own,
   * whatever DATABASE_POOL_MODE says: for migrations (a session-level advisory lock) and the operator
   * commands. Default false: the connection that serves requests.
   */
  direct?: boolean;
}

export async function openDatabase(config: DatabaseConfig, options: OpenOptions): Promise<Database> {
  if (config.kind === 'postgres') {
    const { openPostgres } = await import('./postgres.js');
    return openPostgres(config, options);
  }
  const { openEmbedded } = await import('./embedded.js');
  return openEmbedded(config, options);
}

/** PostgreSQL type OIDs whose default JavaScript conversion we override, identically for both drivers. */
export const TYPE_OIDS = { INT8: 20, DATE: 1082 } as const;

/** bigint ids and counts fit comfortably in a double; dates stay 'YYYY-MM-DD' strings. */
export const parseInt8 = (value: string): number => Number(value);
export const parseDate = (value: string): string => value;
