// Group commit: rows sent concurrently share one INSERT, and nothing is lost, duplicated or given to the
// wrong request; a refused row fails only its own request; a failed batch fails exactly its requests.
// Directly against the writer on real PostgreSQL (and PGlite), and through HTTP against the service.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, mock, test } from 'node:test';
import type { WriteChecks } from '../../src/features/checkins/checkin-commit.js';
import type { DomainError } from '../../src/domain/domain-error.js';
import { CheckinWriter, type CheckinWriterOptions } from '../../src/features/checkins/checkin-writer.js';
import type { CheckinEntry as Checkin, NewCheckin } from '../../src/features/checkins/checkin-repository.js';
import type { Database, Queryable } from '../../src/db/database.js';
import { openEmbedded } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrator.js';
import { openPostgres } from '../../src/db/postgres.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { runCli, startServer, type RunningServer } from '../support/server.js';

/** A Queryable over the real database that records every statement's batch size and can fail chosen ones. */
function instrumented(db: Database, failStatement?: (index: number, size: number) => Error | undefined) {
  const sizes: number[] = [];
  const queryable: Queryable = {
    async query<Row>(sql: string, params?: readonly unknown[]) {
      const size = Array.isArray(params?.[0]) ? (params[0] as unknown[]).length : 1;
      const index = sizes.push(size) - 1;
      const injected = failStatement?.(index, size);
      if (injected) throw injected;
      return db.query<Row>(sql, params);
    },
    exec: (sql) => db.exec(sql),
  };
  return { queryable, sizes };
}

/** Like instrumented(), but the first statement stays in flight (its answer held back) until release(). */
function holdingFirstBatch(db: Database) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const { queryable, sizes } = instrumented(db);
  const held: Queryable = {
    async query<Row>(sql: string, params?: readonly unknown[]) {
      const result = queryable.query<Row>(sql, params);
      if (sizes.length === 1) await gate;
      return result;
    },
    exec: (sql) => queryable.exec(sql),
  };
  return { held, sizes, release };
}

/** The error node-postgres raises when the server terminates the connection (treated as an outage). */
function connectionLost(): Error {
  return Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
}

function person(i: number, tag: string): NewCheckin {
  return { firstname: `First-${tag}-${i}`, lastname: `Last-${tag}-${i}`, gate: `G${i % 7}` };
}

type Outcome = { ok: true; value: Checkin } | { ok: false; error: { code?: string; message: string } };

function settle(promises: Promise<Checkin>[]): Promise<Outcome[]> {
  return Promise.all(
    promises.map((p) =>
      p.then(
        (value): Outcome => ({ ok: true, value }),
        (error: { code?: string; message: string }): Outcome => ({ ok: false, error }),
      ),
    ),
  );
}

/** Plain write through the writer, answered with the stored entry. */
const write = (writer: CheckinWriter, checkin: NewCheckin): Promise<Checkin> => writer.write(checkin).then((outcome) => outcome.entry);

const options = (overrides: Partial<CheckinWriterOptions> = {}): CheckinWriterOptions => ({
  windowMs: 0,
  maxRows: 100,
  maxInFlight: 4,
  ...overrides,
});

