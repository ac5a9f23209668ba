// BOOTSTRAP_API_TOKEN: the automation token (helm test, pipeline smoke) works like a gate token in
// AUTH_MODE=token, through HTTP against the running service on PostgreSQL.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { runCli, startServer, type RunningServer } from '../support/server.js';

describe('BOOTSTRAP_API_TOKEN in AUTH_MODE=token', () => {
  const token = `brn_${randomBytes(32).toString('base64url')}`;
  let database: TestDatabase;
  let server: RunningServer;

  before(async () => {
    database = await createTestDatabase();
    server = await startServer({ env: { DATABASE_URL: database.url, AUTH_MODE: 'token', BOOTSTRAP_API_TOKEN: token } });
  });
  after(async () => {
    await server.stop();
    await database.drop();
  });

  const create = (headers: Record<string, string>) =>
    fetch(`${server.url}/table/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ firstname: 'Helm', lastname: 'Test', gate: 'T' }),
    });

  test('writes and reads need it; with it the seed round trip works', async () => {
    assert.equal((await create({})).status, 401);
    assert.equal((await create({ authorization: `Bearer brn_${'x'.repeat(43)}` })).status, 401, 'an unknown token');
    const created = await create({ authorization: `Bearer ${token}` });
    assert.equal(created.status, 201);
    const { id } = (await created.json()) as { id: number };
    assert.equal((await fetch(`${server.url}/table/view/date:today`)).status, 401);
    const sheet = await fetch(`${server.url}/table/view/date:today`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(sheet.status, 200);
    assert.ok(((await sheet.json()) as { id: number }[]).some((row) => row.id === id));
  });

  test('only its hash is stored, as the gate token "bootstrap"', async () => {
    const rows = await database.query<{ name: string; token_hash: string; created_by: string }>(
      `SELECT name, token_hash, created_by FROM gate_tokens`,
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.name, 'bootstrap');
    assert.equal(rows[0]!.created_by, 'BOOTSTRAP_API_TOKEN');
    assert.notEqual(rows[0]!.token_hash, token);
    assert.ok(!server.output().includes(token), 'the token is never logged');
  });

  test('a restart registers it again without a second row', async () => {
    await server.stop();
    server = await startServer({ env: { DATABASE_URL: database.url, AUTH_MODE: 'token', BOOTSTRAP_API_TOKEN: token } });
    assert.equal((await create({ authorization: `Bearer ${token}` })).status, 201);
    assert.equal((await database.query(`SELECT 1 FROM gate_tokens`)).length, 1);
  });
});

test('ready means the token works: a server waiting for `barona migrate` turns ready only once it is registered', async () => {
  const token = `brn_${randomBytes(32).toString('base64url')}`;
  const database = await createTestDatabase({ migrated: false });
  // DATABASE_URL without MIGRATE_ON_START: the server waits, alive but not ready, for the schema.
  const server = await startServer({
    env: { DATABASE_URL: database.url, AUTH_MODE: 'token', BOOTSTRAP_API_TOKEN: token },
    waitFor: 'healthz',
  });
  try {
    assert.equal((await fetch(`${server.url}/readyz`)).status, 503);
    const migrated = await runCli(['migrate'], { DATABASE_URL: database.url });
    assert.equal(migrated.code, 0, migrated.stderr);
    let ready = 0;
    for (const deadline = Date.now() + 10_000; ready !== 200 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
      ready = (await fetch(`${server.url}/readyz`)).status;
    }
    assert.equal(ready, 200, 'ready within 10 s of the migration');
    // The first request after ready, as a smoke test or `helm test` sends it.
    const created = await fetch(`${server.url}/table/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ firstname: 'First', lastname: 'Request', gate: 'R' }),
    });
    assert.equal(created.status, 201);
  } finally {
    await server.stop();
    await database.drop();
  }
});
