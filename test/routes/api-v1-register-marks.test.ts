// The register as teachers take it, on PostgreSQL in UTC, with days relative to today: memberships with
// a first and last day (nothing counted outside them), today `upcoming` until start + grace, a day with
// only a check-out flagged and absent, the late boundary decided in whole seconds; cells marked by hand
// (PUT/DELETE /api/v1/groups/{id}/register/{date}/{personId}: shown with who and why, audited, refused
// with a 4xx naming the field), and a person's attendance across their groups.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { localDate } from '../../src/domain/calendar.js';
import { addDays } from '../../src/features/groups/schedule-views.js';
import { api, assertProblem, startApiServer, type ApiServer } from '../support/api.js';

interface Cell {
  date: string;
  status: string;
  firstIn: string | null;
  lastOut: string | null;
  excuse: string | null;
  checkoutOnly: boolean;
  marked: { by: string; at: string; reason: string | null } | null;
}
interface Totals {
  present: number;
  late: number;
  absent: number;
  excused: number;
  upcoming: number;
}
interface Register {
  days: { date: string; totals: Totals }[];
  members: {
    person: { id: number };
    membership: { since: string | null; until: string | null };
    attendance: Cell[];
    totals: Totals;
    rate: number | null;
  }[];
}
interface Member {
  id: number;
  since: string | null;
  until: string | null;
}

