// Days are calendar days in APP_TIMEZONE, across DST changes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';

async function sheet(server: RunningServer, yyyymmdd: string) {
  const response = await fetch(`${server.url}/table/view/date:${yyyymmdd}`);
  assert.equal(response.status, 200);
  return (await response.json()) as { id: number; login: string; firstname: string }[];
}

describe('attendance days in APP_TIMEZONE=Europe/Berlin', () => {
  let server: RunningServer;
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase();
    server = await startServer({ env: { DATABASE_URL: database.url, APP_TIMEZONE: 'Europe/Berlin' } });
    const rows: [string, string][] = [
      // 23:30 local on 2026-07-14 is 21:30 UTC: it belongs to the 14th, not the 15th.
      ['late-summer', '2026-07-14T23:30:00+02:00'],
      ['early-summer', '2026-07-15T00:10:00+02:00'],
      // 2026-03-29 is the spring-forward day (23 hours long) in Berlin.
      ['dst-start', '2026-03-29T00:00:00+01:00'],
      ['dst-end-of-day', '2026-03-29T23:59:59+02:00'],
      ['dst-next', '2026-03-30T00:00:00+02:00'],
      // 2026-10-25 is the fall-back day (25 hours long).
      ['fall-late', '2026-10-25T23:30:00+01:00'],
      ['fall-before', '2026-10-24T23:59:00+02:00'],
    ];
    for (const [firstname, login] of rows) {
      await database.query(`INSERT INTO checkins (firstname, lastname, gate, login) VALUES ($1, 'TZ', 'A', $2)`, [firstname, login]);
    }
  });
  after(async () => {
    await server.stop();
    await database.drop();
  });

  test('an entry at 23:30 local time belongs to that local day', async () => {
    assert.deepEqual(
      (await sheet(server, '20260714')).map((r) => r.firstname),
      ['late-summer'],
    );
    assert.deepEqual(
      (await sheet(server, '20260715')).map((r) => r.firstname),
      ['early-summer'],
    );
  });

  test('the 23-hour spring-forward day and the 25-hour fall-back day have the right entries', async () => {
    assert.deepEqual(
      (await sheet(server, '20260329')).map((r) => r.firstname),
      ['dst-start', 'dst-end-of-day'],
    );
    assert.deepEqual(
      (await sheet(server, '20260330')).map((r) => r.firstname),
      ['dst-next'],
    );
    assert.deepEqual(
      (await sheet(server, '20261025')).map((r) => r.firstname),
      ['fall-late'],
    );
    assert.deepEqual(
      (await sheet(server, '20261024')).map((r) => r.firstname),
      ['fall-before'],
    );
  });

  test('times are rendered with the local offset of the configured zone', async () => {
    const [summer] = await sheet(server, '20260714');
    assert.equal(summer!.login, '2026-07-14T23:30:00+02:00');
    const [winter] = await sheet(server, '20261025');
    assert.equal(winter!.login, '2026-10-25T23:30:00+01:00');
  });

  test('date:today is today in Europe/Berlin, zero padded', async () => {
    const created = await fetch(`${server.url}/table/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ firstname: 'Now', lastname: 'Here', gate: 'A' }),
    });
    const entry = (await created.json()) as { id: number; login: string };
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit', day: '2-digit' }).format(
      new Date(),
    );
    assert.ok(entry.login.startsWith(today), `${entry.login} is on ${today} Berlin time`);
    assert.ok((await sheetToday(server)).some((row) => row.id === entry.id));
    assert.ok((await sheet(server, today.replaceAll('-', ''))).some((row) => row.id === entry.id));
  });
});

async function sheetToday(server: RunningServer) {
  const response = await fetch(`${server.url}/table/view/date:today`);
  assert.equal(response.status, 200);
  return (await response.json()) as { id: number }[];
}
