// GET /api/v1/groups/{id}/register(.csv) in Europe/Berlin, on a schedule spanning both DST changes of
// 2026, on PostgreSQL and PGlite: present, late, absent and excused counted from check-ins seeded at
// exact instants (by person id, and by free names matching exactly one member).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, assertProblem, BACKENDS, backendName, startApiServer, type ApiServer } from '../support/api.js';

interface Totals {
  present: number;
  late: number;
  absent: number;
  excused: number;
  upcoming: number;
}
interface Register {
  group: { id: number; name: string };
  from: string;
  to: string;
  timezone: string;
  days: { date: string; startsAt: string | null; lateAfter: string | null; totals: Totals }[];
  members: {
    person: { id: number; firstname: string; lastname: string; externalRef: string | null };
    membership: { since: string | null; until: string | null };
    attendance: {
      date: string;
      status: string;
      firstIn: string | null;
      lastOut: string | null;
      excuse: string | null;
      checkoutOnly: boolean;
      marked: { by: string; at: string; reason: string | null } | null;
    }[];
    totals: Totals;
    rate: number | null;
  }[];
}

// People seeded with fixed ids (the API numbers its own from 1).
const ANNA = 9001;
const ZOE = 9002;
const BEN1 = 9003;
const BEN2 = 9004;
const CARL = 9005;
const DORA = 9006; // not a member

const people: [number, string, string][] = [
  [ANNA, 'Anna', 'Müller'],
  [ZOE, 'Zoë', "O'Brien"],
  [BEN1, 'Ben', 'Twin'],
  [BEN2, 'Ben', 'Twin'],
  [CARL, 'Carl', 'Late'],
  [DORA, 'Dora', 'Outside'],
];

// [instant, person_id or null, firstname, lastname, direction, deleted]
const checkins: [string, number | null, string, string, 'in' | 'out', boolean?][] = [
  // Sat 2026-03-28 (CET, +01): start 09:00, late after 09:10.
  ['2026-03-28T08:55:00+01:00', ANNA, 'Anna', 'Müller', 'in'],
  ['2026-03-28T12:00:00+01:00', ANNA, 'Anna', 'Müller', 'out'],
  ['2026-03-28T17:00:00+01:00', ANNA, 'Anna', 'Müller', 'out'],
  ['2026-03-28T08:00:00+01:00', null, 'ZOE', 'obrien', 'in'], // free names, folded: Zoë O'Brien
  ['2026-03-28T08:30:00+01:00', null, 'Ben', 'Twin', 'in'], // two members share the name: counts for neither
  ['2026-03-28T09:11:00+01:00', CARL, 'Carl', 'Late', 'in'], // one minute after the grace period
  ['2026-03-28T08:00:00+01:00', DORA, 'Dora', 'Outside', 'in'],
  // Sun 2026-03-29, clocks go forward at 02:00: start 09:00+02 (07:00Z). 07:30Z is 09:30 local: late
  // (with the winter offset it would wrongly be 08:30, on time).
  ['2026-03-29T07:30:00Z', ANNA, 'Anna', 'Müller', 'in'],
  ['2026-03-29T08:00:00+02:00', CARL, 'Carl', 'Late', 'in'], // excused anyway
  // Mon 2026-03-30: 22:30Z on the 29th is 00:30 on the 30th in Berlin.
  ['2026-03-29T22:30:00Z', null, 'Zoe', 'O’Brien', 'in'],
  ['2026-03-30T08:00:00+02:00', BEN1, 'Ben', 'Twin', 'in'],
  ['2026-03-30T08:00:00+02:00', CARL, 'Carl', 'Late', 'in', true], // deleted: does not count
  // Sun 2026-10-25, clocks go back at 03:00: start 09:00+01 (08:00Z). 08:05Z is 09:05 local: on time
  // (with the summer offset it would wrongly be 10:05, late).
  ['2026-10-25T08:05:00Z', ANNA, 'Anna', 'Müller', 'in'],
  ['2026-10-25T02:30:00+01:00', null, 'zoë', 'o brien', 'in'], // the second 02:30 of the night
];

