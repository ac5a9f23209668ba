// Embedded mode: PGlite keeps a real PostgreSQL data directory in DATA_DIR, so the service runs on a
// machine that has nothing but Node. It is one connection in one process: fine for a laptop or a
// single kiosk, not for several replicas.
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { DatabaseConfig } from '../config.js';
import { type Database, type OpenOptions, type Queryable, type QueryResult, TYPE_OIDS, parseDate, parseInt8 } from './database.js';

type EmbeddedConfig = Extract<DatabaseConfig, { kind: 'embedded' }>;

interface PGliteLike {
  query<Row>(sql: string, params?: unknown[]): Promise<{ rows: Row[]; affectedRows?: number }>;
  exec(sql: string): Promise<unknown>;
}

function queryable(target: PGliteLike): Queryable {
  return {
    async query<Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
      const result = await target.query<Row>(sql, params as unknown[] | undefined);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await target.exec(sql);
    },
  };
}

/** The one line a start ends with when DATA_DIR cannot hold the database. */
export class DataDirError extends Error {}

function dataDirError(dataDir: string, error: unknown): DataDirError {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'EEXIST' || code === 'ENOTDIR'
      ? 'not a folder'
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? `cannot be written (${code})`
        : code
          ? `cannot be used (${code})`
          : `does not hold a usable database (${(error as Error).message.split('\n')[0]})`;
  return new DataDirError(`DATA_DIR ${dataDir}: ${why}`, { cause: error });
}

async function openPGlite(dataDir: string): Promise<PGlite> {
  try {
    mkdirSync(dataDir, { recursive: true });
    return await PGlite.create(dataDir, {
      parsers: { [TYPE_OIDS.INT8]: parseInt8, [TYPE_OIDS.DATE]: parseDate },
    });
  } catch (error) {
    throw dataDirError(dataDir, error);
  }
}

export async function openEmbedded(config: EmbeddedConfig, options: OpenOptions): Promise<Database> {
  const db = await openPGlite(config.dataDir);
  await db.exec(`SET TIME ZONE '${options.timezone.replaceAll("'", "''")}'`);

  // PGlite serialises work on its single connection; `pending` makes that queue visible in metrics.
  let pending = 0;
  const counted = async <T>(work: () => Promise<T>): Promise<T> => {
    pending++;
    try {
      return await work();
    } finally {
      pending--;
    }
  };
  const direct = queryable(db);

  return {
    kind: 'embedded',
    poolMode: 'session',
    query: (sql, params) => counted(() => direct.query(sql, params)),
    exec: (sql) => counted(() => direct.exec(sql)),
    transaction: (work) => counted(() => db.transaction((tx) => work(queryable(tx)))),
    // One connection only: session state (such as an advisory lock) is always on it.
    withConnection: (work) => work(direct),
    stats: () => ({ total: 1, idle: pending === 0 ? 1 : 0, waiting: Math.max(0, pending - 1) }),
    async close() {
      await db.close();
    },
  };
}
