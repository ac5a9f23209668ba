// The day sheet is sent in pieces built by PostgreSQL; the bytes must be exactly the compact form of one
// json_agg (the seed's format, no spaces), for small days, empty days, and days that span many pieces.
// Its ETag answers 304 only while the sheet is unchanged: across writes, corrections, deletes and replicas.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';

const JSON_AGG = `SELECT coalesce(json_agg(json_build_object(
    'id', id, 'login', login, 'lastname', lastname, 'firstname', firstname, 'gate', gate
  ) ORDER BY id), '[]')::text AS sheet
  FROM checkins WHERE login >= $1::date::timestamptz AND login < ($1::date + 1)::timestamptz AND deleted_at IS NULL`;

describe('GET /table/view/date:<day> sends exactly the compact json_agg bytes', () => {
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
      assert.equal(body.toString('utf8'), JSON.stringify(JSON.parse(expected!.sheet)), 'json_agg in compact form');
      assert.doesNotMatch(body.toString('utf8'), /" : /);
      assert.equal((JSON.parse(body.toString('utf8')) as unknown[]).length, entries);
    });
  }
});

describe('GET /table/view/date:<day>: ETag and 304 never hide a change', () => {
  let database: TestDatabase;
  let one: RunningServer;
  let other: RunningServer;

  before(async () => {
    database = await createTestDatabase();
    // Two replicas on one database: a change made through one must show through the other.
    one = await startServer({ env: { DATABASE_URL: database.url } });
    other = await startServer({ env: { DATABASE_URL: database.url } });
  });
  after(async () => {
    assert.equal(await one.stop(), 0);
    assert.equal(await other.stop(), 0);
    await database.drop();
  });

  const sheet = async (server: RunningServer, etag?: string) => {
    const response = await fetch(`${server.url}/table/view/date:today`, { headers: etag ? { 'if-none-match': etag } : {} });
    const text = await response.text();
    return {
      status: response.status,
      etag: response.headers.get('etag') ?? '',
      entries: text ? (JSON.parse(text) as { id: number; firstname: string }[]) : [],
    };
  };
  const create = async (server: RunningServer, firstname: string) => {
    const response = await fetch(`${server.url}/table/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ firstname, lastname: 'Etag', gate: 'A' }),
    });
    assert.equal(response.status, 201);
    return (await response.json()) as { id: number };
  };

  test('304 while unchanged; a write, a correction and a soft delete through SQL each give 200 with the change', async () => {
    await create(one, 'First');
    const first = await sheet(one);
    assert.equal(first.status, 200);
    assert.match(first.etag, /^"[\w-]+"$/);
    const again = await sheet(one, first.etag);
    assert.equal(again.status, 304);
    assert.equal(again.etag, first.etag);
    assert.equal((await sheet(other, `W/${first.etag}, "other"`)).status, 304, 'the other replica agrees; weak and lists match');

    const created = await create(other, 'Second');
    const afterWrite = await sheet(one, first.etag);
    assert.equal(afterWrite.status, 200);
    assert.ok(afterWrite.entries.some((entry) => entry.id === created.id));

    await database.query(`UPDATE checkins SET firstname = 'Corrected' WHERE id = $1`, [created.id]);
    const afterCorrection = await sheet(other, afterWrite.etag);
    assert.equal(afterCorrection.status, 200, 'a correction with the same count and ids is a change');
    assert.equal(afterCorrection.entries.find((entry) => entry.id === created.id)?.firstname, 'Corrected');

    await database.query(`UPDATE checkins SET deleted_at = now() WHERE id = $1`, [created.id]);
    const afterDelete = await sheet(one, afterCorrection.etag);
    assert.equal(afterDelete.status, 200);
    assert.ok(!afterDelete.entries.some((entry) => entry.id === created.id));
    assert.equal(afterDelete.entries.length, afterWrite.entries.length - 1);
  });

  test('under load: read, write, read again with the last ETag never misses a committed write', async () => {
    const servers = [one, other];
    const readers = Array.from({ length: 4 }, async (_, reader) => {
      let etag = (await sheet(servers[reader % 2]!)).etag;
      for (let round = 0; round < 25; round++) {
        const created = await create(servers[(reader + round) % 2]!, `Load-${reader}-${round}`);
        const seen = await sheet(servers[(reader + round + 1) % 2]!, etag);
        assert.equal(seen.status, 200, `reader ${reader} round ${round}: a write happened since the last read`);
        assert.ok(
          seen.entries.some((entry) => entry.id === created.id),
          `reader ${reader} round ${round} sees its own write`,
        );
        etag = seen.etag;
      }
    });
    await Promise.all(readers);
  });
});