describe('register semantics, marking by hand and a person’s attendance', () => {
  let app: ApiServer;
  let base: string;
  let today: string;
  const d = (days: number) => addDays(today, days);
  let crew: number;
  const person: Record<'ada' | 'ben' | 'cleo' | 'dan', number> = { ada: 0, ben: 0, cleo: 0, dan: 0 };

  const createGroup = async (name: string, schedule: Record<string, unknown>) => {
    const created = await api<{ id: number }>(`${base}/groups`, { body: { name, schedule } });
    assert.equal(created.status, 201, created.text);
    return created.body.id;
  };
  const join = (groupId: number, personId: number, body?: Record<string, unknown>) =>
    api<Member>(`${base}/groups/${groupId}/members/${personId}`, { method: 'PUT', ...(body ? { body } : {}) });
  const register = async (groupId: number, from: string, to: string) => {
    const response = await api<Register>(`${base}/groups/${groupId}/register?from=${from}&to=${to}`);
    assert.equal(response.status, 200, response.text);
    return response.body;
  };
  const cellOf = (r: Register, personId: number, date: string) =>
    r.members.find((m) => m.person.id === personId)?.attendance.find((c) => c.date === date);
  const markUrl = (date: string, personId: number, groupId = crew) => `${base}/groups/${groupId}/register/${date}/${personId}`;

  before(async () => {
    // A group starting at 23:59 is upcoming all day but its last minute: never start in it.
    const now = new Date();
    if (now.getUTCHours() === 23 && now.getUTCMinutes() >= 58) await sleep((60 - now.getUTCSeconds() + 65) * 1000);
    today = localDate('UTC');
    app = await startApiServer('postgres', { APP_TIMEZONE: 'UTC' });
    base = `${app.server.url}/api/v1`;
    for (const [key, firstname] of [
      ['ada', 'Ada'],
      ['ben', 'Ben'],
      ['cleo', 'Cleo'],
      ['dan', 'Dan'],
    ] as const) {
      const created = await api<{ id: number }>(`${base}/people`, { body: { firstname, lastname: 'Marks' } });
      assert.equal(created.status, 201, created.text);
      person[key] = created.body.id;
    }
    crew = await createGroup('Crew', { from: d(-10), to: d(3), weekdays: [1, 2, 3, 4, 5, 6, 7], startTime: '09:00', graceMinutes: 10 });
    const at = (day: string, time: string) => `${day}T${time}Z`;
    const rows: [string, number, 'in' | 'out'][] = [
      [at(d(-6), '08:00:00'), person.ada, 'in'], // before Ada's membership: not counted
      [at(d(-4), '09:10:00.600'), person.ada, 'in'], // in the boundary minute, 09:10:00 in whole seconds: on time
      [at(d(-4), '09:10:01'), person.cleo, 'in'], // one second later: late
      [at(d(-3), '15:00:00'), person.ada, 'out'], // a departure without an arrival
      [at(d(-2), '08:00:00'), person.ben, 'in'], // Ben joins today: not counted
    ];
    await app.database!.query(
      `INSERT INTO checkins (login, person_id, firstname, lastname, gate, direction)
       SELECT r.at::timestamptz, r.id, p.firstname, p.lastname, 'A', r.direction
         FROM unnest($1::text[], $2::bigint[], $3::text[]) AS r(at, id, direction) JOIN people p ON p.id = r.id`,
      [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
    );
  });
  after(async () => app?.stop());

  test('membership: since defaults to today, until is optional, until before since is a 400 naming it', async () => {
    const ada = await join(crew, person.ada, { since: d(-5) });
    assert.equal(ada.status, 201, ada.text);
    assert.deepEqual([ada.body.since, ada.body.until], [d(-5), null]);
    const ben = await join(crew, person.ben);
    assert.equal(ben.status, 201, ben.text);
    assert.deepEqual([ben.body.since, ben.body.until], [today, null], 'counted from the day added');
    assert.equal((await join(crew, person.cleo, { since: d(-10), until: d(-3) })).status, 201);

    assertProblem(await join(crew, person.cleo, { until: d(-11) }), 400, 'until');
    assertProblem(await join(crew, person.dan, { since: d(-1), until: d(-2) }), 400, 'until');
    assertProblem(await join(crew, person.cleo, { since: 'yesterday' }), 400, 'since');
    assertProblem(await join(crew, person.cleo, { since: '2026-02-30' }), 400, 'since');
    const again = await join(crew, person.ada);
    assert.equal(again.status, 200, 'a member again, nothing given: nothing changes');
    assert.equal(again.body.since, d(-5));

    const members = await api<{ items: Member[] }>(`${base}/groups/${crew}/members`);
    assert.deepEqual(
      members.body.items.map((m) => [m.id, m.since, m.until]),
      [
        [person.ada, d(-5), null],
        [person.ben, today, null],
        [person.cleo, d(-10), d(-3)],
      ],
    );
    const audit = await app.database!.query<{ action: string }>(`SELECT action FROM audit_log WHERE action LIKE '%member%' ORDER BY id`);
    assert.deepEqual(
      audit.map((a) => a.action),
      ['add-member', 'add-member', 'add-member'],
      'refusals and no-ops leave no record',
    );
  });

  test('days outside the membership are not-member and count nowhere; a check-out alone is absent and flagged', async () => {
    const r = await register(crew, d(-10), d(-1));
    assert.deepEqual(
      r.members.map((m) => m.person.id),
      [person.ada, person.cleo],
      'Ben joined today: not a member of this range',
    );
    const ada = r.members.find((m) => m.person.id === person.ada)!;
    assert.deepEqual(
      ada.attendance.map((c) => c.status),
      ['not-member', 'not-member', 'not-member', 'not-member', 'not-member', 'absent', 'present', 'absent', 'absent', 'absent'],
    );
    assert.equal(cellOf(r, person.ada, d(-6))!.firstIn, `${d(-6)}T08:00:00+00:00`, 'the arrival is shown, not counted');
    assert.deepEqual(ada.totals, { present: 1, late: 0, absent: 4, excused: 0, upcoming: 0 });
    assert.equal(ada.rate, 0.2);
    assert.equal(cellOf(r, person.ada, d(-4))!.firstIn, `${d(-4)}T09:10:00.6+00:00`);

    const departure = cellOf(r, person.ada, d(-3))!;
    assert.deepEqual([departure.status, departure.checkoutOnly, departure.firstIn], ['absent', true, null]);
    assert.equal(cellOf(r, person.ada, d(-4))!.checkoutOnly, false);

    const cleo = r.members.find((m) => m.person.id === person.cleo)!;
    assert.deepEqual(cleo.membership, { since: d(-10), until: d(-3) });
    assert.equal(cellOf(r, person.cleo, d(-4))!.status, 'late', '09:10:01 is after 09:10:00');
    assert.equal(cellOf(r, person.cleo, d(-2))!.status, 'not-member', 'after until');
    assert.deepEqual(cleo.totals, { present: 0, late: 1, absent: 7, excused: 0, upcoming: 0 });
    assert.deepEqual(r.days.at(-1)!.totals, { present: 0, late: 0, absent: 1, excused: 0, upcoming: 0 }, 'only Ada counts');
  });

  test('today is upcoming until start + grace (all day without a start time), then absent', async () => {
    const late = await createGroup('Starts at 23:59', { dates: [today], startTime: '23:59' });
    const open = await createGroup('No start time', { dates: [today] });
    const early = await createGroup('Starts at midnight', { dates: [today], startTime: '00:00' });
    for (const groupId of [late, open, early]) assert.equal((await join(groupId, person.dan)).status, 201);
    for (const [groupId, status] of [
      [late, 'upcoming'],
      [open, 'upcoming'],
      [early, 'absent'],
    ] as const) {
      const r = await register(groupId, today, today);
      assert.equal(r.members[0]!.attendance[0]!.status, status, `group ${groupId}`);
      assert.equal(r.members[0]!.rate, status === 'upcoming' ? null : 0, 'upcoming days do not count in the rate');
    }
    const r = await register(crew, today, d(3));
    assert.deepEqual(
      r.members.find((m) => m.person.id === person.ben)!.attendance.map((c) => c.status),
      [new Date() > new Date(`${today}T09:10:00Z`) ? 'absent' : 'upcoming', 'upcoming', 'upcoming', 'upcoming'],
    );
  });

  test('a cell marked by hand shows who, when and why; marked again, then unmarked; each audited', async () => {
    const url = markUrl(d(-3), person.ada);
    const marked = await api<{ status: string; reason: string; markedBy: string; markedAt: string }>(url, {
      method: 'PUT',
      body: { status: 'present', reason: 'Forgot the badge' },
    });
    assert.equal(marked.status, 201, marked.text);
    assert.deepEqual(
      [marked.body.status, marked.body.reason, marked.body.markedBy],
      ['present', 'Forgot the badge', 'anonymous (AUTH_MODE=open)'],
    );
    let cell = cellOf(await register(crew, d(-3), d(-3)), person.ada, d(-3))!;
    assert.equal(cell.status, 'present');
    assert.equal(cell.checkoutOnly, true, 'the flag still tells what the check-ins say');
    assert.deepEqual(cell.marked, { by: 'anonymous (AUTH_MODE=open)', at: marked.body.markedAt, reason: 'Forgot the badge' });

    const again = await api(url, { method: 'PUT', body: { status: 'late' } });
    assert.equal(again.status, 200, again.text);
    assert.equal(cellOf(await register(crew, d(-3), d(-3)), person.ada, d(-3))!.status, 'late');

    assert.equal((await api(url, { method: 'DELETE' })).status, 204);
    cell = cellOf(await register(crew, d(-3), d(-3)), person.ada, d(-3))!;
    assert.deepEqual([cell.status, cell.marked], ['absent', null], 'back to what the check-ins say');
    assertProblem(await api(url, { method: 'DELETE' }), 404);

    const audit = await app.database!.query<{ action: string; before: unknown; after: unknown }>(
      `SELECT action, before, after FROM audit_log WHERE action IN ('mark', 'unmark') ORDER BY id`,
    );
    assert.deepEqual(audit, [
      { action: 'mark', before: null, after: { personId: person.ada, date: d(-3), status: 'present', reason: 'Forgot the badge' } },
      {
        action: 'mark',
        before: { personId: person.ada, date: d(-3), status: 'present', reason: 'Forgot the badge' },
        after: { personId: person.ada, date: d(-3), status: 'late', reason: null },
      },
      { action: 'unmark', before: { personId: person.ada, date: d(-3), status: 'late', reason: null }, after: null },
    ]);
  });

  test('excused by hand is an excuse the previous release reads too; marking otherwise replaces it', async () => {
    const url = markUrl(d(-2), person.ada);
    assertProblem(await api(url, { method: 'PUT', body: { status: 'excused' } }), 400, 'reason');
    assert.equal((await api(url, { method: 'PUT', body: { status: 'excused', reason: 'Ill' } })).status, 201);
    const cell = cellOf(await register(crew, d(-2), d(-2)), person.ada, d(-2))!;
    assert.deepEqual([cell.status, cell.excuse, cell.marked?.reason], ['excused', 'Ill', 'Ill']);
    assert.equal((await app.database!.query('SELECT 1 FROM excuses')).length, 1);
    assert.equal((await api(url, { method: 'PUT', body: { status: 'absent' } })).status, 200);
    assert.equal((await app.database!.query('SELECT 1 FROM excuses')).length, 0);
    assert.equal(cellOf(await register(crew, d(-2), d(-2)), person.ada, d(-2))!.status, 'absent');
    assert.equal((await api(url, { method: 'DELETE' })).status, 204);
  });

  test('a cell that cannot be marked: a clear 4xx naming the field, nothing written', async () => {
    const [{ n: before } = { n: 0 }] = await app.database!.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log');
    const put = (date: string, personId: number, body: unknown) => api(markUrl(date, personId), { method: 'PUT', body });
    const refused = [
      [await put(d(1), person.ada, { status: 'present' }), 400, 'date', /in the future/],
      [await put(d(-6), person.ada, { status: 'present' }), 400, 'date', /before person \d+ became a member/],
      [await put(d(-2), person.cleo, { status: 'present' }), 400, 'date', /membership ended/],
      [await put(d(-11), person.cleo, { status: 'present' }), 400, 'date', /not a scheduled day/],
      [await put('2026-02-30', person.ada, { status: 'present' }), 400, 'date', /calendar date/],
      [await put(d(-1), person.ada, { status: 'sick' }), 400, 'status', /./],
      [await put(d(-1), person.ada, { reason: 'no status' }), 400, 'status', /./],
      [await put(d(-1), person.ada, { status: 'present', reason: '   ' }), 201, undefined, /./],
    ] as const;
    for (const [response, status, field, detail] of refused) {
      if (status === 201) {
        assert.equal(response.status, 201, response.text);
        continue;
      }
      assertProblem(response, status, field);
      assert.match(response.text, detail);
    }
    assertProblem(await put(d(-1), person.dan, { status: 'present' }), 404);
    assertProblem(await api(`${base}/groups/999999/register/${d(-1)}/${person.ada}`, { method: 'PUT', body: { status: 'present' } }), 404);
    const [{ n: afterCount } = { n: 0 }] = await app.database!.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log');
    assert.equal(afterCount, before + 1, 'only the one accepted mark (a blank reason is no reason)');
    assert.equal(cellOf(await register(crew, d(-1), d(-1)), person.ada, d(-1))!.marked?.reason, null);
  });

  test('a person’s attendance: each group with the register’s statuses, totals and rate', async () => {
    const response = await api<{
      person: { id: number };
      from: string;
      to: string;
      groups: { group: { id: number; name: string }; membership: unknown; attendance: Cell[]; totals: Totals; rate: number | null }[];
    }>(`${base}/people/${person.ada}/attendance?from=${d(-10)}&to=${d(-1)}`);
    assert.equal(response.status, 200, response.text);
    const { groups } = response.body;
    assert.deepEqual(
      groups.map((g) => g.group.name),
      ['Crew'],
    );
    const r = await register(crew, d(-10), d(-1));
    const row = r.members.find((m) => m.person.id === person.ada)!;
    assert.deepEqual(groups[0]!.attendance, row.attendance, 'the same cells as the register');
    assert.deepEqual([groups[0]!.totals, groups[0]!.rate], [row.totals, row.rate]);
    assert.deepEqual(groups[0]!.membership, { since: d(-5), until: null });

    const byDefault = await api<{ from: string; to: string; groups: { group: { name: string } }[] }>(
      `${base}/people/${person.dan}/attendance`,
    );
    assert.equal(byDefault.status, 200, byDefault.text);
    assert.deepEqual([byDefault.body.from, byDefault.body.to], [d(-29), today], 'the last 30 days up to today');
    assert.deepEqual(byDefault.body.groups.map((g) => g.group.name).sort(), ['No start time', 'Starts at 23:59', 'Starts at midnight']);

    assertProblem(await api(`${base}/people/999999/attendance`), 404);
    assertProblem(await api(`${base}/people/${person.ada}/attendance?from=nope`), 400, 'from');
    assertProblem(await api(`${base}/people/${person.ada}/attendance?from=${d(-1)}&to=${d(-2)}`), 400, 'to');
  });
});
