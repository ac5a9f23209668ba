// Answers holding personal data are never stored by a browser or a shared cache (after signing out, Back
// must not show the audit log with names); health and static assets keep their own caching. And the
// sign-in page's `next` only ever leads to our own pages: control characters or another site fall back
// to the default page (never a 500).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';
import { Browser } from '../support/browser.js';

const PASSWORD = 'correct horse battery staple';

describe('Cache-Control and next= (PostgreSQL, AUTH_MODE=token)', { timeout: 120_000 }, () => {
  let database: TestDatabase;
  let server: RunningServer;
  let admin: Browser;
  let id: number;
  const today = new Date().toISOString().slice(0, 10);

  before(async () => {
    database = await createTestDatabase();
    server = await startServer({ env: { DATABASE_URL: database.url, AUTH_MODE: 'token', ADMIN_PASSWORD: PASSWORD } });
    admin = new Browser(server.url);
    const csrf = await admin.signIn('admin', PASSWORD);
    const created = await admin.request('POST', '/api/v1/checkins', {
      json: { firstname: 'Cache', lastname: 'Control', gate: 'A' },
      headers: { 'x-csrf-token': csrf, accept: 'application/json' },
    });
    assert.equal(created.status, 201, created.text);
    id = created.json<{ id: number }>().id;
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
    await database.drop();
  });

  test('admin pages, /api/v1 data answers and the seed day view are no-store', async () => {
    const paths = [
      '/admin/sheet',
      '/admin/users',
      '/admin/tokens',
      '/admin/audit',
      `/admin/entries/${id}`,
      `/api/v1/checkins?date=${today}`,
      `/api/v1/checkins/${id}`,
      `/api/v1/days/${today}/summary`,
      `/api/v1/checkins.csv?from=${today}&to=${today}`,
      '/table/view/date:today',
    ];
    for (const path of paths) {
      const answer = await admin.get(path, { accept: '*/*' });
      assert.equal(answer.status, 200, `${path}: ${answer.text.slice(0, 200)}`);
      assert.match(answer.headers.get('cache-control') ?? '', /\bno-store\b/, `${path} is no-store`);
    }
  });

  test('health and static assets keep their caching', async () => {
    const asset = await fetch(`${server.url}/assets/app.css`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('cache-control') ?? '', /max-age=600/);
    await asset.arrayBuffer();
    const spec = await fetch(`${server.url}/api/openapi.json`);
    assert.doesNotMatch(spec.headers.get('cache-control') ?? '', /no-store/, 'the API description holds no personal data');
    await spec.arrayBuffer();
  });

  test('next= with control characters or another site falls back to the default page', async () => {
    const cases: [string, string][] = [
      ['/admin?x=%0aLocation:%20//evil', '/admin/sheet'],
      ['/admin?x=\r\nSet-Cookie: a=b', '/admin/sheet'],
      ['/admin/users\t', '/admin/sheet'],
      ['/admin/sheet\u0000', '/admin/sheet'],
      ['/admin/s\u00e9ance', '/admin/sheet'],
      ['/admin?x=%0d%0a', '/admin?x=%0d%0a'], // escapes that stay escaped are harmless
      ['//evil.example/admin', '/admin/sheet'],
      ['/admin/..//evil.example', '/admin/sheet'],
      ['/admin\\evil', '/admin/sheet'],
      ['https://evil.example/admin', '/admin/sheet'],
      ['/admin/users', '/admin/users'],
      ['/admin/sheet?date=2026-11-27', '/admin/sheet?date=2026-11-27'],
    ];
    for (const [next, expected] of cases) {
      const answer = await admin.get(`/admin?next=${encodeURIComponent(next)}`);
      assert.equal(answer.status, 303, `${next}: ${answer.status} ${answer.text.slice(0, 200)}`);
      assert.equal(answer.location, expected, next);
    }
    // The exact URL from the report, as a browser sends it.
    const raw = await admin.get('/admin?next=/admin?x=%0aLocation:%20//evil');
    assert.equal(raw.status, 303);
    assert.equal(raw.location, '/admin/sheet');
  });
});
