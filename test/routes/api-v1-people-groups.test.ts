// /api/v1/people and /api/v1/groups (schedule, members, excuses, CSV import) through HTTP against the
// running service, on PostgreSQL and PGlite.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, assertProblem, BACKENDS, backendName, startApiServer, type ApiServer } from '../support/api.js';

interface Person {
  id: number;
  firstname: string;
  lastname: string;
  externalRef: string | null;
  email: string | null;
  badge: string;
}
interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
interface Group {
  id: number;
  name: string;
  schedule: { from: string | null; to: string | null; weekdays: number[]; dates: string[]; startTime: string | null; graceMinutes: number };
  memberCount: number;
}
interface ImportResult {
  dryRun: boolean;
  created: number;
  updated: number;
  unchanged: number;
  added: number;
  lines: { line: number; result: string; personId: number | null; newMember: boolean }[];
}

let serial = 0;
/** An external reference no other test uses. */
const ref = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${++serial}`;

for (const backend of BACKENDS) {
  describe(`/api/v1/people and /api/v1/groups on ${backendName(backend)}`, () => {
    let app: ApiServer;
    let base: string;
    const person = async (body: Record<string, unknown>) => {
      const created = await api<Person>(`${base}/people`, { body });
      assert.equal(created.status, 201, created.text);
      return created.body;
    };
    const group = async (body: Record<string, unknown>) => {
      const created = await api<Group>(`${base}/groups`, { body });
      assert.equal(created.status, 201, created.text);
      return created.body;
    };
    const csv = (groupId: number, text: string, dryRun = false) =>
      api<ImportResult>(`${base}/groups/${groupId}/members/import${dryRun ? '?dryRun=true' : ''}`, {
        body: text,
        headers: { 'content-type': 'text/csv; charset=utf-8' },
      });

    before(async () => {
      app = await startApiServer(backend);
      base = `${app.server.url}/api/v1`;
    });
    after(async () => app.stop());

    test('a person is created with a random URL-safe badge, read, changed, reissued and deleted', async () => {
      const externalRef = ref('S');
      const ada = await person({ firstname: ' Ada ', lastname: 'Lovelace', externalRef, email: 'ada@example.org' });
      assert.deepEqual([ada.firstname, ada.lastname, ada.externalRef, ada.email], ['Ada', 'Lovelace', externalRef, 'ada@example.org']);
      assert.match(ada.badge, /^[A-Za-z0-9_-]{24}$/);
      const other = await person({ firstname: 'Charles', lastname: 'Babbage' });
      assert.notEqual(other.badge, ada.badge);
      assert.equal(other.externalRef, null);

      assert.deepEqual((await api<Person>(`${base}/people/${ada.id}`)).body, ada);
      const changed = await api<Person>(`${base}/people/${ada.id}`, { method: 'PATCH', body: { lastname: 'King', email: null } });
      assert.equal(changed.status, 200, changed.text);
      assert.deepEqual(
        [changed.body.firstname, changed.body.lastname, changed.body.email, changed.body.badge],
        ['Ada', 'King', null, ada.badge],
      );

      const reissued = await api<Person>(`${base}/people/${ada.id}/badge`, { method: 'POST' });
      assert.equal(reissued.status, 200, reissued.text);
      assert.notEqual(reissued.body.badge, ada.badge);
      assert.match(reissued.body.badge, /^[A-Za-z0-9_-]{24}$/);

      assert.equal((await api(`${base}/people/${ada.id}`, { method: 'DELETE' })).status, 204);
      assertProblem(await api(`${base}/people/${ada.id}`), 404);
      assertProblem(await api(`${base}/people/${ada.id}`, { method: 'DELETE' }), 404);
    });

    test('bad people input: a clear 4xx naming the field', async () => {
      const externalRef = ref('DUP');
      await person({ firstname: 'First', lastname: 'Holder', externalRef });
      assertProblem(await api(`${base}/people`, { body: { firstname: 'Second', lastname: 'Holder', externalRef } }), 409, 'externalRef');
      assertProblem(await api(`${base}/people`, { body: { firstname: '   ', lastname: 'X' } }), 400, 'firstname');
      assertProblem(await api(`${base}/people`, { body: { firstname: 'A', lastname: 'B', email: 'not-an-address' } }), 400, 'email');
      assertProblem(await api(`${base}/people`, { body: { firstname: 'A' } }), 400, 'lastname');
      assertProblem(await api(`${base}/people`, { body: { firstname: 'A', lastname: 'B', badge: 'mine' } }), 400, 'badge');
      assertProblem(await api(`${base}/people/abc`), 400, 'id');
      assertProblem(await api(`${base}/people/1`, { method: 'PATCH', body: {} }), 400);
      assertProblem(await api(`${base}/people?cursor=nonsense`), 400, 'cursor');
    });

    test('search ignores case, accents, punctuation and word order, finds external references, and pages by keyset', async () => {
      const tag = `Zq${process.pid}${Date.now().toString(36)}`;
      const zolc = await person({ firstname: 'Żółć', lastname: `Gęślą${tag}` });
      const obrien = await person({ firstname: 'Mary', lastname: `O'Brien${tag}`, externalRef: `${tag}-77` });
      const ada = await person({ firstname: 'Ada', lastname: `Lovelace${tag}` });
      const ids = async (q: string) =>
        (await api<Page<Person>>(`${base}/people?q=${encodeURIComponent(q)}&limit=50`)).body.items.map((p) => p.id);
      assert.deepEqual(await ids(`zolc gesla${tag}`), [zolc.id]);
      assert.deepEqual(await ids(`obrien${tag}`), [obrien.id]);
      assert.deepEqual(await ids(`O’BRIEN${tag.toUpperCase()}`), [obrien.id]);
      assert.deepEqual(await ids(`Lovelace${tag}, Ada`), [ada.id]);
      assert.deepEqual(await ids(`${tag}-77`), [obrien.id]);
      assert.deepEqual(await ids(tag), [zolc.id, obrien.id, ada.id]);

      const first = await api<Page<Person>>(`${base}/people?q=${tag}&limit=2`);
      assert.deepEqual(
        first.body.items.map((p) => p.id),
        [zolc.id, obrien.id],
      );
      assert.ok(first.body.nextCursor);
      const second = await api<Page<Person>>(`${base}/people?q=${tag}&limit=2&cursor=${first.body.nextCursor}`);
      assert.deepEqual(
        second.body.items.map((p) => p.id),
        [ada.id],
      );
      assert.equal(second.body.nextCursor, null);
      assertProblem(await api(`${base}/people?q=other&limit=2&cursor=${first.body.nextCursor}`), 400, 'cursor');
    });

    test('a group has a schedule of weekdays in a range plus dates; it is read, listed, changed and deleted', async () => {
      const created = await group({
        name: ' Class 4b ',
        schedule: { from: '2026-09-01', to: '2026-12-18', weekdays: [5, 1, 3], dates: ['2026-12-19'], startTime: '08:15', graceMinutes: 5 },
      });
      assert.equal(created.name, 'Class 4b');
      assert.deepEqual(created.schedule, {
        from: '2026-09-01',
        to: '2026-12-18',
        weekdays: [1, 3, 5],
        dates: ['2026-12-19'],
        startTime: '08:15',
        graceMinutes: 5,
      });
      assert.equal(created.memberCount, 0);
      assert.deepEqual((await api<Group>(`${base}/groups/${created.id}`)).body, created);
      const listed = await api<Page<Group>>(`${base}/groups?limit=500`);
      assert.ok(listed.body.items.some((g) => g.id === created.id));

      const renamed = await api<Group>(`${base}/groups/${created.id}`, { method: 'PATCH', body: { name: 'Class 5b' } });
      assert.equal(renamed.status, 200, renamed.text);
      assert.deepEqual([renamed.body.name, renamed.body.schedule], ['Class 5b', created.schedule]);
      const rescheduled = await api<Group>(`${base}/groups/${created.id}`, {
        method: 'PATCH',
        body: { schedule: { dates: ['2026-12-24'] } },
      });
      assert.deepEqual(rescheduled.body.schedule, {
        from: null,
        to: null,
        weekdays: [],
        dates: ['2026-12-24'],
        startTime: null,
        graceMinutes: 0,
      });

      assert.equal((await api(`${base}/groups/${created.id}`, { method: 'DELETE' })).status, 204);
      assertProblem(await api(`${base}/groups/${created.id}`), 404);
    });

    test('bad schedules: a clear 400 naming the field', async () => {
      const bad = async (schedule: Record<string, unknown>, field: string) =>
        assertProblem(await api(`${base}/groups`, { body: { name: 'G', schedule } }), 400, field);
      await bad({ from: '2026-09-01', weekdays: [1] }, 'schedule.to');
      await bad({ weekdays: [1] }, 'schedule.from');
      await bad({ from: '2026-09-10', to: '2026-09-01', weekdays: [1] }, 'schedule.to');
      await bad({ from: '2026-02-30', to: '2026-03-01' }, 'schedule.from');
      await bad({ from: '2026-09-01', to: '2026-09-30', weekdays: [2, 2] }, 'schedule.weekdays.1');
      await bad({ weekdays: [8] }, 'schedule.weekdays.0');
      await bad({ dates: ['2026-10-01', '2026-10-01'] }, 'schedule.dates.1');
      // 2026-09-07 is a Monday inside the weekly range: the two parts of the schedule overlap.
      await bad({ from: '2026-09-01', to: '2026-09-30', weekdays: [1], dates: ['2026-09-07'] }, 'schedule.dates.0');
      await bad({ startTime: '25:00' }, 'schedule.startTime');
      await bad({ graceMinutes: -1 }, 'schedule.graceMinutes');
      assertProblem(await api(`${base}/groups`, { body: { name: '  ' } }), 400, 'name');
    });

    test('members: PUT is idempotent (201, then 200), GET lists them by name, DELETE removes them', async () => {
      const g = await group({ name: 'Crew' });
      const zed = await person({ firstname: 'Zed', lastname: 'Zulu' });
      const amy = await person({ firstname: 'Amy', lastname: 'Alpha' });
      const first = await api<Person>(`${base}/groups/${g.id}/members/${zed.id}`, { method: 'PUT' });
      assert.equal(first.status, 201, first.text);
      assert.equal(first.body.id, zed.id);
      const again = await api<Person>(`${base}/groups/${g.id}/members/${zed.id}`, { method: 'PUT' });
      assert.equal(again.status, 200, 'adding a member twice changes nothing');
      assert.equal((await api(`${base}/groups/${g.id}/members/${amy.id}`, { method: 'PUT' })).status, 201);
      const list = await api<{ items: (Person & { addedAt: string })[] }>(`${base}/groups/${g.id}/members`);
      assert.deepEqual(
        list.body.items.map((m) => m.id),
        [amy.id, zed.id],
      );
      assert.equal((await api<Group>(`${base}/groups/${g.id}`)).body.memberCount, 2);

      assert.equal((await api(`${base}/groups/${g.id}/members/${zed.id}`, { method: 'DELETE' })).status, 204);
      assertProblem(await api(`${base}/groups/${g.id}/members/${zed.id}`, { method: 'DELETE' }), 404);
      assertProblem(await api(`${base}/groups/${g.id}/members/999999999`, { method: 'PUT' }), 404);
      assertProblem(await api(`${base}/groups/999999999/members/${zed.id}`, { method: 'PUT' }), 404);
      assertProblem(await api(`${base}/groups/999999999/members`), 404);

      // Deleting a person ends their memberships.
      assert.equal((await api(`${base}/people/${amy.id}`, { method: 'DELETE' })).status, 204);
      assert.deepEqual((await api<{ items: Person[] }>(`${base}/groups/${g.id}/members`)).body.items, []);
    });

    test('excuses: only for a member on a scheduled day; PUT sets or replaces (201/200), DELETE withdraws', async () => {
      const g = await group({
        name: 'Excusable',
        schedule: { from: '2026-03-02', to: '2026-03-31', weekdays: [1], dates: ['2026-04-04'] },
      });
      const p = await person({ firstname: 'Eve', lastname: 'Excused' });
      const outsider = await person({ firstname: 'Oscar', lastname: 'Outsider' });
      await api(`${base}/groups/${g.id}/members/${p.id}`, { method: 'PUT' });
      const url = (date: string, who = p.id) => `${base}/groups/${g.id}/members/${who}/excuses/${date}`;

      const set = await api<{ reason: string; date: string; excusedBy: string }>(url('2026-03-09'), {
        method: 'PUT',
        body: { reason: 'Dentist' },
      });
      assert.equal(set.status, 201, set.text);
      assert.deepEqual([set.body.date, set.body.reason], ['2026-03-09', 'Dentist']);
      assert.ok(set.body.excusedBy.length > 0);
      const replaced = await api<{ reason: string }>(url('2026-03-09'), { method: 'PUT', body: { reason: 'Ill' } });
      assert.equal(replaced.status, 200);
      assert.equal(replaced.body.reason, 'Ill');
      assert.equal((await api(url('2026-04-04'), { method: 'PUT', body: { reason: 'Trip' } })).status, 201, 'an explicit date');

      assertProblem(await api(url('2026-03-10'), { method: 'PUT', body: { reason: 'A Tuesday' } }), 400, 'date');
      assertProblem(await api(url('2026-04-06'), { method: 'PUT', body: { reason: 'After the range' } }), 400, 'date');
      assertProblem(await api(url('2026-02-30'), { method: 'PUT', body: { reason: 'x' } }), 400, 'date');
      assertProblem(await api(url('2026-03-16'), { method: 'PUT', body: { reason: ' ' } }), 400, 'reason');
      assertProblem(await api(url('2026-03-16'), { method: 'PUT', body: {} }), 400, 'reason');
      assertProblem(await api(url('2026-03-16', outsider.id), { method: 'PUT', body: { reason: 'x' } }), 404);

      assert.equal((await api(url('2026-03-09'), { method: 'DELETE' })).status, 204);
      assertProblem(await api(url('2026-03-09'), { method: 'DELETE' }), 404);
    });

    test('CSV import: BOM, semicolons, quotes; people upserted by external reference; dry run writes nothing', async () => {
      const g = await group({ name: 'Imported' });
      const [r1, r2, r3] = [ref('I'), ref('I'), ref('I')];
      const known = await person({ firstname: 'Known', lastname: 'Before', externalRef: r3, email: 'k@example.org' });
      const file = `\uFEFFFirstname;Lastname;ExternalRef;Email\r\nJosé;"Núñez; Jr.";${r1};jose@example.org\r\nLi;Wei;${r2};\r\nKnown;Before;${r3};k@example.org\r\nNoRef;Person;;\r\n`;

      const preview = await csv(g.id, file, true);
      assert.equal(preview.status, 200, preview.text);
      assert.deepEqual(
        [preview.body.dryRun, preview.body.created, preview.body.updated, preview.body.unchanged, preview.body.added],
        [true, 3, 0, 1, 4],
      );
      assert.deepEqual(
        preview.body.lines.map((l) => [l.line, l.result, l.personId]),
        [
          [2, 'created', null],
          [3, 'created', null],
          [4, 'unchanged', known.id],
          [5, 'created', null],
        ],
      );
      assert.equal((await api<Group>(`${base}/groups/${g.id}`)).body.memberCount, 0, 'a dry run writes nothing');

      const done = await csv(g.id, file);
      assert.equal(done.status, 200, done.text);
      assert.deepEqual([done.body.dryRun, done.body.created, done.body.unchanged, done.body.added], [false, 3, 1, 4]);
      assert.ok(done.body.lines.every((l) => typeof l.personId === 'number'));
      const members = (await api<{ items: Person[] }>(`${base}/groups/${g.id}/members`)).body.items;
      const jose = members.find((m) => m.externalRef === r1)!;
      assert.deepEqual([jose.firstname, jose.lastname, jose.email], ['José', 'Núñez; Jr.', 'jose@example.org']);
      assert.match(jose.badge, /^[A-Za-z0-9_-]{24}$/);
      assert.equal(members.length, 4);

      // Again, with one change and commas: everyone is found (by reference, or by name in the group).
      const again = await csv(g.id, `firstname,lastname,externalRef\nJosé,"Núñez; Jr.",${r1}\nLi,Wei-Changed,${r2}\nNoref,person,\n`);
      assert.equal(again.status, 200, again.text);
      assert.deepEqual([again.body.created, again.body.updated, again.body.unchanged, again.body.added], [0, 2, 1, 0]);
      const after = (await api<{ items: Person[] }>(`${base}/groups/${g.id}/members`)).body.items;
      assert.equal(after.length, 4);
      assert.equal(after.find((m) => m.externalRef === r2)!.lastname, 'Wei-Changed');
      assert.equal(after.find((m) => m.externalRef === r1)!.email, 'jose@example.org', 'no email column: the e-mail is kept');
    });

    test('CSV import: every bad line is reported with line and field, and nothing is written', async () => {
      const g = await group({ name: 'Strict' });
      const r = ref('B');
      const file = [
        'firstname,lastname,externalRef,email',
        `Good,Line,${ref('B')},good@example.org`,
        ` ,Blank,${ref('B')},`,
        `Bad,Mail,${r},nope`,
        `Dup,Ref,${r},`,
        'Too,Many,Fields,a@b.cd,extra',
      ].join('\n');
      const refused = await csv(g.id, file);
      assertProblem(refused, 400);
      const errors = (refused.body as unknown as { errors: { line: number; field: string; message: string }[] }).errors;
      assert.deepEqual(
        errors.map((e) => [e.line, e.field]),
        [
          [3, 'firstname'],
          [4, 'email'],
          [5, 'externalRef'],
          [6, 'csv'],
        ],
      );
      assert.match((refused.body as unknown as { detail: string }).detail, /line 3, firstname/);
      assert.equal((await api<Group>(`${base}/groups/${g.id}`)).body.memberCount, 0, 'no partial import');

      const header = await csv(g.id, 'first,last\nA,B\n');
      assertProblem(header, 400);
      assert.equal((header.body as unknown as { errors: { line: number; field: string }[] }).errors[0]!.field, 'header');
      const broken = await csv(g.id, 'firstname,lastname\n"Unclosed,quote\n');
      assertProblem(broken, 400);
      assert.equal((broken.body as unknown as { errors: { field: string }[] }).errors[0]!.field, 'csv');
      assertProblem(await csv(g.id, ''), 400);
      assertProblem(await csv(g.id, '\uFEFF'), 400);
      assertProblem(await csv(999999999, 'firstname,lastname\nA,B\n'), 404);
      assertProblem(await api(`${base}/groups/${g.id}/members/import`, { body: { firstname: 'json' } }), 415);
    });
  });
}
