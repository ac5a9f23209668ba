// DAY_STARTS_AT: two check-ins of one calendar day on either side of the day start are on consecutive
// attendance days in the day list and summary, while the seed's /table/view keeps calendar days; and the
// converted queries answer the same when the PostgreSQL session's time zone is not APP_TIMEZONE.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { addDays, AttendanceDays } from '../../src/domain/attendance-day.js';
import { Readiness } from '../../src/readiness.js';
import { ADMIN_PASSWORD, type AdminSession, build, signIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

interface Entry {
  id: number;
  occurredAt: string;
  recordedAt: string;
  firstname: string;
}

async function get<T>(app: FastifyInstance, url: string): Promise<T> {
  const response = await app.inject({ url });
  assert.equal(response.statusCode, 200, `${url}: ${response.body}`);
  return response.json<T>();
}

async function send<T>(app: FastifyInstance, method: 'POST' | 'PUT' | 'PATCH', url: string, payload: object): Promise<T> {
  const response = await app.inject({ method, url, payload });
  assert.ok(response.statusCode === 200 || response.statusCode === 201, `${method} ${url}: ${response.statusCode} ${response.body}`);
  return response.json<T>();
}

/** A group on `schedule` whose members are new people of these names (counted from `since`). */
async function groupOf(
  app: FastifyInstance,
  name: string,
  schedule: object,
  people: [string, string][],
  since: string,
): Promise<{ groupId: number; ids: number[] }> {
  const { id: groupId } = await send<{ id: number }>(app, 'POST', '/api/v1/groups', { name, schedule });
  const ids: number[] = [];
  for (const [firstname, lastname] of people) {
    const { id } = await send<{ id: number }>(app, 'POST', '/api/v1/people', { firstname, lastname });
    await send(app, 'PUT', `/api/v1/groups/${groupId}/members/${id}`, { since });
    ids.push(id);
  }
  return { groupId, ids };
}

interface RegisterBody {
  days: { date: string; startsAt: string | null; lateAfter: string | null }[];
  members: { person: { firstname: string }; attendance: { date: string; status: string; firstIn: string | null }[] }[];
  timezone: string;
}

/** firstname → [date, status, firstIn] of each cell. */
const cellsOf = (register: RegisterBody) =>
  Object.fromEntries(
    register.members.map((member) => [member.person.firstname, member.attendance.map((cell) => [cell.date, cell.status, cell.firstIn])]),
  );

describe('DAY_STARTS_AT=04:00 in Europe/Berlin', () => {
  let app: TestApp;

  before(async () => {
    app = await build({ APP_TIMEZONE: 'Europe/Berlin', DAY_STARTS_AT: '04:00', AUTH_MODE: 'open' });
    for (const [firstname, login] of [
      ['Night', '2026-07-15T02:00:00+02:00'],
      ['Morning', '2026-07-15T10:00:00+02:00'],
      ['Before', '2026-07-14T03:59:59+02:00'],
    ]) {
      await app.database.query(`INSERT INTO checkins (firstname, lastname, gate, login, name_key) VALUES ($1, 'Day', 'A', $2, $3)`, [
        firstname,
        login,
        `${firstname!.toLowerCase()} day`,
      ]);
    }
  });
  after(async () => app.close());

  test('a check-in at 02:00 is on the attendance day before, one at 10:00 on its own day', async () => {
    const names = async (date: string) =>
      (await get<{ items: Entry[] }>(app.app, `/api/v1/checkins?date=${date}`)).items.map((entry) => entry.firstname);
    assert.deepEqual(await names('2026-07-14'), ['Night']);
    assert.deepEqual(await names('2026-07-15'), ['Morning']);
    assert.deepEqual(await names('2026-07-13'), ['Before']);

    const summary = await get<{
      date: string;
      total: number;
      dayStartsAt: string;
      startsAt: string;
      endsAt: string;
      perHour: { start: string; localTime: string; total: number }[];
    }>(app.app, '/api/v1/days/2026-07-14/summary');
    assert.equal(summary.total, 1);
    assert.equal(summary.dayStartsAt, '04:00');
    assert.equal(summary.startsAt, '2026-07-14T04:00:00+02:00');
    assert.equal(summary.endsAt, '2026-07-15T04:00:00+02:00');
    assert.equal(summary.perHour.length, 24);
    assert.equal(summary.perHour[0]!.localTime, '04:00');
    assert.equal(summary.perHour.find((hour) => hour.total > 0)!.localTime, '02:00');
    assert.equal((await get<{ total: number }>(app.app, '/api/v1/days/2026-07-15/summary')).total, 1);
  });

  test('the register counts a check-in at 02:00 on the 15th for the 14th; a start time before 04:00 is on the next date', async () => {
    // "Night Day" checked in by name at 02:00 on 15 July; "Morning Day" at 10:00.
    const schedule = { dates: ['2026-07-14', '2026-07-15'] };
    const open = await groupOf(
      app.app,
      'Night crew',
      schedule,
      [
        ['Night', 'Day'],
        ['Morning', 'Day'],
      ],
      '2026-07-01',
    );
    const register = await get<RegisterBody>(app.app, `/api/v1/groups/${open.groupId}/register?from=2026-07-13&to=2026-07-15`);
    assert.deepEqual(cellsOf(register), {
      Night: [
        ['2026-07-14', 'present', '2026-07-15T02:00:00+02:00'],
        ['2026-07-15', 'absent', null],
      ],
      Morning: [
        ['2026-07-14', 'absent', null],
        ['2026-07-15', 'present', '2026-07-15T10:00:00+02:00'],
      ],
    });
    assert.equal(register.timezone, 'Europe/Berlin');

    // Starting at 02:30 (before DAY_STARTS_AT): day 14 starts on 15 July at 02:30, so 02:00 is on time;
    // starting at 01:30, it is late.
    const early = await groupOf(app.app, 'Early shift', { ...schedule, startTime: '02:30' }, [['Night', 'Day']], '2026-07-01');
    const onTime = await get<RegisterBody>(app.app, `/api/v1/groups/${early.groupId}/register?from=2026-07-14&to=2026-07-14`);
    assert.deepEqual(onTime.days[0], { ...onTime.days[0], startsAt: '2026-07-15T02:30:00+02:00', lateAfter: '2026-07-15T02:30:00+02:00' });
    assert.deepEqual(cellsOf(onTime).Night, [['2026-07-14', 'present', '2026-07-15T02:00:00+02:00']]);
    await send(app.app, 'PATCH', `/api/v1/groups/${early.groupId}`, { schedule: { ...schedule, startTime: '01:30' } });
    const late = await get<RegisterBody>(app.app, `/api/v1/groups/${early.groupId}/register?from=2026-07-14&to=2026-07-14`);
    assert.deepEqual(cellsOf(late).Night, [['2026-07-14', 'late', '2026-07-15T02:00:00+02:00']]);
    // A start time at or after 04:00 is on the day's own date.
    await send(app.app, 'PATCH', `/api/v1/groups/${early.groupId}`, { schedule: { ...schedule, startTime: '04:00', graceMinutes: 5 } });
    const own = await get<RegisterBody>(app.app, `/api/v1/groups/${early.groupId}/register?from=2026-07-14&to=2026-07-14`);
    assert.deepEqual(own.days[0], { ...own.days[0], startsAt: '2026-07-14T04:00:00+02:00', lateAfter: '2026-07-14T04:05:00+02:00' });
  });

  test('checkins.csv?from=D&to=D holds the 02:00 check-in of D + 1, not the one of D', async () => {
    await app.database.query(
      `INSERT INTO checkins (firstname, lastname, gate, login, name_key) VALUES ('Dawn', 'Day', 'A', '2026-07-14T02:00:00+02:00', 'dawn day')`,
    );
    try {
      const response = await app.app.inject({ url: '/api/v1/checkins.csv?from=2026-07-14&to=2026-07-14' });
      assert.equal(response.statusCode, 200, response.body);
      const rows = response.body.trim().split('\r\n').slice(1);
      assert.deepEqual(
        rows.map((line) => line.split(',').slice(1, 2).concat(line.split(',')[3]!)),
        [['2026-07-15T02:00:00+02:00', 'Night']],
      );
      const before = await app.app.inject({ url: '/api/v1/checkins.csv?from=2026-07-13&to=2026-07-13' });
      assert.deepEqual(
        before.body
          .trim()
          .split('\r\n')
          .slice(1)
          .map((line) => line.split(',')[3]),
        ['Dawn', 'Before'],
      );
    } finally {
      await app.database.query(`DELETE FROM checkins WHERE firstname = 'Dawn'`);
    }
  });

  test('the seed API keeps calendar days: /table/view lists both on 15 July', async () => {
    const sheet = await get<{ firstname: string; login: string }[]>(app.app, '/table/view/date:20260715');
    assert.deepEqual(
      sheet.map((row) => [row.firstname, row.login]),
      [
        ['Night', '2026-07-15T02:00:00+02:00'],
        ['Morning', '2026-07-15T10:00:00+02:00'],
      ],
    );
  });
});

describe('the converted queries do not depend on the session time zone', () => {
  const env = { APP_TIMEZONE: 'Pacific/Kiritimati', DAY_STARTS_AT: '04:00', AUTH_MODE: 'open' };
  let database: TestDatabase;
  /** Its connections' session time zone is UTC, while APP_TIMEZONE is +14:00. */
  let utc: { app: FastifyInstance; db: Database };
  /** The same database, the session time zone set to APP_TIMEZONE as the service does today. */
  let matching: TestApp;
  const days = new AttendanceDays('Pacific/Kiritimati', '04:00');

  before(async () => {
    database = await createTestDatabase();
    matching = await build(env, { database });
    const config = loadConfig({ DATABASE_URL: database.url, ADMIN_PASSWORD, LOG_LEVEL: 'warn', ...env });
    const db = await openDatabase(config.database, { timezone: 'UTC' });
    const app = await buildApp({ config, db, readiness: new Readiness(db) }, { logger: false });
    await app.ready();
    utc = { app, db };
    assert.equal((await db.query<{ zone: string }>("SELECT current_setting('TimeZone') AS zone")).rows[0]!.zone, 'UTC');
    // Around the day start (04:00 +14:00 is 14:00 UTC the day before), and a row of today.
    for (const [firstname, login] of [
      ['Early', '2026-07-15T03:30:00+14:00'],
      ['Late', '2026-07-15T04:30:00.25+14:00'],
      ['Utc', '2026-07-14T23:59:00+00:00'],
    ]) {
      await database.query(`INSERT INTO checkins (firstname, lastname, gate, login, name_key) VALUES ($1, 'Zone', 'A', $2, $3)`, [
        firstname,
        login,
        `${firstname!.toLowerCase()} zone`,
      ]);
    }
  });
  after(async () => {
    await utc.app.close();
    await utc.db.close();
    await matching.close();
    await database.drop();
  });

  test('day lists, summaries, the seed sheet and single entries are the same, in +14:00', async () => {
    for (const url of [
      '/api/v1/checkins?date=2026-07-14',
      '/api/v1/checkins?date=2026-07-15',
      '/api/v1/days/2026-07-14/summary',
      '/api/v1/days/2026-07-15/summary',
      '/table/view/date:20260715',
      '/table/view/date:20260714',
    ]) {
      assert.deepEqual(await get(utc.app, url), await get(matching.app, url), url);
    }
    const list = await get<{ items: Entry[] }>(utc.app, '/api/v1/checkins?date=2026-07-15');
    assert.deepEqual(
      list.items.map((entry) => [entry.firstname, entry.occurredAt]),
      [
        ['Late', '2026-07-15T04:30:00.25+14:00'],
        ['Utc', '2026-07-15T13:59:00+14:00'],
      ],
    );
    assert.deepEqual(
      (await get<{ items: Entry[] }>(utc.app, '/api/v1/checkins?date=2026-07-14')).items.map((entry) => entry.firstname),
      ['Early'],
    );
    const summary = await get<{ startsAt: string; perHour: { start: string; localTime: string }[] }>(
      utc.app,
      '/api/v1/days/2026-07-15/summary',
    );
    assert.equal(summary.startsAt, '2026-07-15T04:00:00+14:00');
    assert.deepEqual(summary.perHour[0], { ...summary.perHour[0], start: '2026-07-15T04:00:00+14:00', localTime: '04:00' });
    const one = await get<Entry>(utc.app, `/api/v1/checkins/${list.items[0]!.id}`);
    assert.equal(one.occurredAt, '2026-07-15T04:30:00.25+14:00');
    assert.match(one.recordedAt, /\+14:00$/);
  });

  test('the register, a person’s attendance and the not-arrived list are the same, on attendance days in +14:00', async () => {
    // "Early Zone" checked in at 03:30 on the 15th (+14:00), so on the 14th; "Late Zone" at 04:30, on the 15th
    // (both on 14 July in UTC). "Absent Zone" never came.
    const { groupId, ids } = await groupOf(
      matching.app,
      'Zone crew',
      { dates: ['2026-07-14', '2026-07-15'], startTime: '09:00', graceMinutes: 10 },
      [
        ['Early', 'Zone'],
        ['Late', 'Zone'],
        ['Absent', 'Zone'],
      ],
      '2026-07-01',
    );
    await send(matching.app, 'PUT', `/api/v1/groups/${groupId}/register/2026-07-15/${ids[2]}`, { status: 'absent', reason: 'ill' });
    const url = `/api/v1/groups/${groupId}/register?from=2026-07-13&to=2026-07-15`;
    const register = await get<RegisterBody & { members: { attendance: { marked: { at: string } | null }[] }[] }>(utc.app, url);
    assert.deepEqual(register, await get(matching.app, url));
    assert.equal(register.timezone, 'Pacific/Kiritimati');
    assert.deepEqual(register.days[1], {
      ...register.days[1],
      startsAt: '2026-07-15T09:00:00+14:00',
      lateAfter: '2026-07-15T09:10:00+14:00',
    });
    assert.deepEqual(cellsOf(register), {
      Absent: [
        ['2026-07-14', 'absent', null],
        ['2026-07-15', 'absent', null],
      ],
      Early: [
        // After the 14th's 09:00 start: late, but on the 14th.
        ['2026-07-14', 'late', '2026-07-15T03:30:00+14:00'],
        ['2026-07-15', 'absent', null],
      ],
      Late: [
        ['2026-07-14', 'absent', null],
        ['2026-07-15', 'present', '2026-07-15T04:30:00.25+14:00'],
      ],
    });
    assert.match(register.members[0]!.attendance[1]!.marked!.at, /\+14:00$/);
    const csv = url.replace('register?', 'register.csv?');
    const csvOf = async (app: FastifyInstance) => {
      const response = await app.inject({ url: csv });
      assert.equal(response.statusCode, 200, response.body);
      return response.body;
    };
    const sheet = await csvOf(utc.app);
    assert.equal(sheet, await csvOf(matching.app));
    assert.match(sheet, /Zone,Early,,late,absent,/);

    const attendance = `/api/v1/people/${ids[0]}/attendance?from=2026-07-13&to=2026-07-15`;
    const history = await get<{ timezone: string; groups: { attendance: { date: string; status: string }[] }[] }>(utc.app, attendance);
    assert.deepEqual(history, await get(matching.app, attendance));
    assert.equal(history.timezone, 'Pacific/Kiritimati');
    assert.deepEqual(
      history.groups[0]!.attendance.map((cell) => [cell.date, cell.status]),
      [
        ['2026-07-14', 'late'],
        ['2026-07-15', 'absent'],
      ],
    );

    // The sheet's "not arrived yet" list of the 15th: Early and Absent (Late arrived).
    const notArrived = async (app: FastifyInstance) => {
      const admin = await signIn(app);
      const response = await admin.inject({ url: `/admin/sheet?group=${groupId}&date=2026-07-15` });
      assert.equal(response.statusCode, 200);
      const count = /id="arrival-count">([\s\S]*?)<\/p>/
        .exec(response.body)?.[1]
        ?.replace(/<[^>]+>/g, '')
        .replace(/\s+/g, ' ')
        .trim();
      const waiting = [...response.body.matchAll(/<li data-person-id="(\d+)"/g)].map((match) => Number(match[1]));
      return { count, waiting };
    };
    const list = await notArrived(utc.app);
    assert.deepEqual(list, await notArrived(matching.app));
    assert.deepEqual(list, { count: '2 of 3 not arrived (starts 09:00); 1 arrived', waiting: [ids[2], ids[0]] });
  });

  test('a new check-in, the occupancy and a person are written in +14:00 and counted in today', async () => {
    const created = await utc.app.inject({
      method: 'POST',
      url: '/api/v1/checkins',
      payload: { firstname: 'Now', lastname: 'Zone', gate: 'A' },
    });
    assert.equal(created.statusCode, 201, created.body);
    const entry = created.json<Entry>();
    assert.match(entry.occurredAt, /\+14:00$/);
    assert.equal(days.dayOf(entry.occurredAt), days.today());
    const occupancy = await get<{ date: string; inside: number; at: string }>(utc.app, '/api/v1/occupancy');
    assert.equal(occupancy.date, days.today());
    assert.ok(occupancy.inside >= 1);
    assert.match(occupancy.at, /\+14:00$/);
    const theirs = await get<{ inside: number; date: string }>(matching.app, '/api/v1/occupancy');
    assert.deepEqual([theirs.date, theirs.inside], [occupancy.date, occupancy.inside]);

    const person = await utc.app.inject({ method: 'POST', url: '/api/v1/people', payload: { firstname: 'Pat', lastname: 'Zone' } });
    assert.equal(person.statusCode, 201, person.body);
    const { id, createdAt } = person.json<{ id: number; createdAt: string }>();
    assert.match(createdAt, /\+14:00$/);
    assert.deepEqual(await get(utc.app, `/api/v1/people/${id}`), await get(matching.app, `/api/v1/people/${id}`));
  });
});

describe('exports and the audit log do not depend on the session time zone', () => {
  const env = { APP_TIMEZONE: 'Pacific/Kiritimati', DAY_STARTS_AT: '04:00' };
  let database: TestDatabase;
  /** Its connections' session time zone is UTC, while APP_TIMEZONE is +14:00. */
  let utc: { app: FastifyInstance; db: Database; admin: AdminSession };
  /** The same database, the session time zone set to APP_TIMEZONE. */
  let matching: TestApp & { admin: AdminSession };

  before(async () => {
    database = await createTestDatabase();
    const built = await build(env, { database });
    matching = Object.assign(built, { admin: await signIn(built.app) });
    const config = loadConfig({ DATABASE_URL: database.url, ADMIN_PASSWORD, LOG_LEVEL: 'warn', ...env });
    const db = await openDatabase(config.database, { timezone: 'UTC' });
    const app = await buildApp({ config, db, readiness: new Readiness(db) }, { logger: false });
    await app.ready();
    utc = { app, db, admin: await signIn(app) };
    // 2026-07-15 begins at 04:00 +14:00 (14:00 UTC on the 14th); recorded a day later than it happened.
    for (const [firstname, login] of [
      ['Early', '2026-07-15T03:30:00+14:00'],
      ['Late', '2026-07-15T04:30:00.25+14:00'],
      ['Last', '2026-07-16T03:59:59.999999+14:00'],
      ['Next', '2026-07-16T04:00:00+14:00'],
    ]) {
      await database.query(
        `INSERT INTO checkins (firstname, lastname, gate, login, recorded_at, name_key)
         VALUES ($1, 'Zone', 'A', $2, $2::timestamptz + interval '1 day 0.5 seconds', $3)`,
        [firstname, login, `${firstname!.toLowerCase()} zone`],
      );
    }
  });
  after(async () => {
    await utc.app.close();
    await utc.db.close();
    await matching.close();
    await database.drop();
  });

  async function read<T>(app: { admin: AdminSession }, url: string): Promise<T> {
    return JSON.parse(await text(app, url)) as T;
  }

  async function text(app: { admin: AdminSession }, url: string): Promise<string> {
    const response = await app.admin.inject({ url });
    assert.equal(response.statusCode, 200, `${url}: ${response.body}`);
    return response.body;
  }

  test('checkins.csv holds the attendance days asked for, its times in +14:00', async () => {
    const url = '/api/v1/checkins.csv?from=2026-07-15&to=2026-07-15';
    const csv = await text(utc, url);
    assert.equal(csv, await text(matching, url));
    const lines = csv.trim().split('\r\n');
    assert.deepEqual(
      lines.slice(1).map((line) => line.split(',').slice(1, 4)),
      [
        ['2026-07-15T04:30:00.25+14:00', '2026-07-16T04:30:00.75+14:00', 'Late'],
        ['2026-07-16T03:59:59.999999+14:00', '2026-07-17T04:00:00.499999+14:00', 'Last'],
      ],
    );
    const two = '/api/v1/checkins.csv?from=2026-07-14&to=2026-07-15&gate=A';
    assert.equal(await text(utc, two), await text(matching, two));
    assert.equal((await text(utc, two)).trim().split('\r\n').length, 4);
    // Chunk by chunk, the keyset resumes after exactly the last row, to the microsecond.
    const { exportCsv } = await import('../../src/features/checkins/csv.js');
    const days = new AttendanceDays('Pacific/Kiritimati', '04:00');
    let chunked = '';
    for await (const piece of exportCsv(utc.db, days, { from: '2026-07-14', to: '2026-07-16' }, { chunkRows: 1 })) chunked += String(piece);
    assert.equal(chunked, await text(matching, '/api/v1/checkins.csv?from=2026-07-14&to=2026-07-16'));
    assert.equal(chunked.trim().split('\r\n').length, 5);
  });

  test("a person's export (JSON and CSV) and the audit log are the same, in +14:00", async () => {
    const created = await utc.admin.inject({ method: 'POST', url: '/api/v1/people', payload: { firstname: 'Late', lastname: 'Zone' } });
    assert.equal(created.statusCode, 201, created.body);
    const { id } = created.json<{ id: number }>();
    const csvUrl = `/api/v1/people/${id}/export.csv`;
    const csv = await text(utc, csvUrl);
    assert.equal(csv, await text(matching, csvUrl));
    assert.match(csv, /\r\n\d+,2026-07-15T04:30:00\.25\+14:00,2026-07-16T04:30:00\.75\+14:00,Late,Zone,A,in,,name\r\n$/);

    interface Export {
      exportedAt: string;
      person: { createdAt: string };
      checkins: { occurredAt: string }[];
      audit: { at: string; action: string }[];
    }
    const first = await read<Export>(utc, `/api/v1/people/${id}/export`);
    const second = await read<Export>(matching, `/api/v1/people/${id}/export`);
    assert.match(first.exportedAt, /\+14:00$/);
    // The second export sees the record of the first (and the CSV exports) as well.
    assert.deepEqual(second.audit.slice(0, first.audit.length), first.audit);
    assert.equal(second.audit.length, first.audit.length + 1);
    assert.deepEqual({ ...second, exportedAt: '', audit: [] }, { ...first, exportedAt: '', audit: [] });
    assert.deepEqual(
      first.checkins.map((checkin) => checkin.occurredAt),
      ['2026-07-15T04:30:00.25+14:00'],
    );
    assert.ok(first.audit.length >= 3);
    for (const record of second.audit) assert.match(record.at, /\+14:00$/);

    const audit = await read<{ items: { at: string }[] }>(utc, '/api/v1/audit?limit=10');
    assert.deepEqual(audit, await read(matching, '/api/v1/audit?limit=10'));
    assert.ok(audit.items.length >= 4);
    for (const record of audit.items) assert.match(record.at, /\+14:00$/);
    // The page shows each record's local time (+14:00): <time datetime="…+14:00">7 Dec 2026, 20:32:05</time>.
    const times = async (app: { admin: AdminSession }) =>
      [...(await text(app, '/admin/audit')).matchAll(/<td class="nowrap"><time datetime="([^"]*)">([^<]*)<\/time><\/td>/g)].map(
        (m): [string, string] => [m[1]!, m[2]!],
      );
    const shown = await times(utc);
    assert.deepEqual(shown, await times(matching));
    assert.deepEqual(
      shown.slice(0, 10).map(([datetime]) => datetime),
      audit.items.map((record) => record.at),
    );
    for (const [datetime, readable] of shown) assert.ok(readable.includes(datetime.slice(11, 19)), `${readable} shows ${datetime}`);
  });

  test("the kiosk's roster, search and undo answer the same, in +14:00", async () => {
    for (const url of ['/api/v1/kiosk/roster', '/api/v1/kiosk/people?q=zone']) {
      assert.deepEqual(await read(utc, url), await read(matching, url), url);
    }
    for (const { admin: app } of [utc, matching]) {
      const created = await app.inject({
        method: 'POST',
        url: '/api/v1/checkins',
        payload: { firstname: 'Kiosk', lastname: 'Zone', gate: 'K' },
      });
      assert.equal(created.statusCode, 201, created.body);
      const entry = created.json<Entry>();
      const undone = await app.inject({ method: 'POST', url: `/api/v1/kiosk/checkins/${entry.id}/undo`, payload: { gate: 'K' } });
      assert.equal(undone.statusCode, 200, undone.body);
      assert.deepEqual(undone.json(), Object.fromEntries(Object.entries(entry).filter(([key]) => key !== 'duplicate')));
      assert.match(undone.json<Entry>().occurredAt, /\+14:00$/);
    }
  });
});