describe('CheckinWriter on PostgreSQL', () => {
  let database: TestDatabase;
  let db: Database;

  before(async () => {
    database = await createTestDatabase();
    db = openPostgres({ kind: 'postgres', connectionString: database.url, poolMax: 8, display: database.name }, { timezone: 'UTC' });
  });
  after(async () => {
    await db.close();
    await database.drop();
  });

  test('500 concurrent writes: each caller gets its own row, none lost or duplicated, in few statements', async () => {
    const { queryable, sizes } = instrumented(db);
    const writer = new CheckinWriter(queryable, options({ maxRows: 100 }));
    const people = Array.from({ length: 500 }, (_, i) => person(i, 'c500'));
    const stored = await Promise.all(people.map((p) => write(writer, p)));

    stored.forEach((row, i) => {
      assert.equal(row.firstname, people[i]!.firstname, `caller ${i} got its own row back`);
      assert.equal(row.lastname, people[i]!.lastname);
      assert.equal(row.gate, people[i]!.gate);
    });
    assert.equal(new Set(stored.map((row) => row.id)).size, 500, 'distinct ids');
    const inDb = await database.query<{ id: number; firstname: string; lastname: string; gate: string; login: string }>(
      `SELECT id::int AS id, firstname, lastname, gate, to_json(login) #>> '{}' AS login FROM checkins WHERE firstname LIKE 'First-c500-%'`,
    );
    assert.equal(inDb.length, 500, 'exactly 500 rows stored');
    const byId = new Map(inDb.map((row) => [row.id, row]));
    stored.forEach((row) => {
      const saved = byId.get(row.id);
      assert.ok(saved, `id ${row.id} exists`);
      assert.deepEqual(
        { firstname: saved.firstname, lastname: saved.lastname, gate: saved.gate, login: saved.login },
        { firstname: row.firstname, lastname: row.lastname, gate: row.gate, login: row.occurredAt },
        'the id the caller got holds the caller’s row',
      );
    });
    assert.ok(
      sizes.every((size) => size <= 100),
      `no statement above maxRows: ${sizes.join(',')}`,
    );
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      500,
    );
    assert.ok(sizes.length <= 10, `500 rows shared ${sizes.length} statements`);
    assert.deepEqual(writer.stats(), { statements: sizes.length, rows: 500, isolations: 0, queued: 0, inFlight: 0 });
  });

  test('one row the database refuses fails only its own request; its neighbours commit', async () => {
    const { queryable, sizes } = instrumented(db);
    const writer = new CheckinWriter(queryable, options({ maxRows: 50, maxInFlight: 1 }));
    const people = Array.from({ length: 40 }, (_, i) => person(i, 'bad'));
    // Blank after trimming: violates the table's CHECK; the route would have refused it, this skips the route.
    people[23] = { firstname: '   ', lastname: 'Refused', gate: 'X' };
    const outcomes = await settle(people.map((p) => write(writer, p)));

    outcomes.forEach((outcome, i) => {
      if (i === 23) {
        assert.equal(outcome.ok, false, 'the bad row fails');
        if (!outcome.ok) assert.equal(outcome.error.code, '23514', 'with the CHECK violation');
      } else {
        assert.equal(outcome.ok, true, `neighbour ${i} succeeds`);
        if (outcome.ok) assert.equal(outcome.value.firstname, people[i]!.firstname);
      }
    });
    const inDb = await database.query<{ firstname: string }>(
      `SELECT firstname FROM checkins WHERE firstname LIKE 'First-bad-%' OR lastname = 'Refused'`,
    );
    assert.equal(inDb.length, 39);
    assert.equal(sizes[0], 40, 'all 40 went out as one batch first');
    assert.ok(sizes.length <= 2 * Math.ceil(Math.log2(40)) + 1, `isolated by bisection in ${sizes.length} statements`);
    assert.ok(writer.stats().isolations >= 1);
  });

  test('a failed batch fails exactly the requests in it, and the other batches commit', async () => {
    // 30 rows, 10 per batch, one batch at a time: the second statement loses its connection.
    const { queryable, sizes } = instrumented(db, (index) => (index === 1 ? connectionLost() : undefined));
    const writer = new CheckinWriter(queryable, options({ maxRows: 10, maxInFlight: 1 }));
    const people = Array.from({ length: 30 }, (_, i) => person(i, 'outage'));
    const outcomes = await settle(people.map((p) => write(writer, p)));

    assert.deepEqual(sizes, [10, 10, 10], 'three batches, the failed one is not retried');
    outcomes.forEach((outcome, i) => {
      const inFailedBatch = i >= 10 && i < 20;
      assert.equal(outcome.ok, !inFailedBatch, `request ${i}`);
      if (!outcome.ok) assert.equal(outcome.error.code, '57P01');
    });
    const inDb = await database.query<{ firstname: string }>(
      `SELECT firstname FROM checkins WHERE firstname LIKE 'First-outage-%' ORDER BY id`,
    );
    assert.deepEqual(
      inDb.map((row) => row.firstname),
      [...people.slice(0, 10), ...people.slice(20)].map((p) => p.firstname),
    );
  });

  test('an outage while isolating a refused row fails only the half that was not yet committed', async () => {
    // Statement 0: the whole batch (refused: bad row). 1: left half (commits). 2: right half, outage.
    const { queryable, sizes } = instrumented(db, (index) => (index === 2 ? connectionLost() : undefined));
    const writer = new CheckinWriter(queryable, options({ maxRows: 8, maxInFlight: 1 }));
    const people = Array.from({ length: 8 }, (_, i) => person(i, 'split'));
    people[6] = { firstname: 'Refused', lastname: '', gate: '' };
    const outcomes = await settle(people.map((p) => write(writer, p)));
    assert.deepEqual(sizes, [8, 4, 4]);
    assert.deepEqual(
      outcomes.map((o) => o.ok),
      [true, true, true, true, false, false, false, false],
    );
    const inDb = await database.query(`SELECT 1 FROM checkins WHERE firstname LIKE 'First-split-%'`);
    assert.equal(inDb.length, 4);
  });

  test('maxRows 1 writes every row on its own; close() sends what is queued', async () => {
    const alone = instrumented(db);
    const unbatched = new CheckinWriter(alone.queryable, options({ maxRows: 1 }));
    const rows = await Promise.all(Array.from({ length: 20 }, (_, i) => write(unbatched, person(i, 'w0'))));
    assert.equal(alone.sizes.length, 20, 'one statement per row');
    rows.forEach((row, i) => assert.equal(row.firstname, `First-w0-${i}`));

    const slow = instrumented(db);
    const writer = new CheckinWriter(slow.queryable, options({ windowMs: 1000, maxRows: 100 }));
    const pending = Promise.all([write(writer, person(1, 'close')), write(writer, person(2, 'close'))]);
    const started = Date.now();
    await writer.close();
    assert.ok(Date.now() - started < 900, 'close() did not wait for the window');
    assert.deepEqual(slow.sizes, [2]);
    assert.equal((await pending).length, 2);
  });

  test('a lone write is sent at once, not after a window: no timer is involved', async () => {
    // With setTimeout frozen, a writer that waited for a window would never send.
    mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
    try {
      const sent: number[] = [];
      const { queryable } = instrumented(db);
      const timed: Queryable = {
        query<Row>(sql: string, params?: readonly unknown[]) {
          sent.push(performance.now());
          return queryable.query<Row>(sql, params);
        },
        exec: (sql) => queryable.exec(sql),
      };
      const writer = new CheckinWriter(timed, options());
      for (let i = 0; i < 3; i++) {
        const before = performance.now();
        const row = await write(writer, person(i, 'lone'));
        assert.equal(row.firstname, `First-lone-${i}`);
        assert.equal(sent.length, i + 1, 'one statement per lone write');
        assert.ok(sent[i]! - before < 50, `sent ${(sent[i]! - before).toFixed(1)} ms after the call`);
      }
    } finally {
      mock.timers.reset();
    }
  });

  test('writes arriving while a batch is in flight form exactly the next batch', async () => {
    const { held, sizes, release } = holdingFirstBatch(db);
    const writer = new CheckinWriter(held, options({ maxRows: 1000, maxInFlight: 1 }));
    const first = write(writer, person(0, 'next'));
    await new Promise((resolve) => setImmediate(resolve)); // the first write is now in flight, alone
    assert.deepEqual(sizes, [1]);
    const rest = Array.from({ length: 40 }, (_, i) => write(writer, person(i + 1, 'next')));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(sizes, [1], 'nothing else is sent while the only slot is busy');
    release();
    const rows = await Promise.all([first, ...rest]);
    assert.deepEqual(sizes, [1, 40]);
    rows.forEach((row, i) => assert.equal(row.firstname, `First-next-${i}`));
  });

  test('rows arriving while every slot is busy go out together when one frees up', async () => {
    const { queryable, sizes } = instrumented(db);
    const writer = new CheckinWriter(queryable, options({ windowMs: 1, maxRows: 1000, maxInFlight: 1 }));
    const first = write(writer, person(0, 'busy'));
    await new Promise((resolve) => setTimeout(resolve, 5)); // the first batch is now in flight
    const rest = Array.from({ length: 50 }, (_, i) => write(writer, person(i + 1, 'busy')));
    await Promise.all([first, ...rest]);
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      51,
    );
    assert.ok(sizes.length <= 3, `51 rows in ${sizes.length} statements: ${sizes.join(',')}`);
  });

  test(
    'with a window, rows queued while the slot was busy are sent when it frees up inside their window',
    { timeout: 10_000 },
    async () => {
      // The rows are queued without a timer (no slot was free). The batch in flight ends while they are
      // still inside their window: they must go when the window ends, not wait for another request.
      const { held, sizes, release } = holdingFirstBatch(db);
      const writer = new CheckinWriter(held, options({ windowMs: 200, maxRows: 1000, maxInFlight: 1 }));
      const first = write(writer, person(0, 'window'));
      await new Promise((resolve) => setTimeout(resolve, 250)); // the window passed: the first batch is in flight
      assert.deepEqual(sizes, [1]);
      const queuedAt = performance.now();
      const rest = Array.from({ length: 10 }, (_, i) => write(writer, person(i + 1, 'window')));
      release(); // the slot frees up at once, well inside the rows' 200 ms window
      const rows = await Promise.all([first, ...rest]);
      const waited = performance.now() - queuedAt;
      assert.deepEqual(sizes, [1, 10]);
      assert.ok(waited >= 150, `the rows kept their window (sent after ${waited.toFixed(0)} ms)`);
      rows.forEach((row, i) => assert.equal(row.firstname, `First-window-${i}`));
    },
  );

  describe('with Idempotency-Keys and duplicate detection (batched checks)', () => {
    const checked = (duplicateWindowSeconds: number, key?: string, requestHash = 'h'): WriteChecks => ({
      duplicateWindowSeconds,
      idempotency: key === undefined ? undefined : { key, requestHash },
    });

    test('400 concurrent checked writes of 100 people (4 each): 100 rows, one new entry per person, in few transactions', async () => {
      const writer = new CheckinWriter(db, options({ maxRows: 100 }));
      const people = Array.from({ length: 100 }, (_, i) => person(i, 'dup'));
      const requests = Array.from({ length: 400 }, (_, n) => people[n % 100]!);
      const outcomes = await Promise.all(requests.map((p) => writer.write(p, checked(120))));

      const rows = await database.query<{ id: number; firstname: string }>(
        `SELECT id::int AS id, firstname FROM checkins WHERE firstname LIKE 'First-dup-%'`,
      );
      assert.equal(rows.length, 100, 'one row per person');
      const idOf = new Map(rows.map((row) => [row.firstname, row.id]));
      people.forEach((p, i) => {
        const mine = outcomes.filter((_, n) => n % 100 === i);
        assert.equal(mine.filter((o) => !o.duplicate).length, 1, `${p.firstname}: exactly one new entry`);
        assert.ok(
          mine.every((o) => o.entry.id === idOf.get(p.firstname) && o.entry.firstname === p.firstname),
          `${p.firstname}: every answer is its row`,
        );
      });
      const { statements, rows: inserted } = writer.stats();
      assert.equal(inserted, 100);
      // A person's later requests wait for the batch holding the first: at least 4 rounds, far fewer than 400.
      assert.ok(statements >= 4 && statements <= 40, `400 checked writes in ${statements} transactions`);
    });

    test('a duplicate is found across gates and directions only where they match', async () => {
      const writer = new CheckinWriter(db, options());
      const base = { firstname: 'Ana', lastname: 'Ñúñez', gate: 'North' };
      const [first, sameAccentFolded, otherGate, out] = await Promise.all([
        writer.write(base, checked(120)),
        writer.write({ ...base, firstname: ' ana ', lastname: 'NUNEZ' }, checked(120)),
        writer.write({ ...base, gate: 'South' }, checked(120)),
        writer.write({ ...base, direction: 'out' }, checked(120)),
      ]);
      assert.equal(
        [first, sameAccentFolded].filter((o) => o.duplicate).length,
        1,
        'the same person (case and accents folded) is one entry',
      );
      assert.equal(first.entry.id, sameAccentFolded.entry.id);
      assert.equal(otherGate.duplicate, false);
      assert.equal(out.duplicate, false);
      const later = await writer.write({ ...base, occurredAt: new Date(Date.now() - 3_600_000).toISOString() }, checked(120));
      assert.equal(later.duplicate, false, 'an hour earlier is outside the window');
    });

    test('Idempotency-Keys in batches: retries replay, another body is 422, a deleted entry is 409, plain rows beside them commit', async () => {
      const writer = new CheckinWriter(db, options({ maxRows: 100 }));
      const keyed = Array.from({ length: 30 }, (_, i) => person(i, 'key'));
      const calls = [
        ...Array.from({ length: 120 }, (_, n) => writer.write(keyed[n % 30]!, checked(0, `k-${n % 30}`, `hash-${n % 30}`))),
        ...Array.from({ length: 30 }, (_, i) => writer.write(person(i, 'beside'))),
      ];
      const outcomes = await Promise.all(calls);
      const rows = await database.query<{ id: number; firstname: string }>(
        `SELECT id::int AS id, firstname FROM checkins WHERE firstname LIKE 'First-key-%'`,
      );
      assert.equal(rows.length, 30, 'one row per key');
      for (let k = 0; k < 30; k++) {
        const mine = outcomes.slice(0, 120).filter((_, n) => n % 30 === k);
        assert.equal(mine.filter((o) => !o.replayed).length, 1, `key ${k}: answered once, replayed thrice`);
        assert.equal(new Set(mine.map((o) => o.entry.id)).size, 1);
        assert.equal(mine[0]!.entry.firstname, keyed[k]!.firstname);
      }
      assert.equal((await database.query(`SELECT 1 FROM checkins WHERE firstname LIKE 'First-beside-%'`)).length, 30);

      await assert.rejects(writer.write(keyed[0]!, checked(0, 'k-0', 'another body')), (error: DomainError) => {
        assert.equal(error.status, 422);
        return true;
      });
      await database.query(`UPDATE checkins SET deleted_at = now() WHERE id = $1`, [outcomes[1]!.entry.id]);
      await assert.rejects(writer.write(keyed[1]!, checked(0, 'k-1', 'hash-1')), (error: DomainError) => {
        assert.equal(error.status, 409);
        return true;
      });
      const stored = await database.query<{ key: string; checkin_id: number }>(
        `SELECT key, checkin_id::int AS checkin_id FROM checkin_idempotency_keys WHERE key LIKE 'k-%'`,
      );
      assert.equal(stored.length, 30);
      assert.ok(
        stored.every((row) => row.checkin_id !== null),
        'every key remembers its answer',
      );
    });

    test('a refused row in a checked batch fails alone; its neighbours commit and their keys replay', async () => {
      const writer = new CheckinWriter(db, options({ maxRows: 50, maxInFlight: 1 }));
      const people = Array.from({ length: 20 }, (_, i) => person(i, 'chkbad'));
      people[7] = { firstname: 'Refused', lastname: '  ', gate: 'X' };
      const outcomes = await settle(people.map((p, i) => writer.write(p, checked(120, `bad-${i}`)).then((o) => o.entry)));
      outcomes.forEach((outcome, i) => assert.equal(outcome.ok, i !== 7, `request ${i}`));
      assert.ok(writer.stats().isolations >= 1);
      const again = await writer.write(people[3]!, checked(120, 'bad-3'));
      assert.equal(again.replayed, true);
      assert.equal(again.entry.id, (outcomes[3] as { value: Checkin }).value.id);
      const claimedForRefused = await database.query(`SELECT 1 FROM checkin_idempotency_keys WHERE key = 'bad-7'`);
      assert.equal(claimedForRefused.length, 0, 'the refused request left no key behind');
    });
  });
});

