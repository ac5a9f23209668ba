// GET /api/v1/tokens/current through HTTP against the running service on PostgreSQL (AUTH_MODE=token):
// a working gate token, a revoked one, one without the checkin scope, an admin session, nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';
import { Browser } from '../support/browser.js';

const PASSWORD = 'a tokens test password';

describe('GET /api/v1/tokens/current (AUTH_MODE=token)', () => {
  let server: RunningServer;
  let database: TestDatabase;
  let admin: Browser;
  let csrf: string;

  async function createToken(name: string, gate: string, scope: string[], expiresInDays = '') {
    const created = await admin.post('/admin/tokens', { _csrf: csrf, name, gate, scope, expiresInDays });
    assert.equal(created.status, 200, created.text.slice(0, 500));
    const token = /id="new-token" class="mono" readonly value="(brn_[^"]+)"/.exec(created.text)?.[1];
    const id = new RegExp(`data-token-id="(\\d+)">\\s*<td>${name}</td>`).exec(created.text)?.[1];
    assert.ok(token && id);
    return { token, id };
  }
  const current = (headers: Record<string, string>) =>
    fetch(`${server.url}/api/v1/tokens/current`, { headers: { accept: 'application/json', ...headers } });

  before(async () => {
    database = await createTestDatabase();
    server = await startServer({ env: { DATABASE_URL: database.url, AUTH_MODE: 'token', ADMIN_PASSWORD: PASSWORD } });
    admin = new Browser(server.url);
    for (let i = 0; (await database.query('SELECT 1 FROM admin_users')).length === 0; i++) {
      if (i > 50) throw new Error('the first admin was not created');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    csrf = await admin.signIn('admin', PASSWORD);
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
    await database.drop();
  });

  test('a gate token: its name, gate, scopes and expiry; nothing is recorded', async () => {
    const { token } = await createToken('South tablet', 'South', ['checkin']);
    const response = await current({ authorization: `Bearer ${token}` });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { kind: 'token', name: 'South tablet', gate: 'South', scopes: ['checkin'], expiresAt: null });
    assert.equal((await database.query('SELECT 1 FROM checkins')).length, 0);
  });

  test('a token with an expiry answers it', async () => {
    const { token } = await createToken('Pop-up tablet', '', ['checkin', 'read'], '3');
    const body = (await (await current({ authorization: `Bearer ${token}` })).json()) as Record<string, unknown>;
    assert.equal(body.gate, '');
    assert.deepEqual(body.scopes, ['checkin', 'read']);
    assert.equal(typeof body.expiresAt, 'string');
    assert.ok(Date.parse(body.expiresAt as string) > Date.now() + 2 * 86_400_000);
  });

  test('a revoked token is 401, a token without the checkin scope 403, no credentials 401', async () => {
    const { token, id } = await createToken('Gone tablet', 'West', ['checkin']);
    assert.equal((await admin.post(`/admin/tokens/${id}/revoke`, { _csrf: csrf })).status < 400, true);
    const revoked = await current({ authorization: `Bearer ${token}` });
    assert.equal(revoked.status, 401);
    assert.match(((await revoked.json()) as { detail: string }).detail, /revoked/);

    const { token: reader } = await createToken('Reader', '', ['read']);
    const readOnly = await current({ authorization: `Bearer ${reader}` });
    assert.equal(readOnly.status, 403);
    assert.match(((await readOnly.json()) as { detail: string }).detail, /checkin scope/);

    assert.equal((await current({})).status, 401);
    assert.equal((await current({ authorization: 'Bearer brn_not-a-token' })).status, 401);
  });

  test('a signed-in admin: the session', async () => {
    const response = await current({ cookie: admin.cookieHeader() });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { kind: 'session', username: 'admin' });
  });

  test('the OpenAPI document describes it', async () => {
    const document = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    assert.ok(document.paths['/api/v1/tokens/current']?.get);
  });
});
