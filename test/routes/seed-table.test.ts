// The seed's REST API, exactly, through HTTP against the running service, on PostgreSQL and on PGlite.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';

function localToday(timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

const post = (url: string, body: unknown) => api(`${url}/table/create`, { method: 'POST', body });

const backends = ['postgres', 'embedded'] as const;

for (const backend of backends) {
  describe(`seed API on ${backend === 'postgres' ? 'PostgreSQL' : 'embedded PGlite'}`, () => {
    let server: RunningServer;
    let database: TestDatabase | undefined;

    before(async () => {
      database = backend === 'postgres' ? await createTestDatabase() : undefined;
      server = await startServer({ env: database ? { DATABASE_URL: database.url } : {}, timeoutMs: 90_000 });
    });
    after(async () => {
      assert.equal(await server.stop(), 0, 'clean exit on SIGTERM');
      await database?.drop();
    });

    test('POST /table/create stores an entry stamped with the server time and ignores a client login', async () => {
      const before = Date.now();
      const created = await post(server.url, { firstname: 'Arvin', lastname: 'Cudanin', gate: 'A', login: '1999-01-01T00:00:00Z' });
      assert.equal(created.status, 201);
      assert.deepEqual(Object.keys(created.body), ['id', 'login', 'firstname', 'lastname', 'gate']);
      assert.equal(typeof created.body.id, 'number');
      assert.equal(created.body.firstname, 'Arvin');
      assert.equal(created.body.lastname, 'Cudanin');
      assert.equal(created.body.gate, 'A');
      const login = String(created.body.login);
      assert.match(login, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/, 'ISO 8601 with a zone');
      const at = Date.parse(login);
      assert.ok(at >= before - 2_000 && at <= Date.now() + 2_000, `login ${login} is the server's time`);
    });

    test('GET /table/view/date:today and date:YYYYMMDD list the day in id order with the seed field order', async () => {
      const first = await post(server.url, { firstname: 'Ada', lastname: 'Lovelace', gate: 'B' });
      const second = await post(server.url, { firstname: 'Grace', lastname: 'Hopper', gate: 'C' });
      for (const spec of ['date:today', `date:${localToday('UTC').replaceAll('-', '')}`]) {
        const response = await fetch(`${server.url}/table/view/${spec}`);
        assert.equal(response.status, 200);
        assert.match(response.headers.get('content-type') ?? '', /application\/json/);
        const sheet = (await response.json()) as Record<string, unknown>[];
        const ids = sheet.map((row) => row.id as number);
        assert.deepEqual(
          ids,
          [...ids].sort((a, b) => a - b),
          'ordered by id',
        );
        const mine = sheet.filter((row) => row.id === first.body.id || row.id === second.body.id);
        assert.equal(mine.length, 2);
        assert.deepEqual(Object.keys(mine[0]!), ['id', 'login', 'lastname', 'firstname', 'gate']);
        assert.deepEqual(mine[0], { id: first.body.id, login: first.body.login, lastname: 'Lovelace', firstname: 'Ada', gate: 'B' });
      }
    });

    test('a day with no entries is an empty array; a trailing slash works too', async () => {
      const response = await fetch(`${server.url}/table/view/date:19990101/`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), []);
    });

    test('invalid dates answer 400 with the seed text', async () => {
      for (const spec of [
        'date:2026011',
        'date:20261301',
        'date:20260230',
        'date:yesterday',
        'date:',
        '20260101',
        'date:2026-01-01',
        'date:00000101',
      ]) {
        const response = await fetch(`${server.url}/table/view/${spec}`);
        assert.equal(response.status, 400, spec);
        assert.equal(await response.text(), 'Invalid date. Use YYYYMMDD.', spec);
      }
    });

    test('missing, blank, null, non-string and too-long names are 400 naming the field', async () => {
      const cases: [unknown, Record<string, string[]>][] = [
        [{ lastname: 'X' }, { firstname: ['This field is required.'] }],
        [{ firstname: 'X' }, { lastname: ['This field is required.'] }],
        [{}, { firstname: ['This field is required.'], lastname: ['This field is required.'] }],
        [{ firstname: '   ', lastname: 'X' }, { firstname: ['This field may not be blank.'] }],
        [{ firstname: 'X', lastname: null }, { lastname: ['This field may not be null.'] }],
        [{ firstname: 42, lastname: 'X' }, { firstname: ['Not a valid string.'] }],
        [{ firstname: ['a'], lastname: 'X' }, { firstname: ['Not a valid string.'] }],
        [{ firstname: 'x'.repeat(101), lastname: 'X' }, { firstname: ['Ensure this field has no more than 100 characters.'] }],
        [{ firstname: 'X', lastname: 'Y', gate: 'g'.repeat(101) }, { gate: ['Ensure this field has no more than 100 characters.'] }],
        [{ firstname: 'X', lastname: 'Y', gate: 7 }, { gate: ['Not a valid string.'] }],
        [{ firstname: 'a\u0000b', lastname: 'Y' }, { firstname: ['Null characters are not allowed.'] }],
      ];
      for (const [body, errors] of cases) {
        const response = await post(server.url, body);
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.deepEqual(response.body, errors, JSON.stringify(body));
      }
    });

    test('100 characters (counted as characters, not bytes) are accepted; names are trimmed; gate is optional', async () => {
      const long = 'é'.repeat(99) + '😀';
      const created = await post(server.url, { firstname: long, lastname: '  Trim  ' });
      assert.equal(created.status, 201);
      assert.equal(created.body.firstname, long);
      assert.equal(created.body.lastname, 'Trim');
      assert.equal(created.body.gate, '');
    });

    test('malformed JSON, a JSON list and an empty body are 400, never 500', async () => {
      for (const body of ['{"firstname":', '[1,2]', '"text"', 'null']) {
        const response = await post(server.url, body);
        assert.equal(response.status, 400, body);
      }
      const empty = await fetch(`${server.url}/table/create`, { method: 'POST', headers: { 'content-type': 'application/json' } });
      assert.equal(empty.status, 400);
      const noType = await fetch(`${server.url}/table/create`, { method: 'POST' });
      assert.equal(noType.status, 400);
    });

    test('GET /table/create is 405 with an Allow header', async () => {
      const response = await fetch(`${server.url}/table/create`);
      assert.equal(response.status, 405);
      assert.match(response.headers.get('allow') ?? '', /POST/);
    });

    test('GET /table/ and /table name the instance and the APIs', async () => {
      for (const path of ['/table/', '/table']) {
        const response = await fetch(`${server.url}${path}`);
        assert.equal(response.status, 200, path);
        const text = await response.text();
        assert.match(text, /Barona attendance service on \S+/);
        assert.match(text, /\/table\/create/);
        assert.match(text, /\/table\/view\/date:YYYYMMDD/);
        assert.match(text, /\/api\/v1/);
      }
    });

    test('GET /admin answers 200 with the sign-in page', async () => {
      const response = await fetch(`${server.url}/admin`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await response.text(), /type="password"/);
    });
  });
}