describe('CheckinWriter on embedded PGlite', () => {
  test('200 concurrent writes map back to their callers', { timeout: 120_000 }, async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'barona-writer-'));
    const db = await openEmbedded({ kind: 'embedded', dataDir }, { timezone: 'UTC' });
    try {
      await migrate(db);
      const writer = new CheckinWriter(db, options({ maxInFlight: 1, maxRows: 64 }));
      const people = Array.from({ length: 200 }, (_, i) => person(i, 'lite'));
      const outcomes = await settle(people.map((p, i) => write(writer, i === 77 ? { ...p, lastname: '' } : p)));
      outcomes.forEach((outcome, i) => {
        assert.equal(outcome.ok, i !== 77, `request ${i}`);
        if (outcome.ok) assert.equal(outcome.value.firstname, people[i]!.firstname);
      });
      const { rows } = await db.query<{ id: number; firstname: string }>('SELECT id, firstname FROM checkins');
      assert.equal(rows.length, 199);
      const byId = new Map(rows.map((row) => [Number(row.id), row.firstname]));
      for (const outcome of outcomes) if (outcome.ok) assert.equal(byId.get(Number(outcome.value.id)), outcome.value.firstname);
      assert.ok(writer.stats().statements < 50);
    } finally {
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('POST /table/create with group commit, through HTTP', () => {
  let database: TestDatabase;
  let server: RunningServer;

  before(async () => {
    database = await createTestDatabase();
    server = await startServer({ env: { DATABASE_URL: database.url, WRITE_BATCH_WINDOW_MS: '2', WRITE_BATCH_MAX_ROWS: '50' } });
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
    await database.drop();
  });

  test('500 concurrent creates with unique names: every response id holds its own name', async () => {
    const responses = await Promise.all(
      Array.from({ length: 500 }, async (_, i) => {
        const body = { firstname: `Http-${i}`, lastname: `Person-${i}`, gate: `g${i % 5}` };
        const response = await fetch(`${server.url}/table/create`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        return {
          status: response.status,
          body,
          json: (await response.json()) as { id: number; login: string; firstname: string; lastname: string; gate: string },
        };
      }),
    );
    for (const { status, body, json } of responses) {
      assert.equal(status, 201);
      assert.equal(json.firstname, body.firstname);
      assert.equal(json.lastname, body.lastname);
      assert.equal(json.gate, body.gate);
    }
    const rows = await database.query<{ id: number; firstname: string; lastname: string; login: string }>(
      `SELECT id::int AS id, firstname, lastname, to_json(login) #>> '{}' AS login FROM checkins`,
    );
    assert.equal(rows.length, 500, 'no lost or extra rows');
    const byId = new Map(rows.map((row) => [row.id, row]));
    assert.equal(new Set(responses.map((r) => r.json.id)).size, 500, 'no id handed out twice');
    for (const { json } of responses) {
      assert.equal(byId.get(json.id)?.firstname, json.firstname, `id ${json.id}`);
      assert.equal(byId.get(json.id)?.lastname, json.lastname);
      assert.equal(byId.get(json.id)?.login, json.login);
    }
    // Rows committed together share their transaction's timestamp: fewer timestamps than rows = batching.
    const commits = new Set(rows.map((row) => row.login)).size;
    assert.ok(commits < 500, `500 rows in ${commits} commits`);
  });

  test('a bad request next to good ones is refused by validation and does not disturb them', async () => {
    const bodies = Array.from({ length: 30 }, (_, i) =>
      i === 11 ? { firstname: ' ', lastname: 'Blank' } : { firstname: `Mix-${i}`, lastname: 'Ok' },
    );
    const statuses = await Promise.all(
      bodies.map(async (body) => {
        const response = await fetch(`${server.url}/table/create`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        await response.arrayBuffer();
        return response.status;
      }),
    );
    statuses.forEach((status, i) => assert.equal(status, i === 11 ? 400 : 201, `request ${i}`));
    const rows = await database.query(`SELECT 1 FROM checkins WHERE firstname LIKE 'Mix-%'`);
    assert.equal(rows.length, 29);
  });
});

test('WRITE_BATCH_WINDOW_MS and WRITE_BATCH_MAX_ROWS are validated at start', async () => {
  for (const [env, message] of [
    [{ WRITE_BATCH_WINDOW_MS: 'soon' }, /WRITE_BATCH_WINDOW_MS: must be a whole number from 0 to 1000/],
    [{ WRITE_BATCH_WINDOW_MS: '5000' }, /WRITE_BATCH_WINDOW_MS: must be a whole number from 0 to 1000/],
    [{ WRITE_BATCH_MAX_ROWS: '0' }, /WRITE_BATCH_MAX_ROWS: must be a whole number from 1 to 10000/],
  ] as const) {
    const result = await runCli(['serve'], env);
    assert.equal(result.code, 1, JSON.stringify(env));
    assert.match(result.stderr.trim(), message);
  }
});

describe('POST /api/v1/checkins with the writer in place', () => {
  let database: TestDatabase;
  let plain: RunningServer;
  let checked: RunningServer;

  before(async () => {
    database = await createTestDatabase();
    // One batch in flight at a time (a pool of 2): requests that arrive while it runs must share the
    // next one, however slowly a busy machine hands them to the server.
    plain = await startServer({ env: { DATABASE_URL: database.url, DUPLICATE_WINDOW_SECONDS: '0', DATABASE_POOL_MAX: '2' } });
    checked = await startServer({ env: { DATABASE_URL: database.url } });
  });
  after(async () => {
    assert.equal(await plain.stop(), 0);
    assert.equal(await checked.stop(), 0);
    await database.drop();
  });

  const create = async (base: string, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}/api/v1/checkins`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Checkin & { duplicate: boolean } };
  };

  test('plain requests (no key, no duplicate check) are group-committed and each gets its own entry', async () => {
    const bodies = Array.from({ length: 300 }, (_, i) => ({
      firstname: `Api-${i}`,
      lastname: `Plain-${i}`,
      gate: 'V',
      direction: i % 2 ? 'out' : 'in',
    }));
    const results = await Promise.all(bodies.map((body) => create(plain.url, body)));
    results.forEach(({ status, json }, i) => {
      assert.equal(status, 201);
      assert.equal(json.firstname, bodies[i]!.firstname);
      assert.equal(json.direction, bodies[i]!.direction);
      assert.equal(json.duplicate, false);
    });
    const rows = await database.query<{ id: number; firstname: string; direction: string; name_key: string; recorded_at: string }>(
      `SELECT id::int AS id, firstname, direction, name_key, recorded_at::text FROM checkins WHERE lastname LIKE 'Plain-%'`,
    );
    assert.equal(rows.length, 300);
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const { json } of results) {
      assert.equal(byId.get(json.id)?.firstname, json.firstname);
      assert.equal(byId.get(json.id)?.direction, json.direction);
      assert.equal(
        byId.get(json.id)?.name_key,
        `${json.firstname} ${json.lastname}`.toLowerCase(),
        'name_key stored as insertCheckin does',
      );
    }
    assert.ok(new Set(rows.map((row) => row.recorded_at)).size < 300, 'rows shared commits');
  });

  test('a backdated plain request keeps its occurredAt', async () => {
    const occurredAt = new Date(Date.now() - 3_600_000).toISOString();
    const { status, json } = await create(plain.url, { firstname: 'Kiosk', lastname: 'Offline', occurredAt });
    assert.equal(status, 201);
    assert.equal(Date.parse(json.occurredAt), Date.parse(occurredAt));
  });

  test('duplicate detection still holds: 20 simultaneous check-ins of one person store one row', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => create(checked.url, { firstname: 'Same', lastname: 'Person', gate: 'D' })),
    );
    assert.equal(results.filter((r) => r.status === 201).length, 1);
    assert.equal(new Set(results.map((r) => r.json.id)).size, 1);
    assert.equal((await database.query(`SELECT 1 FROM checkins WHERE lastname = 'Person' AND gate = 'D'`)).length, 1);
  });

  test('idempotency keys still hold: 20 simultaneous requests with one key store one row', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        create(plain.url, { firstname: 'Keyed', lastname: 'Request', gate: 'K' }, { 'idempotency-key': 'perf-key-1' }),
      ),
    );
    assert.ok(results.every((r) => r.status === 200 || r.status === 201));
    assert.equal(new Set(results.map((r) => r.json.id)).size, 1);
    assert.equal((await database.query(`SELECT 1 FROM checkins WHERE lastname = 'Request' AND gate = 'K'`)).length, 1);
  });
});
