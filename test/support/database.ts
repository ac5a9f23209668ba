// Per-test databases: each test file gets its own database, cloned from a template that the test runner
// migrated once with the real `barona migrate` (fast, and no test sees another test's rows).
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  url: string;
  name: string;
  /** A pg client for assertions straight against the table. */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the tests with `npm test`');
  return url;
}

export function databaseUrl(name: string, base = adminUrl()): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh database. `migrated: true` (default) clones the migrated template named by
 * BARONA_TEST_TEMPLATE; `migrated: false` gives an empty one (for migration tests).
 */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `barona_t_${randomBytes(6).toString('hex')}`;
  const template = options.migrated === false ? 'template0' : process.env.BARONA_TEST_TEMPLATE;
  if (!template) throw new Error('BARONA_TEST_TEMPLATE is not set: run the tests with `npm test`');
  await withAdmin((client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  const url = databaseUrl(name);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  // pool.end() resolves once it has asked its clients to close, not once their connections are gone; the
  // DROP … WITH (FORCE) below may then terminate one, whose error must not become an uncaught exception
  // (seen once in CI). A query's own errors still reach that query.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return {
    url,
    name,
    async query(sql, params) {
      return (await pool.query(sql, params)).rows;
    },
    async drop() {
      await pool.end();
      await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
