// The day sheet is sent in pieces built by PostgreSQL; the bytes must be exactly those of one json_agg
// (the seed's format), for small days, empty days, and days that span many pieces.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';

const JSON_AGG = `SELECT coalesce(json_agg(json_build_object(
    'id', id, 'login', login, 'lastname', lastname, 'firstname', firstname, 'gate', gate
  ) ORDER BY id), '[]')::text AS sheet
  FROM checkins WHERE login >= $1::date::timestamptz AND login < ($1::date + 1)::timestamptz AND deleted_at IS NULL`;

describe('GET /table/view/date:<day> sends exactly the json_agg bytes', () => {
  let database: TestDatabase;
  let server: RunningServer;

  before(async () => {
    database = await createTestDatabase();
    // 2021-03-01: 1,001 entries (three pieces), names with quotes, backslashes, accents and emoji;
    // 2021-03-02: one live entry and one soft-deleted one (not shown).
    await database.query(
      `INSERT INTO checkins (login, name_key, firstname, lastname, gate)
       SELECT '2021-03-01 00:00:00+00'::timestamptz + i * interval '60 seconds', 'k',
              CASE i % 4 WHEN 0 THEN 'Zoë "Q"' WHEN 1 THEN 'back\\slash' WHEN 2 THEN 'Émile 😀' ELSE 'Plain' END,
              'Person-' || i, 'G' || (i % 3)
         FROM generate_series(0, 1000) AS i`,
    );
    await database.query(`UPDATE checkins SET name_key = lower(firstname || ' ' || lastname)`);
    await database.query(
      `INSERT INTO checkins (login, firstname, lastname, gate, name_key, deleted_at) VALUES
         ('2021-03-02 12:00:00+00', 'Only', 'One', '', 'only one', NULL),
         ('2021-03-02 13:00:00+00', 'Soft', 'Deleted', '', 'soft deleted', now())`,
    );
    server = await startServer({ env: { DATABASE_URL: database.url } });
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
    await database.drop();
  });

  for (const [day, entries] of [
    ['2021-03-01', 1001],
    ['2021-03-02', 1],
    ['2021-03-03', 0],
  ] as const) {
    test(`${day}: ${entries} entries`, async () => {
      const response = await fetch(`${server.url}/table/view/date:${day.replaceAll('-', '')}`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      const body = Buffer.from(await response.arrayBuffer());
      assert.equal(Number(response.headers.get('content-length')), body.length, 'Content-Length is the body length');
      const [expected] = await database.query<{ sheet: string }>(JSON_AGG, [day]);
      assert.equal(body.toString('utf8'), expected!.sheet, 'byte-identical to json_agg');
      assert.equal((JSON.parse(body.toString('utf8')) as unknown[]).length, entries);
    });
  }
});
