// Access decisions are made on the route the router serves, not on the raw URL: every route, spelled
// with percent-encoded letters (lower- and upper-case hex), a trailing slash or doubled slashes, gets
// the same answer without credentials as its plain spelling, and never a 2xx.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';

/** Sends the path byte for byte (fetch and URL would normalise it). */
function raw(port: number, method: string, path: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    const request = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode!));
    });
    request.on('error', reject);
    request.end(body);
  });
}

const hex = (char: string) => char.charCodeAt(0).toString(16).padStart(2, '0');

/** The spellings of one path: each letter percent-encoded on its own (both hex cases), slashes added. */
function spellings(path: string): string[] {
  const forms = new Set<string>();
  for (let i = 0; i < path.length; i++) {
    if (!/[a-z]/i.test(path[i]!)) continue;
    forms.add(`${path.slice(0, i)}%${hex(path[i]!)}${path.slice(i + 1)}`);
    forms.add(`${path.slice(0, i)}%${hex(path[i]!).toUpperCase()}${path.slice(i + 1)}`);
  }
  forms.add(path.replace(/[a-z]/gi, (char) => `%${hex(char)}`));
  forms.add(`${path}/`);
  forms.add(path.replaceAll('/', '//'));
  forms.add(`/${path}`);
  return [...forms];
}

const BODY = JSON.stringify({ firstname: 'Anon', lastname: 'Writer', gate: 'A', _csrf: 'x' });

const ROUTES: [method: string, path: string, body?: string][] = [
  ['GET', '/api/v1/checkins'],
  ['POST', '/api/v1/checkins', BODY],
  ['GET', '/api/v1/checkins.csv'],
  ['GET', '/api/v1/checkins/1'],
  ['PATCH', '/api/v1/checkins/1', JSON.stringify({ lastname: 'X' })],
  ['DELETE', '/api/v1/checkins/2'],
  ['GET', '/api/v1/days/2026-11-27/summary'],
  ['POST', '/table/create', BODY],
  ['GET', '/table/view/date:today'],
  ['GET', '/admin/sheet'],
  ['GET', '/admin/sheet/live'],
  ['GET', '/admin/events'],
  ['GET', '/admin/entries/1'],
  ['POST', '/admin/entries/1', BODY],
  ['POST', '/admin/entries/1/delete', BODY],
  ['GET', '/admin/audit'],
  ['GET', '/admin/users'],
  ['POST', '/admin/users', BODY],
  ['GET', '/admin/tokens'],
  ['POST', '/admin/tokens', BODY],
];

describe('encoded and odd spellings of every protected route (AUTH_MODE=token, PostgreSQL)', () => {
  let server: RunningServer;
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase();
    await database.query(
      `INSERT INTO checkins (firstname, lastname, gate, login) VALUES ('Ada', 'Lovelace', 'A', now()), ('Alan', 'Turing', 'A', now())`,
    );
    server = await startServer({ env: { DATABASE_URL: database.url, AUTH_MODE: 'token', ADMIN_PASSWORD: 'correct horse battery staple' } });
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
    await database.drop();
  });

  for (const [method, path, body] of ROUTES) {
    test(`${method} ${path}`, async () => {
      const plain = await raw(server.port, method, path, body);
      assert.ok([401, 403].includes(plain), `${method} ${path} without credentials: ${plain}`);
      for (const form of spellings(path)) {
        const status = await raw(server.port, method, form, body);
        assert.ok(status < 200 || status >= 300, `${method} ${form} answered ${status}`);
        assert.equal(status, plain, `${method} ${form} answers like ${path}`);
      }
    });
  }

  test('nothing was written, corrected or deleted', async () => {
    const rows = await database.query<{ firstname: string; lastname: string; deleted: boolean }>(
      'SELECT firstname, lastname, deleted_at IS NOT NULL AS deleted FROM checkins ORDER BY id',
    );
    assert.deepEqual(rows, [
      { firstname: 'Ada', lastname: 'Lovelace', deleted: false },
      { firstname: 'Alan', lastname: 'Turing', deleted: false },
    ]);
  });
});
