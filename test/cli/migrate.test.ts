// `barona migrate` as a child process against a real PostgreSQL: concurrent runs, status, checksums,
// and the server refusing to be ready on a schema that is behind.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadMigrations } from '../../src/db/migrator.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { runCli, startServer } from '../support/server.js';

const migrationCount = loadMigrations().length;

describe('barona migrate', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase({ migrated: false });
  });
  after(async () => database.drop());

  test('--status on an empty database lists every migration as pending', async () => {
    const result = await runCli(['migrate', '--status'], { DATABASE_URL: database.url });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /pending\s+0001_create_checkins/);
    assert.match(result.stdout, new RegExp(`0 applied, ${migrationCount} pending`));
  });

  test('a server with MIGRATE_ON_START=false is alive but not ready until migrations are applied', async () => {
    const server = await startServer({ env: { DATABASE_URL: database.url }, waitFor: 'healthz' });
    try {
      const notReady = await fetch(`${server.url}/readyz`);
      assert.equal(notReady.status, 503);
      const body = (await notReady.json()) as { checks: { schema: string } };
      assert.match(body.checks.schema, /pending migrations: 0001_create_checkins/);
      const write = await fetch(`${server.url}/table/create`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ firstname: 'A', lastname: 'B' }),
      });
      assert.equal(write.status, 503, 'writes against an unmigrated schema are 503, not 500');

      const [first, second] = await Promise.all([
        runCli(['migrate'], { DATABASE_URL: database.url }),
        runCli(['migrate'], { DATABASE_URL: database.url }),
      ]);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(second.code, 0, second.stderr);
      const appliedLines = [first.stdout, second.stdout].join('\n').match(/^applied\s+0001_create_checkins$/gm) ?? [];
      assert.equal(appliedLines.length, 1, 'exactly one of two concurrent runs applied the migration');
      const ledger = await database.query<{ version: string }>('SELECT version FROM schema_migrations');
      assert.equal(ledger.length, migrationCount);

      // Ready once the server has noticed the schema and set up the first admin (polled every 500 ms).
      let status = 0;
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
        status = (await fetch(`${server.url}/readyz`)).status;
        if (status === 200) break;
      }
      assert.equal(status, 200, 'ready within 10 s of the migration');
    } finally {
      await server.stop();
    }
  });

  test('running it again is a no-op that exits 0', async () => {
    const result = await runCli(['migrate'], { DATABASE_URL: database.url });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /schema is up to date/);
    const status = await runCli(['migrate', '--status'], { DATABASE_URL: database.url });
    assert.match(status.stdout, new RegExp(`${migrationCount} applied, 0 pending`));
  });

  test('an edited, already-applied migration is an error', async () => {
    await database.query(`UPDATE schema_migrations SET checksum = 'edited' WHERE version = '0001'`);
    try {
      const result = await runCli(['migrate'], { DATABASE_URL: database.url });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /0001_create_checkins\.sql was changed after it was applied/);
      assert.equal(result.stderr.trim().split('\n').length, 1, 'one line on stderr');
    } finally {
      const [migration] = loadMigrations();
      await database.query(`UPDATE schema_migrations SET checksum = $1 WHERE version = '0001'`, [migration!.checksum]);
    }
  });

  test('after a rollback (a schema migrated by a newer release) migrate exits 0 and the server is ready', async () => {
    await database.query(`INSERT INTO schema_migrations (version, name, checksum) VALUES ('9990', 'from_a_newer_release', 'x')`);
    try {
      const result = await runCli(['migrate'], { DATABASE_URL: database.url });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /schema is ahead of this release \(9990_from_a_newer_release/);
      const status = await runCli(['migrate', '--status'], { DATABASE_URL: database.url });
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /newer\s+9990_from_a_newer_release/);
      const server = await startServer({ env: { DATABASE_URL: database.url } });
      assert.equal(await server.stop(), 0);
    } finally {
      await database.query(`DELETE FROM schema_migrations WHERE version = '9990'`);
      const result = await runCli(['migrate'], { DATABASE_URL: database.url });
      assert.equal(result.code, 0, result.stderr);
    }
  });

  test('the seed DATABASE_* variables reach the same database', async () => {
    const url = new URL(database.url);
    const result = await runCli(['migrate', '--status'], {
      DATABASE_HOSTNAME: url.hostname,
      DATABASE_PORT: url.port,
      DATABASE_NAME: database.name,
      DATABASE_USER: decodeURIComponent(url.username),
      DATABASE_PASSWORD: decodeURIComponent(url.password),
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`${migrationCount} applied, 0 pending`));
  });

  test('an unreachable database is one clear error line and exit 1', async () => {
    const result = await runCli(['migrate'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^barona: .*ECONNREFUSED|connect/);
  });
});
