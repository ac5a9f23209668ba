// Who may do what with groups, members, excuses and the register (domain/actor.ts), through HTTP as each
// role: a leader sees only the groups they lead (their page, members, register and its CSV) and excuses
// there; every other group answers 404 on page and API alike, as if it did not exist; a leader changes no
// group and no membership (403). A viewer reads every group and register and changes nothing (403, and
// the pages offer no form). The CSV import leaves an audit record per person it creates or changes, which
// that person's privacy export shows. In-process (buildApp + inject) against a real PostgreSQL database,
// AUTH_MODE=token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { build, signIn, signInAs, type AdminSession, type TestApp } from '../../../test/support/app.js';

const DAY = '2026-03-02';
const RANGE = 'from=2026-03-01&to=2026-03-31';

interface Group {
  id: number;
  name: string;
}
interface ImportResult {
  created: number;
  updated: number;
  unchanged: number;
  added: number;
  lines: { line: number; result: string; personId: number }[];
}
interface AuditEntry {
  actor: string;
  action: string;
  entity: string;
  entityId: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** An RFC 9457 answer under /api with this status. */
function assertProblem(response: LightMyRequestResponse, status: number, what: string): void {
  assert.equal(response.statusCode, status, `${what}: ${response.body}`);
  assert.match(String(response.headers['content-type']), /application\/problem\+json/, what);
  assert.equal(response.json<{ status: number }>().status, status, what);
}

describe('groups and the register by role', () => {
  let t: TestApp;
  let owner: AdminSession;
  const as: Record<'leader' | 'viewer', AdminSession> = {} as never;
  let led: Group;
  let other: Group;
  /** Members of the led group and of the other group, by external reference. */
  const person: Record<string, number> = {};

  const apiAs = (session: AdminSession, options: InjectOptions) =>
    session.inject({ ...options, headers: { accept: 'application/json', ...options.headers } });
  const importAs = (session: AdminSession, groupId: number, csv: string, dryRun = false) =>
    apiAs(session, {
      method: 'POST',
      url: `/api/v1/groups/${groupId}/members/import${dryRun ? '?dryRun=true' : ''}`,
      payload: csv,
      headers: { 'content-type': 'text/csv' },
    });
  /** A form post with the session's CSRF token, as a browser sends it. */
  const postAs = (session: AdminSession, url: string, form: Record<string, string> = {}) => session.post(url, form);

  async function counts() {
    const [row] = await t.database.query<Record<string, number>>(
      `SELECT (SELECT count(*)::int FROM groups) AS groups, (SELECT count(*)::int FROM group_members) AS members,
              (SELECT count(*)::int FROM people) AS people, (SELECT count(*)::int FROM excuses) AS excuses,
              (SELECT count(*)::int FROM audit_log) AS audit`,
    );
    return row!;
  }

  before(async () => {
    t = await build({ AUTH_MODE: 'token' });
    owner = await signIn(t.app);
    const create = async (name: string) => {
      const created = await apiAs(owner, {
        method: 'POST',
        url: '/api/v1/groups',
        payload: { name, schedule: { dates: [DAY, '2026-03-03'] } },
      });
      assert.equal(created.statusCode, 201, created.body);
      return created.json<Group>();
    };
    led = await create('Led choir');
    other = await create('Other band');
    const imported = [
      await importAs(owner, led.id, 'firstname,lastname,externalRef\nAda,Lovelace,L-1\nAlan,Turing,L-2\n'),
      await importAs(owner, other.id, 'firstname,lastname,externalRef\nGrace,Hopper,O-1\n'),
    ];
    for (const answer of imported) assert.equal(answer.statusCode, 200, answer.body);
    for (const row of await t.database.query<{ id: number; ref: string }>('SELECT id::int AS id, external_ref AS ref FROM people')) {
      person[row.ref] = row.id;
    }
    // Members since before the scheduled days (an import counts them from today).
    for (const [groupId, ref] of [
      [led.id, 'L-1'],
      [led.id, 'L-2'],
      [other.id, 'O-1'],
    ] as const) {
      const since = await apiAs(owner, {
        method: 'PUT',
        url: `/api/v1/groups/${groupId}/members/${person[ref]}`,
        payload: { since: '2026-03-01' },
      });
      assert.equal(since.statusCode, 200, since.body);
    }

    for (const role of ['leader', 'viewer'] as const) as[role] = await signInAs(t.app, owner, role, role, [led.id]);
  });
  after(async () => t.close());

  test('a leader sees the group they lead: its page, members, register and CSV, without forms to change it', async () => {
    const { leader } = as;
    const list = await leader.inject({ url: '/admin/groups' });
    assert.equal(list.statusCode, 200);
    assert.match(list.body, /Led choir/);
    assert.doesNotMatch(list.body, /Other band/);
    assert.doesNotMatch(list.body, /id="new-group-form"/);

    const page = await leader.inject({ url: `/admin/groups/${led.id}` });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Lovelace, Ada/);
    assert.match(page.body, /Open the register/);
    for (const hidden of [/id="group-form"/, /id="import-form"/, /Delete group/, /members\/\d+\/remove/, /id="person-q"/]) {
      assert.doesNotMatch(page.body, hidden);
    }
    const register = await leader.inject({ url: `/admin/groups/${led.id}/register?${RANGE}` });
    assert.equal(register.statusCode, 200);
    assert.match(register.body, /id="register-table"/);
    assert.match(register.body, /id="mark-form"/, 'a leader may mark in their group');
    assert.match(register.body, /id="roll-call-link"/);

    const groups = await apiAs(leader, { url: '/api/v1/groups' });
    assert.equal(groups.statusCode, 200, groups.body);
    assert.deepEqual(
      groups.json<{ items: Group[] }>().items.map((g) => g.id),
      [led.id],
    );
    assert.equal((await apiAs(leader, { url: `/api/v1/groups/${led.id}` })).statusCode, 200);
    const members = await apiAs(leader, { url: `/api/v1/groups/${led.id}/members` });
    assert.equal(members.statusCode, 200, members.body);
    assert.deepEqual(
      members.json<{ items: { lastname: string }[] }>().items.map((m) => m.lastname),
      ['Lovelace', 'Turing'],
    );
    const json = await apiAs(leader, { url: `/api/v1/groups/${led.id}/register?${RANGE}` });
    assert.equal(json.statusCode, 200, json.body);
    assert.equal(json.json<{ members: unknown[] }>().members.length, 2);
    const csv = await leader.inject({ url: `/api/v1/groups/${led.id}/register.csv?${RANGE}` });
    assert.equal(csv.statusCode, 200, csv.body);
    assert.match(csv.body, /^lastname,firstname,externalRef,2026-03-02,2026-03-03,/);
  });

  test('any other group is 404 for a leader, on the pages and the API, its register and CSV included', async () => {
    const { leader } = as;
    for (const url of [`/admin/groups/${other.id}`, `/admin/groups/${other.id}/register`, `/admin/groups/${other.id}/register?${RANGE}`]) {
      const answer = await leader.inject({ url });
      assert.equal(answer.statusCode, 404, url);
      assert.match(answer.body, /No group #/, url);
      assert.doesNotMatch(answer.body, /Other band|Hopper/, url);
    }
    for (const url of [
      `/api/v1/groups/${other.id}`,
      `/api/v1/groups/${other.id}/members`,
      `/api/v1/groups/${other.id}/register?${RANGE}`,
      `/api/v1/groups/${other.id}/register.csv?${RANGE}`,
    ]) {
      assertProblem(await apiAs(leader, { url }), 404, url);
    }
    // The same answer as a group that does not exist at all.
    const missing = await apiAs(leader, { url: '/api/v1/groups/999999' });
    const hidden = await apiAs(leader, { url: `/api/v1/groups/${other.id}` });
    assert.equal(
      hidden.json<{ detail: string }>().detail.replace(String(other.id), 'N'),
      missing.json<{ detail: string }>().detail.replace('999999', 'N'),
    );
    const before = await counts();
    const target = `/api/v1/groups/${other.id}/members/${person['O-1']}/excuses/${DAY}`;
    assertProblem(await apiAs(leader, { method: 'PUT', url: target, payload: { reason: 'Ill' } }), 404, 'excuse elsewhere');
    assertProblem(await apiAs(leader, { method: 'DELETE', url: target }), 404, 'withdraw elsewhere');
    const form = { from: '2026-03-01', to: '2026-03-31', personId: String(person['O-1']), date: DAY, reason: 'Ill' };
    assert.equal((await postAs(leader, `/admin/groups/${other.id}/excuses`, form)).statusCode, 404);
    assert.equal((await postAs(leader, `/admin/groups/${other.id}/excuses/withdraw`, form)).statusCode, 404);
    for (const url of [
      `/admin/groups/${other.id}`,
      `/admin/groups/${other.id}/delete`,
      `/admin/groups/${other.id}/members`,
      `/admin/groups/${other.id}/members/${person['O-1']}/remove`,
      `/admin/groups/${other.id}/import`,
    ]) {
      const answer = await postAs(leader, url, {
        name: 'Sneaky',
        personId: String(person['L-1']),
        csv: 'firstname,lastname\nEve,Sneaky\n',
      });
      assert.equal(answer.statusCode, 404, url);
      assert.match(answer.body, /No group #/, url);
    }
    assert.deepEqual(await counts(), before, 'nothing was written');
  });

  test('a leader excuses a member of their group and withdraws it, on the API and the register page', async () => {
    const { leader } = as;
    const target = `/api/v1/groups/${led.id}/members/${person['L-1']}/excuses/${DAY}`;
    const excused = await apiAs(leader, { method: 'PUT', url: target, payload: { reason: 'Dentist' } });
    assert.equal(excused.statusCode, 201, excused.body);
    assert.equal(excused.json<{ excusedBy: string }>().excusedBy, 'leader');
    assert.equal((await apiAs(leader, { method: 'DELETE', url: target })).statusCode, 204);

    const form = { from: '2026-03-01', to: '2026-03-31', personId: String(person['L-2']), date: DAY, reason: 'Choir trip' };
    const given = await postAs(leader, `/admin/groups/${led.id}/excuses`, form);
    assert.equal(given.statusCode, 303, given.body);
    const register = await leader.inject({ url: `/admin/groups/${led.id}/register?${RANGE}` });
    assert.match(
      register.body,
      /<td class="st-excused reg-marked" title="marked by leader, [\d-]+ [\d:]+: Choir trip">excused<small class="reg-flag">marked<\/small><\/td>/,
    );
    const withdrawn = await postAs(leader, `/admin/groups/${led.id}/excuses/withdraw`, form);
    assert.equal(withdrawn.statusCode, 303, withdrawn.body);
    assert.equal((await t.database.query('SELECT 1 FROM excuses')).length, 0);

    const audit = await t.database.query<{ actor: string; role: string; action: string }>(
      `SELECT actor, actor_role AS role, action FROM audit_log WHERE action IN ('excuse', 'withdraw-excuse') ORDER BY id`,
    );
    assert.deepEqual(audit, [
      { actor: 'leader', role: 'leader', action: 'excuse' },
      { actor: 'leader', role: 'leader', action: 'withdraw-excuse' },
      { actor: 'leader', role: 'leader', action: 'excuse' },
      { actor: 'leader', role: 'leader', action: 'withdraw-excuse' },
    ]);
  });

  test('marking by hand: a leader in their group only (another is 404), a viewer never (403); attendance as the register', async () => {
    const { leader, viewer } = as;
    const mine = `/api/v1/groups/${led.id}/register/${DAY}/${person['L-1']}`;
    const marked = await apiAs(leader, { method: 'PUT', url: mine, payload: { status: 'present', reason: 'Roll call' } });
    assert.equal(marked.statusCode, 201, marked.body);
    assert.equal(marked.json<{ markedBy: string }>().markedBy, 'leader');
    const page = await leader.inject({ url: `/admin/groups/${led.id}/roll-call?date=${DAY}` });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /marked by leader, [\d-]+ [\d:]+: Roll call/);
    assert.equal((await apiAs(leader, { method: 'DELETE', url: mine })).statusCode, 204);

    const before = await counts();
    const elsewhere = `/api/v1/groups/${other.id}/register/${DAY}/${person['O-1']}`;
    assertProblem(await apiAs(leader, { method: 'PUT', url: elsewhere, payload: { status: 'present' } }), 404, 'mark elsewhere');
    assertProblem(await apiAs(leader, { method: 'DELETE', url: elsewhere }), 404, 'unmark elsewhere');
    assert.equal((await leader.inject({ url: `/admin/groups/${other.id}/roll-call` })).statusCode, 404);
    assertProblem(await apiAs(viewer, { method: 'PUT', url: mine, payload: { status: 'present' } }), 403, 'a viewer marks');
    assertProblem(await apiAs(viewer, { method: 'DELETE', url: mine }), 403, 'a viewer unmarks');
    const form = { personId: String(person['L-1']), date: DAY, status: 'present', from: '2026-03-01', to: '2026-03-31' };
    const refused = await postAs(viewer, `/admin/groups/${led.id}/register/mark`, form);
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body, /may not mark or excuse in a register/);
    assert.equal((await postAs(leader, `/admin/groups/${other.id}/register/mark`, form)).statusCode, 404);
    assert.deepEqual(await counts(), before, 'nothing was written');

    // A person's attendance is read as the register: a leader only in their groups, others 404.
    const attendance = await apiAs(leader, { url: `/api/v1/people/${person['L-1']}/attendance?${RANGE}` });
    assert.equal(attendance.statusCode, 200, attendance.body);
    assert.deepEqual(
      attendance.json<{ groups: { group: Group }[] }>().groups.map((g) => g.group.id),
      [led.id],
    );
    assertProblem(await apiAs(leader, { url: `/api/v1/people/${person['O-1']}/attendance` }), 404, "another group's person");
    assert.equal((await leader.inject({ url: `/admin/people/${person['O-1']}/attendance` })).statusCode, 404);
    const seen = await apiAs(viewer, { url: `/api/v1/people/${person['O-1']}/attendance?${RANGE}` });
    assert.equal(seen.statusCode, 200, seen.body);
    assert.deepEqual(
      seen.json<{ groups: { group: Group }[] }>().groups.map((g) => g.group.id),
      [other.id],
    );
    const personPage = await viewer.inject({ url: `/admin/people/${person['O-1']}/attendance?${RANGE}` });
    assert.equal(personPage.statusCode, 200);
    assert.match(personPage.body, /Attendance: Grace Hopper/);
    assert.match(personPage.body, /Other band/);
  });

  /** Every change to groups and members, over the API; each must be refused with `status`. */
  async function apiChangesRefused(session: AdminSession, groupId: number, personId: number, status: number) {
    const refusals: [string, InjectOptions][] = [
      ['create a group', { method: 'POST', url: '/api/v1/groups', payload: { name: 'Sneaky' } }],
      ['rename the group', { method: 'PATCH', url: `/api/v1/groups/${groupId}`, payload: { name: 'Renamed' } }],
      ['delete the group', { method: 'DELETE', url: `/api/v1/groups/${groupId}` }],
      ['add a member', { method: 'PUT', url: `/api/v1/groups/${groupId}/members/${person['O-1']}` }],
      ['remove a member', { method: 'DELETE', url: `/api/v1/groups/${groupId}/members/${personId}` }],
    ];
    for (const [what, options] of refusals) assertProblem(await apiAs(session, options), status, what);
    const csv = 'firstname,lastname,externalRef\nEve,Sneaky,S-1\n';
    assertProblem(await importAs(session, groupId, csv), status, 'import members');
    assertProblem(await importAs(session, groupId, csv, true), status, 'preview an import');
  }

  /** The same changes through the pages' forms: a 403 page, never a 500. */
  async function pageChangesRefused(session: AdminSession, groupId: number, personId: number) {
    const schedule = { name: 'Sneaky', from: '', to: '', dates: '', startTime: '', graceMinutes: '0' };
    for (const [url, form] of [
      ['/admin/groups', schedule],
      [`/admin/groups/${groupId}`, schedule],
      [`/admin/groups/${groupId}/delete`, {}],
      [`/admin/groups/${groupId}/members`, { personId: String(person['O-1']) }],
      [`/admin/groups/${groupId}/members/${personId}/remove`, {}],
      [`/admin/groups/${groupId}/import`, { csv: 'firstname,lastname\nEve,Sneaky\n', mode: 'import' }],
      [`/admin/groups/${groupId}/import`, { csv: 'firstname,lastname\nEve,Sneaky\n', mode: 'preview' }],
    ] as const) {
      const answer = await postAs(session, url, form);
      assert.equal(answer.statusCode, 403, `${url}: ${answer.body.slice(0, 300)}`);
      assert.match(answer.body, /may not change groups or their members/, url);
    }
  }

  test('a leader creates no group and changes no membership: 403, nothing written', async () => {
    const before = await counts();
    await apiChangesRefused(as.leader, led.id, person['L-1']!, 403);
    await pageChangesRefused(as.leader, led.id, person['L-1']!);
    assert.deepEqual(await counts(), before, 'nothing was written');
  });

  test('a viewer reads every group and register, and the pages offer no change', async () => {
    const { viewer } = as;
    const list = await viewer.inject({ url: '/admin/groups' });
    assert.equal(list.statusCode, 200);
    assert.match(list.body, /Led choir[\s\S]*Other band/);
    assert.doesNotMatch(list.body, /id="new-group-form"/);
    for (const group of [led, other]) {
      const page = await viewer.inject({ url: `/admin/groups/${group.id}` });
      assert.equal(page.statusCode, 200);
      for (const hidden of [/id="group-form"/, /id="import-form"/, /Delete group/, /members\/\d+\/remove/, /id="person-q"/]) {
        assert.doesNotMatch(page.body, hidden, `${group.name}: ${hidden}`);
      }
      const register = await viewer.inject({ url: `/admin/groups/${group.id}/register?${RANGE}` });
      assert.equal(register.statusCode, 200);
      assert.match(register.body, /id="register-table"/);
      assert.doesNotMatch(register.body, /id="mark-form"|register\/unmark|data-editable|roll-call-link/, 'a viewer marks nobody');
      for (const url of [
        `/api/v1/groups/${group.id}`,
        `/api/v1/groups/${group.id}/members`,
        `/api/v1/groups/${group.id}/register?${RANGE}`,
        `/api/v1/groups/${group.id}/register.csv?${RANGE}`,
      ]) {
        const answer = await apiAs(viewer, { url });
        assert.equal(answer.statusCode, 200, `${url}: ${answer.body}`);
      }
    }
    const groups = await apiAs(viewer, { url: '/api/v1/groups' });
    assert.equal(groups.json<{ items: Group[] }>().items.length, 2);
  });

  test('a viewer changes nothing: every change is 403 on the API and the pages, nothing written', async () => {
    const { viewer } = as;
    const before = await counts();
    await apiChangesRefused(viewer, led.id, person['L-1']!, 403);
    await pageChangesRefused(viewer, led.id, person['L-1']!);
    const target = `/api/v1/groups/${led.id}/members/${person['L-1']}/excuses/${DAY}`;
    assertProblem(await apiAs(viewer, { method: 'PUT', url: target, payload: { reason: 'Ill' } }), 403, 'excuse');
    assertProblem(await apiAs(viewer, { method: 'DELETE', url: target }), 403, 'withdraw an excuse');
    const form = { from: '2026-03-01', to: '2026-03-31', personId: String(person['L-1']), date: DAY, reason: 'Ill' };
    for (const url of [`/admin/groups/${led.id}/excuses`, `/admin/groups/${led.id}/excuses/withdraw`]) {
      const answer = await postAs(viewer, url, form);
      assert.equal(answer.statusCode, 403, url);
      assert.match(answer.body, /may not mark or excuse in a register/, url);
    }
    assert.deepEqual(await counts(), before, 'nothing was written');
  });

  test('the import audits each person it creates or changes, in the group and in that person’s export', async () => {
    const [{ max: last } = { max: 0 }] = await t.database.query<{ max: number }>('SELECT coalesce(max(id), 0)::int AS max FROM audit_log');
    const csv = [
      'firstname,lastname,externalRef,email',
      'Ada,Lovelace,L-1,ada@example.org', // e-mail added: updated
      'Alan,Turing,L-2,', // unchanged
      'Katherine,Johnson,L-3,kj@example.org', // new
    ].join('\n');
    const preview = await importAs(owner, led.id, csv, true);
    assert.equal(preview.statusCode, 200, preview.body);
    assert.equal((await t.database.query('SELECT 1 FROM audit_log WHERE id > $1', [last])).length, 0, 'a preview leaves no record');

    const imported = await importAs(owner, led.id, csv);
    assert.equal(imported.statusCode, 200, imported.body);
    const outcome = imported.json<ImportResult>();
    assert.deepEqual([outcome.created, outcome.updated, outcome.unchanged, outcome.added], [1, 1, 1, 1]);
    const katherine = outcome.lines[2]!.personId;

    const records = await t.database.query<{ action: string; entity: string; entityId: string; actor: string; role: string }>(
      `SELECT action, entity, entity_id AS "entityId", actor, actor_role AS role FROM audit_log WHERE id > $1 ORDER BY id`,
      [last],
    );
    assert.deepEqual(
      records.map((r) => `${r.entity} ${r.entityId} ${r.action}`).sort(),
      [`group ${led.id} import-members`, `person ${katherine} create`, `person ${person['L-1']} update`].sort(),
    );
    assert.ok(records.every((r) => r.actor === 'admin' && r.role === 'owner'));

    const exported = await apiAs(owner, { url: `/api/v1/people/${person['L-1']}/export` });
    assert.equal(exported.statusCode, 200, exported.body);
    const update = exported.json<{ audit: AuditEntry[] }>().audit.find((e) => e.entity === 'person' && e.action === 'update');
    assert.ok(update, 'the update is in the person’s export');
    assert.deepEqual(update.before, { firstname: 'Ada', lastname: 'Lovelace', externalRef: 'L-1', email: null });
    assert.deepEqual(update.after, { firstname: 'Ada', lastname: 'Lovelace', externalRef: 'L-1', email: 'ada@example.org' });

    const created = await apiAs(owner, { url: `/api/v1/people/${katherine}/export` });
    assert.equal(created.statusCode, 200, created.body);
    const creation = created.json<{ audit: AuditEntry[] }>().audit.find((e) => e.entity === 'person' && e.action === 'create');
    assert.deepEqual(creation?.after, { firstname: 'Katherine', lastname: 'Johnson', externalRef: 'L-3', email: 'kj@example.org' });

    // One bad line: nobody is created or changed, and no record is left.
    const before = await counts();
    const refused = await importAs(
      owner,
      led.id,
      'firstname,lastname,externalRef,email\nAda,Lovelace,L-1,ada@example.net\nNo,Mail,L-4,nope\n',
    );
    assertProblem(refused, 400, 'a bad line');
    assert.deepEqual(await counts(), before, 'all or nothing');
  });
});
