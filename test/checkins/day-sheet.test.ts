// The day sheet is sent in pieces built by PostgreSQL; the bytes must be exactly the compact form of one
// json_agg (the seed's format, no spaces), for small days, empty days, and days that span many pieces.
// Its ETag answers 304 only while the sheet is unchanged: across writes, corrections, deletes and replicas;
// the same check guards the sheets a process keeps in memory (DaySheets).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AttendanceDays } from '../../src/domain/attendance-day.js';
import { type DaySheet, DaySheets } from '../../src/features/checkins/day-sheet.js';
import type { Database, Queryable } from '../../src/db/database.js';
import { openPostgres } from '../../src/db/postgres.js';
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

describe('DaySheets: unchanged sheets are sent from memory, after the ETag check, and never go stale', () => {
  let database: TestDatabase;
  let db: Database;
  let one: RunningServer;
  let other: RunningServer;
  const DAY = '2021-05-04';

  before(async () => {
    database = await createTestDatabase();
    db = openPostgres({ kind: 'postgres', connectionString: database.url, poolMax: 2, display: database.name }, { timezone: 'UTC' });
    await database.query(
      `INSERT INTO checkins (login, name_key, firstname, lastname, gate)
       SELECT $1::date + time '08:00' + i * interval '1 minute', 'k', 'Kept', 'Person-' || i, 'G' FROM generate_series(1, 50) AS i`,
      [DAY],
    );
    one = await startServer({ env: { DATABASE_URL: database.url } });
    other = await startServer({ env: { DATABASE_URL: database.url } });
  });
  after(async () => {
    await db.close();
    assert.equal(await one.stop(), 0);
    assert.equal(await other.stop(), 0);
    await database.drop();
  });

  /** A Queryable that records which statement each query was: the ETag check or the sheet itself. */
  const counting = () => {
    const asked: ('etag' | 'sheet')[] = [];
    const queryable: Queryable = {
      query<Row>(sql: string, params?: readonly unknown[]) {
        asked.push(sql.includes('string_agg') ? 'sheet' : 'etag');
        return db.query<Row>(sql, params);
      },
      exec: (sql) => db.exec(sql),
    };
    return { queryable, asked };
  };
  const expected = async (day: string) => JSON.stringify(JSON.parse((await database.query<{ sheet: string }>(JSON_AGG, [day]))[0]!.sheet));
  const bodyOf = (sheet: DaySheet | undefined) => {
    assert.ok(sheet && Buffer.isBuffer(sheet.body), 'a kept-size sheet is one buffer');
    return sheet.body.toString('utf8');
  };

  test('a first read builds and keeps; a repeat asks only for the ETag; any change builds again', async () => {
    const { queryable, asked } = counting();
    const sheets = new DaySheets(queryable, AttendanceDays.calendar('UTC'));
    const first = await sheets.read(DAY);
    assert.deepEqual(asked, ['sheet'], 'a day not held is built at once, its ETag with it');
    assert.equal(bodyOf(first.sheet), await expected(DAY));

    const repeat = await sheets.read(DAY);
    assert.deepEqual(asked, ['sheet', 'etag'], 'an unchanged day costs the ETag query only');
    assert.equal(repeat.sheet?.body, first.sheet?.body, 'the kept bytes themselves');
    assert.equal(repeat.etag, first.etag);
    assert.deepEqual(
      await sheets.read(DAY, first.etag),
      { answer: 'not_modified', etag: first.etag },
      'If-None-Match of the current sheet: 304',
    );
    assert.deepEqual([first.answer, repeat.answer], ['built', 'kept']);

    // Changes made behind the cache's back (plain SQL, as another replica, a migration or psql would):
    // a correction that keeps count and ids, a soft delete, an undelete, a move to another day.
    const [first1, second] = await database.query<{ id: number }>(`SELECT id::int AS id FROM checkins ORDER BY id LIMIT 2`);
    for (const [change, id] of [
      [`UPDATE checkins SET firstname = 'Corrected' WHERE id = $1`, first1!.id],
      [`UPDATE checkins SET deleted_at = now() WHERE id = $1`, first1!.id],
      [`UPDATE checkins SET deleted_at = NULL WHERE id = $1`, first1!.id],
      [`UPDATE checkins SET login = login - interval '1 day' WHERE id = $1`, first1!.id],
      [`DELETE FROM checkins WHERE id = $1`, second!.id],
    ] as const) {
      asked.length = 0;
      await database.query(change, [id]);
      const changed = await sheets.read(DAY);
      assert.deepEqual(asked, ['etag', 'sheet'], `${change}: the ETag differs, the sheet is built again`);
      assert.equal(bodyOf(changed.sheet), await expected(DAY), change);
    }
    asked.length = 0;
    await database.query(`UPDATE checkins SET firstname = 'Elsewhere' WHERE id = $1`, [first1!.id]);
    await sheets.read(DAY);
    assert.deepEqual(asked, ['etag'], 'a change to another day leaves this one kept');
  });

  test('the memory is bounded: least recently used days go first, and a sheet above a quarter of it is streamed, not kept', async () => {
    const sheets = new DaySheets(db, AttendanceDays.calendar('UTC'), { bytes: 64 * 1024, days: 2 });
    await sheets.read('2021-05-01');
    await sheets.read('2021-05-02');
    await sheets.read('2021-05-01'); // used again: 05-02 is now the oldest
    await sheets.read('2021-05-03');
    assert.deepEqual(sheets.stats().days, 2);
    const answers = [];
    for (const day of ['2021-05-01', '2021-05-03', '2021-05-02']) answers.push((await sheets.read(day)).answer);
    assert.deepEqual(answers, ['kept', 'kept', 'built'], 'the least recently used day (05-02) was the one let go');
    // Reads of one day at once all build it; the one kept is counted once.
    const together = new DaySheets(db, AttendanceDays.calendar('UTC'));
    const sheetsAtOnce = await Promise.all(Array.from({ length: 10 }, () => together.read(DAY)));
    assert.deepEqual(together.stats(), { days: 1, bytes: sheetsAtOnce[0]!.sheet!.byteLength });
    const { queryable, asked } = counting();
    const probe = new DaySheets(queryable, AttendanceDays.calendar('UTC'), { bytes: 4 * 1024, days: 8 });
    const big = await probe.read(DAY); // ~4.5 kB of sheet: above a quarter of 4 kB
    assert.ok(!Buffer.isBuffer(big.sheet?.body), 'streamed');
    assert.deepEqual(probe.stats(), { days: 0, bytes: 0 });
    await probe.read(DAY);
    assert.deepEqual(asked, ['sheet', 'sheet'], 'not kept, so built each time without an ETag query first');
  });

  test('two replicas, plain reads under load: every read after a write holds that write, byte for byte what the database says', async () => {
    const servers = [one, other];
    const plain = async (server: RunningServer) => {
      const response = await fetch(`${server.url}/table/view/date:today`);
      assert.equal(response.status, 200);
      return response.text();
    };
    // Both replicas hold today's sheet before the first change.
    await Promise.all(servers.map(plain));
    const workers = Array.from({ length: 4 }, async (_, worker) => {
      for (let round = 0; round < 20; round++) {
        const writer = servers[(worker + round) % 2]!;
        const reader = servers[(worker + round + 1) % 2]!;
        if (round % 2 === 0) {
          // A write through one replica's API, read through the other...
          const response = await fetch(`${writer.url}/table/create`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ firstname: `W${worker}-${round}`, lastname: 'Load', gate: 'L' }),
          });
          assert.equal(response.status, 201);
          const { id } = (await response.json()) as { id: number };
          assert.ok((await plain(reader)).includes(`"id":${id},`), `worker ${worker} round ${round}: the other replica shows the new row`);
        } else {
          // ... and a correction through plain SQL, keeping count and ids, read through either.
          await database.query(`UPDATE checkins SET firstname = $1 WHERE firstname = $2`, [
            `C${worker}-${round}`,
            `W${worker}-${round - 1}`,
          ]);
          const text = await plain(reader);
          assert.ok(text.includes(`"C${worker}-${round}"`), `worker ${worker} round ${round}: the correction shows`);
          assert.ok(!text.includes(`"W${worker}-${round - 1}"`), `worker ${worker} round ${round}: the old name is gone`);
        }
      }
    });
    await Promise.all(workers);
    // The servers run in UTC (APP_TIMEZONE unset): today is the database's UTC date.
    const [today] = await database.query<{ day: string }>(`SELECT (now() AT TIME ZONE 'UTC')::date::text AS day`);
    const final = await expected(today!.day);
    for (const server of servers) assert.equal(await plain(server), final, 'each replica ends with exactly the database’s sheet');
  });
});