const SEED_SQL = [
  `INSERT INTO people (id, firstname, lastname, external_ref, badge) VALUES ${people
    .map(([id, first, last]) => `(${id}, '${first}', '${last.replace(/'/g, "''")}', 'R${id}', 'seededbadge${id}xxxxxxxx')`)
    .join(', ')};`,
  `INSERT INTO checkins (login, person_id, firstname, lastname, gate, direction, deleted_at) VALUES ${checkins
    .map(
      ([at, id, first, last, direction, deleted]) =>
        `('${at}', ${id ?? 'NULL'}, '${first}', '${last.replace(/'/g, "''")}', 'A', '${direction}', ${deleted ? 'now()' : 'NULL'})`,
    )
    .join(', ')};`,
].join('\n');

for (const backend of BACKENDS) {
  describe(`the attendance register on ${backendName(backend)}`, () => {
    let app: ApiServer;
    let base: string;
    let groupId: number;

    before(async () => {
      app = await startApiServer(backend, { APP_TIMEZONE: 'Europe/Berlin' }, SEED_SQL);
      base = `${app.server.url}/api/v1`;
      const created = await api<{ id: number }>(`${base}/groups`, {
        body: {
          name: 'Spring course',
          schedule: {
            from: '2026-03-28',
            to: '2026-03-31',
            weekdays: [1, 6, 7],
            dates: ['2026-10-25'],
            startTime: '09:00',
            graceMinutes: 10,
          },
        },
      });
      assert.equal(created.status, 201, created.text);
      groupId = created.body.id;
      // Members since before the course: every scheduled day counts.
      for (const id of [ANNA, ZOE, BEN1, BEN2, CARL]) {
        const added = await api(`${base}/groups/${groupId}/members/${id}`, { method: 'PUT', body: { since: '2026-03-01' } });
        assert.equal(added.status, 201, added.text);
      }
      const excused = await api(`${base}/groups/${groupId}/members/${CARL}/excuses/2026-03-29`, {
        method: 'PUT',
        body: { reason: 'Family' },
      });
      assert.equal(excused.status, 201, excused.text);
    });
    after(async () => app.stop());

    const register = async (from: string, to: string) => {
      const response = await api<Register>(`${base}/groups/${groupId}/register?from=${from}&to=${to}`);
      assert.equal(response.status, 200, response.text);
      return response.body;
    };

    test('scheduled days carry their local start and late-after instants across both DST changes', async () => {
      const r = await register('2026-03-01', '2026-12-31');
      assert.deepEqual(r.group, { id: groupId, name: 'Spring course' });
      assert.deepEqual([r.from, r.to, r.timezone], ['2026-03-01', '2026-12-31', 'Europe/Berlin']);
      assert.deepEqual(
        r.days.map((d) => [d.date, d.startsAt, d.lateAfter]),
        [
          ['2026-03-28', '2026-03-28T09:00:00+01:00', '2026-03-28T09:10:00+01:00'],
          ['2026-03-29', '2026-03-29T09:00:00+02:00', '2026-03-29T09:10:00+02:00'],
          ['2026-03-30', '2026-03-30T09:00:00+02:00', '2026-03-30T09:10:00+02:00'],
          ['2026-10-25', '2026-10-25T09:00:00+01:00', '2026-10-25T09:10:00+01:00'],
        ],
        'Tuesday 31 March is not a scheduled weekday',
      );
    });

    test('each member is present, late, absent or excused per day, with first arrival, last departure and rate', async () => {
      const r = await register('2026-03-28', '2026-10-25');
      const byId = new Map(r.members.map((m) => [m.person.id, m]));
      assert.deepEqual(
        r.members.map((m) => m.person.id),
        [CARL, ANNA, ZOE, BEN1, BEN2],
        'by last name, then first name, then id; Dora is not a member',
      );
      const statuses = (id: number) => byId.get(id)!.attendance.map((a) => a.status);
      assert.deepEqual(statuses(ANNA), ['present', 'late', 'absent', 'present']);
      assert.deepEqual(statuses(ZOE), ['present', 'absent', 'present', 'present']);
      assert.deepEqual(statuses(BEN1), ['absent', 'absent', 'present', 'absent']);
      assert.deepEqual(statuses(BEN2), ['absent', 'absent', 'absent', 'absent']);
      assert.deepEqual(statuses(CARL), ['late', 'excused', 'absent', 'absent']);

      const anna = byId.get(ANNA)!;
      assert.deepEqual(anna.attendance[0], {
        date: '2026-03-28',
        status: 'present',
        firstIn: '2026-03-28T08:55:00+01:00',
        lastOut: '2026-03-28T17:00:00+01:00',
        excuse: null,
        checkoutOnly: false,
        marked: null,
      });
      assert.equal(anna.attendance[1]!.firstIn, '2026-03-29T09:30:00+02:00');
      assert.equal(anna.attendance[3]!.firstIn, '2026-10-25T09:05:00+01:00');
      assert.equal(byId.get(ZOE)!.attendance[2]!.firstIn, '2026-03-30T00:30:00+02:00', 'counted on its local day');
      assert.equal(byId.get(ZOE)!.attendance[3]!.firstIn, '2026-10-25T02:30:00+01:00');
      const { marked, ...excused } = byId.get(CARL)!.attendance[1]!;
      assert.deepEqual(excused, {
        date: '2026-03-29',
        status: 'excused',
        firstIn: '2026-03-29T08:00:00+02:00',
        lastOut: null,
        excuse: 'Family',
        checkoutOnly: false,
      });
      assert.equal(marked?.by, 'anonymous (AUTH_MODE=open)', 'an excuse is a cell marked by hand, with who and why');
      assert.equal(marked?.reason, 'Family');

      assert.deepEqual(anna.totals, { present: 2, late: 1, absent: 1, excused: 0, upcoming: 0 });
      assert.equal(anna.rate, 0.75);
      assert.equal(byId.get(BEN2)!.rate, 0);
      assert.deepEqual(byId.get(CARL)!.totals, { present: 0, late: 1, absent: 2, excused: 1, upcoming: 0 });
      assert.equal(byId.get(CARL)!.rate, 0.3333, 'excused days do not count');

      assert.deepEqual(
        r.days.map((d) => d.totals),
        [
          { present: 2, late: 1, absent: 2, excused: 0, upcoming: 0 },
          { present: 0, late: 1, absent: 3, excused: 1, upcoming: 0 },
          { present: 2, late: 0, absent: 3, excused: 0, upcoming: 0 },
          { present: 2, late: 0, absent: 3, excused: 0, upcoming: 0 },
        ],
      );
    });

    test('withdrawing the excuse makes the day count again; a range without scheduled days is empty', async () => {
      const url = `${base}/groups/${groupId}/members/${CARL}/excuses/2026-03-29`;
      assert.equal((await api(url, { method: 'DELETE' })).status, 204);
      const r = await register('2026-03-29', '2026-03-29');
      const carl = r.members.find((m) => m.person.id === CARL)!;
      assert.deepEqual(
        carl.attendance.map((a) => a.status),
        ['present'],
        '08:00 local is on time',
      );
      assert.equal((await api(url, { method: 'PUT', body: { reason: 'Family' } })).status, 201);

      const empty = await register('2026-04-01', '2026-04-30');
      assert.deepEqual(empty.days, []);
      assert.equal(empty.members.length, 5);
      assert.ok(empty.members.every((m) => m.attendance.length === 0 && m.rate === null));
    });

    test('the CSV has one row per member and one column per scheduled day', async () => {
      const response = await api(`${base}/groups/${groupId}/register.csv?from=2026-03-28&to=2026-10-25`);
      assert.equal(response.status, 200, response.text);
      assert.match(response.headers.get('content-type') ?? '', /^text\/csv/);
      assert.match(response.headers.get('content-disposition') ?? '', /barona-register-\d+-2026-03-28_to_2026-10-25\.csv/);
      const lines = response.text.split('\r\n');
      assert.equal(lines[0], 'lastname,firstname,externalRef,2026-03-28,2026-03-29,2026-03-30,2026-10-25,present,late,absent,excused,rate');
      assert.equal(lines[1], `Late,Carl,R${CARL},late,excused,absent,absent,0,1,2,1,0.3333`);
      assert.equal(lines[2], `Müller,Anna,R${ANNA},present,late,absent,present,2,1,1,0,0.7500`);
      assert.equal(lines.length, 7, 'header, five members, and the final line end');
    });

    test('deleting a person keeps their check-ins, no longer linked to them', async () => {
      assert.equal((await api(`${base}/people/${DORA}`, { method: 'DELETE' })).status, 204);
      const sheet = await api<{ items: { firstname: string }[] }>(`${base}/checkins?date=2026-03-28&q=dora`);
      assert.deepEqual(
        sheet.body.items.map((c) => c.firstname),
        ['Dora'],
      );
    });

    test('bad ranges and unknown groups: a clear 4xx naming the field', async () => {
      assertProblem(await api(`${base}/groups/${groupId}/register?from=2026-01-01&to=2027-01-02`), 400, 'to');
      assert.equal((await api(`${base}/groups/${groupId}/register?from=2026-01-01&to=2027-01-01`)).status, 200, '366 days');
      assertProblem(await api(`${base}/groups/${groupId}/register?from=2026-03-10&to=2026-03-01`), 400, 'to');
      assertProblem(await api(`${base}/groups/${groupId}/register?from=2026-02-30&to=2026-03-01`), 400, 'from');
      assertProblem(await api(`${base}/groups/${groupId}/register?from=2026-03-01`), 400, 'to');
      assertProblem(await api(`${base}/groups/${groupId}/register?from=yesterday&to=2026-03-01`), 400, 'from');
      assertProblem(await api(`${base}/groups/999999999/register?from=2026-03-01&to=2026-03-02`), 404);
      assertProblem(await api(`${base}/groups/999999999/register.csv?from=2026-03-01&to=2026-03-02`), 404);
    });
  });
}
