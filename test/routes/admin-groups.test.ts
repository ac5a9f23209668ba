// The group pages and the register page refuse bad input with a page that names the field (never a
// 500): unknown groups, schedules the domain refuses, register ranges, marks, broken or large CSV
// pasted into the import form. In-process (buildApp + inject) against a real PostgreSQL database,
// AUTH_MODE=token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { localDate } from '../../src/domain/calendar.js';
import { build, signIn, type AdminSession, type TestApp } from '../support/app.js';

describe('admin pages for groups and the register', () => {
  let t: TestApp;
  let admin: AdminSession;
  let groupId: number;

  before(async () => {
    t = await build({ AUTH_MODE: 'token', APP_TIMEZONE: 'Europe/Berlin' });
    admin = await signIn(t.app);
  });
  after(async () => {
    await t.close();
  });

  /** A form post with repeated fields (checkboxes) as a browser sends it. */
  const post = (url: string, fields: [string, string][]) =>
    admin.inject({
      method: 'POST',
      url,
      payload: new URLSearchParams([['_csrf', admin.csrf], ...fields]).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  const schedule = (changes: Record<string, string> = {}): [string, string][] => [
    ...Object.entries({
      name: 'Choir',
      from: '2026-03-02',
      to: '2026-03-29',
      dates: '',
      startTime: '18:00',
      graceMinutes: '5',
      ...changes,
    }),
    ['weekdays', '1'],
    ['weekdays', '4'],
  ];
  /** The text of the error message under a field, by the field's id. */
  const errorOf = (body: string, id: string) => new RegExp(`id="${id}-error">([^<]*)<`).exec(body)?.[1];

  test('a schedule the domain refuses comes back with the message next to its field, nothing stored', async () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ name: '   ' }, 'new-name', /must not be blank/],
      [{ to: '2026-03-01' }, 'new-to', /must not be before schedule.from/],
      [{ from: '' }, 'new-from', /is required with the other end/],
      [{ from: '2026-02-30' }, 'new-from', /is not a calendar date/],
      [{ dates: '2026-03-05' }, 'new-dates', /2026-03-05 overlaps the weekly schedule/],
      [{ dates: '2026-04-01, 2026-04-01' }, 'new-dates', /listed twice/],
      [{ startTime: '25:00' }, 'new-start', /is not a time HH:MM/],
      [{ graceMinutes: '-1' }, 'new-grace', /whole number of minutes from 0 to 1440/],
      [{ graceMinutes: 'soon' }, 'new-grace', /whole number of minutes/],
    ];
    for (const [changes, id, message] of cases) {
      const answer = await post('/admin/groups', schedule(changes));
      assert.equal(answer.statusCode, 400, JSON.stringify(changes));
      assert.match(errorOf(answer.body, id) ?? '', message, `${JSON.stringify(changes)} → #${id}`);
      assert.match(answer.body, new RegExp(`id="${id}"[^>]* aria-invalid="true" aria-describedby="${id}-error"`));
    }
    const weekday = await post('/admin/groups', [...schedule(), ['weekdays', '9']]);
    assert.equal(weekday.statusCode, 400);
    assert.match(errorOf(weekday.body, 'new-weekdays') ?? '', /must be 1 \(Monday\) to 7 \(Sunday\)/);
    assert.equal((await t.database.query('SELECT 1 FROM groups')).length, 0);
  });

  test('a valid group is created and audited; its page shows the schedule in words', async () => {
    const created = await post('/admin/groups', schedule({ dates: '2026-04-01\n2026-04-02' }));
    assert.equal(created.statusCode, 303, created.body);
    groupId = Number(/\/admin\/groups\/(\d+)\?done=created$/.exec(created.headers.location as string)?.[1]);
    const shown = await admin.inject({ url: `/admin/groups/${groupId}` });
    assert.equal(shown.statusCode, 200);
    assert.match(
      shown.body,
      /Mon and Thu, 2026-03-02 to 2026-03-29, plus 2026-04-01 and 2026-04-02; starts 18:00, late after 5 min · 0 members/,
    );
    const list = await admin.inject({ url: '/admin/groups' });
    assert.match(list.body, /<a class="person" href="\/admin\/groups\/\d+">Choir<\/a>/);
    const audit = await t.database.query(`SELECT actor, action FROM audit_log WHERE entity = 'group'`);
    assert.deepEqual(audit, [{ actor: 'admin', action: 'create' }]);

    const weekdays = (days: number[]) => days.map((day): [string, string] => ['weekdays', String(day)]);
    const workweek = await post('/admin/groups', [
      ...schedule({ name: 'Office', startTime: '09:00', graceMinutes: '0' }).filter(([k]) => k !== 'weekdays'),
      ...weekdays([5, 1, 2, 3, 4, 7]),
    ]);
    assert.equal(workweek.statusCode, 303, workweek.body);
    const listed = await admin.inject({ url: '/admin/groups' });
    assert.match(listed.body, /Mon–Fri and Sun, 2026-03-02 to 2026-03-29; starts 09:00, no grace period/);
    const office = Number(/(\d+)\?done=created$/.exec(workweek.headers.location as string)?.[1]);
    assert.equal((await post(`/admin/groups/${office}/delete`, [])).statusCode, 303);
  });

  test('unknown or malformed group ids answer a 404 page, never a 500', async () => {
    for (const url of [
      '/admin/groups/999999',
      '/admin/groups/abc',
      '/admin/groups/99999999999999999999/register',
      '/admin/groups/1.5/register',
    ]) {
      const answer = await admin.inject({ url });
      assert.equal(answer.statusCode, 404, url);
      assert.match(answer.body, /No group #/);
    }
    for (const url of [
      '/admin/groups/999999',
      '/admin/groups/999999/delete',
      '/admin/groups/999999/import',
      '/admin/groups/999999/excuses',
      '/admin/groups/999999/register/mark',
      '/admin/groups/999999/register/unmark',
    ]) {
      assert.equal((await post(url, [['csv', 'firstname,lastname']])).statusCode, 404, url);
    }
  });

  test('the register refuses a bad range next to its field', async () => {
    const cases: [string, string, RegExp][] = [
      ['from=2026-01-01&to=2027-01-02', 'register-to', /at most 366 days \(this one has 367\)/],
      ['from=2026-03-10&to=2026-03-01', 'register-to', /must not be before from/],
      ['from=yesterday&to=2026-03-01', 'register-from', /&quot;yesterday&quot; is not a calendar date/],
      ['from=2026-02-30&to=2026-03-01', 'register-from', /&quot;2026-02-30&quot; is not a calendar date/],
    ];
    for (const [query, id, message] of cases) {
      const answer = await admin.inject({ url: `/admin/groups/${groupId}/register?${query}` });
      assert.equal(answer.statusCode, 400, query);
      assert.match(errorOf(answer.body, id) ?? '', message, query);
      assert.doesNotMatch(answer.body, /id="register-table"/);
    }
    // Without a range: the current month, or the schedule's last month once it is over (first, before it starts).
    const today = localDate('Europe/Berlin');
    const expected = today > '2026-04-02' ? '2026-04-01' : today < '2026-03-02' ? '2026-03-01' : `${today.slice(0, 7)}-01`;
    const opened = await admin.inject({ url: `/admin/groups/${groupId}/register` });
    assert.equal(opened.statusCode, 200);
    assert.match(opened.body, new RegExp(`id="register-from"\\s+name="from"\\s+value="${expected}"`));
    const empty = await admin.inject({ url: `/admin/groups/${groupId}/register?from=2026-03-01&to=2026-03-31` });
    assert.equal(empty.statusCode, 200);
    assert.match(empty.body, /No members in this range/);
  });

  test('import from the form: a broken file is refused by line, a large pasted file goes through', async () => {
    const broken = await post(`/admin/groups/${groupId}/import`, [
      ['csv', 'firstname,lastname\n"Ada,Lovelace\n'],
      ['mode', 'import'],
    ]);
    assert.equal(broken.statusCode, 400);
    assert.match(broken.body, /Nothing was imported/);
    assert.match(broken.body, /<td class="mono">2<\/td>\s*<td><code>csv<\/code><\/td>\s*<td>is not valid CSV/);
    const header = await post(`/admin/groups/${groupId}/import`, [['csv', 'name,surname\nAda,Lovelace\n']]);
    assert.equal(header.statusCode, 400);
    assert.match(header.body, /column 1 &quot;name&quot; is not one of firstname, lastname, externalRef, email/);

    // Far more than the 16 KB of an ordinary form.
    const lines = Array.from({ length: 1500 }, (_, i) => `Member ${i},Choir-${i},C-${i},member${i}@example.org`);
    const csv = ['firstname,lastname,externalRef,email', ...lines].join('\n');
    assert.ok(csv.length > 64 * 1024);
    const preview = await post(`/admin/groups/${groupId}/import`, [
      ['csv', csv],
      ['mode', 'preview'],
    ]);
    assert.equal(preview.statusCode, 200, preview.body.slice(0, 300));
    assert.match(preview.body, /1500 lines: 1500 new people, 0 updated, 0 unchanged; 1500 new members/);
    assert.match(preview.body, /and 500 more lines/);
    assert.match(preview.body, /Import 1500 lines/);
    assert.equal((await t.database.query('SELECT 1 FROM people')).length, 0);
    const imported = await post(`/admin/groups/${groupId}/import`, [
      ['csv', csv],
      ['mode', 'import'],
    ]);
    assert.equal(imported.statusCode, 303);
    assert.match(imported.headers.location as string, /done=imported&created=1500&updated=0&unchanged=0&added=1500$/);
    assert.equal((await t.database.query('SELECT 1 FROM group_members')).length, 1500);
    const again = await post(`/admin/groups/${groupId}/import`, [['csv', csv]]);
    assert.match(again.body, /1500 lines: 0 new people, 0 updated, 1500 unchanged; 0 new members/);
  });

  test('marking from the register: refusals are named, an excuse shows in the grid', async () => {
    const [person] = await t.database.query<{ id: string }>(`SELECT id FROM people WHERE external_ref = 'C-7'`);
    // Imported today, they are counted from today: members since March instead.
    await t.database.query(`UPDATE group_members SET since = '2026-03-01'`);
    const range: [string, string][] = [
      ['from', '2026-03-01'],
      ['to', '2026-03-31'],
    ];
    const refusals: [[string, string][], number, RegExp][] = [
      [
        [
          ['personId', ''],
          ['date', '2026-03-02'],
          ['reason', 'Ill'],
        ],
        400,
        /id="mark-person-error">choose a member/,
      ],
      [
        [
          ['personId', person!.id],
          ['date', '2026-03-03'],
          ['reason', 'Ill'],
        ],
        400,
        /id="mark-date-error">2026-03-03 is not a scheduled day/,
      ],
      [
        [
          ['personId', person!.id],
          ['date', '2026-03-02'],
          ['reason', ' '],
        ],
        400,
        /id="mark-reason-error">an excused day needs a reason/,
      ],
      [
        [
          ['personId', '999999'],
          ['date', '2026-03-02'],
          ['reason', 'Ill'],
        ],
        404,
        /Person 999999 is not a member/,
      ],
    ];
    for (const [fields, status, message] of refusals) {
      const answer = await post(`/admin/groups/${groupId}/register/mark`, [...range, ['status', 'excused'], ...fields]);
      assert.equal(answer.statusCode, status, JSON.stringify(fields));
      assert.match(answer.body, message);
    }
    const excused = await post(`/admin/groups/${groupId}/register/mark`, [
      ...range,
      ['status', 'excused'],
      ['personId', person!.id],
      ['date', '2026-03-02'],
      ['reason', 'Choir <trip>'],
    ]);
    assert.equal(excused.statusCode, 303);
    assert.equal(excused.headers.location, `/admin/groups/${groupId}/register?from=2026-03-01&to=2026-03-31&done=marked#mark`);
    const register = await admin.inject({ url: `/admin/groups/${groupId}/register?from=2026-03-01&to=2026-03-31` });
    assert.match(
      register.body,
      /<td class="st-excused reg-marked" title="marked by admin, [\d-]+ [\d:]+: Choir &lt;trip&gt;">excused<small class="reg-flag">marked<\/small><\/td>/,
    );
    assert.equal(register.body.match(/<td class="st-/g)?.length, 1500 * 8, '1,500 members × 8 scheduled days');

    const withdrawn = await post(`/admin/groups/${groupId}/register/unmark`, [...range, ['personId', person!.id], ['date', '2026-03-02']]);
    assert.equal(withdrawn.statusCode, 303);
    const twice = await post(`/admin/groups/${groupId}/register/unmark`, [...range, ['personId', person!.id], ['date', '2026-03-02']]);
    assert.equal(twice.statusCode, 404);
    assert.match(twice.body, /on 2026-03-02 in group \d+ is not marked/);
  });
});