describe('inside now during an overnight event', () => {
  // A fixed-offset zone where it is now between 01:00 and 02:00, so local midnight was an hour or two ago.
  const utcHour = new Date().getUTCHours();
  let east = (((1 - utcHour) % 24) + 24) % 24;
  if (east > 14) east -= 24;
  const zone = east === 0 ? 'Etc/GMT' : `Etc/GMT${east > 0 ? '-' : '+'}${Math.abs(east)}`;
  let overnight: TestApp;
  let midnightDays: TestApp;

  before(async () => {
    overnight = await build({ APP_TIMEZONE: zone, DAY_STARTS_AT: '03:00', AUTH_MODE: 'open' });
    midnightDays = await build({ APP_TIMEZONE: zone, AUTH_MODE: 'open' }, { database: overnight.database });
    const midnight = new AttendanceDays(zone).current().start;
    await overnight.database.query(
      `INSERT INTO checkins (firstname, lastname, gate, login, name_key) VALUES ('Owl', 'Night', 'A', $1::timestamptz - interval '30 minutes', 'owl night')`,
      [midnight],
    );
  });
  after(async () => {
    await midnightDays.close();
    await overnight.close();
  });

  test('today in the register is the attendance day: upcoming before its start at 02:30, marking refused after it', async () => {
    const calendarToday = new AttendanceDays(zone).today();
    const today = addDays(calendarToday, -1); // the attendance day containing now (01:xx, before 03:00)
    // Start time 02:30, before DAY_STARTS_AT: on day `today` it is at 02:30 of the calendar date now, still ahead.
    const schedule = { dates: [addDays(today, -1), today, calendarToday], startTime: '02:30' };
    const { groupId, ids } = await groupOf(overnight.app, 'Night watch', schedule, [['Wes', 'Watch']], addDays(today, -7));
    const range = `from=${addDays(today, -1)}&to=${calendarToday}`;
    const register = await get<RegisterBody>(overnight.app, `/api/v1/groups/${groupId}/register?${range}`);
    assert.deepEqual(cellsOf(register).Wes, [
      [addDays(today, -1), 'absent', null],
      [today, 'upcoming', null],
      [calendarToday, 'upcoming', null],
    ]);
    assert.equal(register.days[1]!.startsAt!.slice(0, 16), `${calendarToday}T02:30`);
    // With midnight days, today is the calendar day, and yesterday's 02:30 has passed.
    const midnight = await get<RegisterBody>(midnightDays.app, `/api/v1/groups/${groupId}/register?${range}`);
    assert.deepEqual(
      cellsOf(midnight).Wes!.map((cell) => cell[1]),
      ['absent', 'absent', 'upcoming'],
    );
    // Marking: today (the attendance day) may be marked, the next day is in the future.
    const mark = (date: string) =>
      overnight.app.inject({ method: 'PUT', url: `/api/v1/groups/${groupId}/register/${date}/${ids[0]}`, payload: { status: 'present' } });
    assert.equal((await mark(today)).statusCode, 201);
    const future = await mark(calendarToday);
    assert.equal(future.statusCode, 400, future.body);
    assert.match(future.body, /future/);
  });

  test('with DAY_STARTS_AT=03:00 a check-in at 23:30 still counts at 01:00; with midnight days it would not', async () => {
    const calendarToday = new AttendanceDays(zone).today();
    const counted = await get<{ date: string; inside: number }>(overnight.app, '/api/v1/occupancy');
    assert.deepEqual(counted, { ...counted, date: addDays(calendarToday, -1), inside: 1 });
    const atMidnight = await get<{ date: string; inside: number }>(midnightDays.app, '/api/v1/occupancy');
    assert.deepEqual(atMidnight, { ...atMidnight, date: calendarToday, inside: 0 });
    const sheet = await get<{ items: Entry[] }>(overnight.app, `/api/v1/checkins?date=${addDays(calendarToday, -1)}`);
    assert.deepEqual(
      sheet.items.map((entry) => entry.firstname),
      ['Owl'],
    );
  });
});
