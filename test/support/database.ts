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
  return {
    url,
    name,
    async query(sql, params) {
      return (await pool.query(sql, params)).rows;
    },
    async drop() {
      await pool.end();
      await withAdmin(async (client) => {
        // A pool's end() (this one's, or one a test opened on the database) resolves once its connections
        // were asked to close, not once they are gone. FORCE would terminate such a closing connection,
        // whose client then raises an error nobody listens to any more (seen in CI), so wait for them
        // first; FORCE only ends what is still open after 5 s.
        for (let waited = 0; waited < 5_000; waited += 50) {
          const { rows } = await client.query<{ open: number }>('SELECT count(*)::int AS open FROM pg_stat_activity WHERE datname = $1', [
            name,
          ]);
          if (rows[0]!.open === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
    },
  };
}
