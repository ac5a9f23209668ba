// Who may do what with check-ins (domain/actor.ts), through HTTP as each role: a viewer reads the day's
// list, summary, sheet and CSV but records, corrects and deletes nothing (and the pages offer none of it);
// a leader reads only their groups' people's check-ins, nothing day-wide; a manager corrects, deletes and restores. Every refusal is
// a 403 in the surface's own words, and nothing refused is written. In-process (buildApp + inject)
// against a real PostgreSQL database, AUTH_MODE=token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { localDate } from '../../domain/calendar.js';
import { build, signIn, signInAs, type AdminSession, type TestApp } from '../../../test/support/app.js';

/** A problem+json 403 under /api. */
function assertForbidden(response: LightMyRequestResponse, what: string): void {
  assert.equal(response.statusCode, 403, `${what}: ${response.body}`);
  assert.match(String(response.headers['content-type']), /application\/problem\+json/, what);
  assert.equal(response.json<{ status: number }>().status, 403, what);
}

describe('check-ins by role', () => {
  let t: TestApp;
  let owner: AdminSession;
  const as: Record<'manager' | 'leader' | 'viewer', AdminSession> = {} as never;
  let today: string;
  let ledGroup: number;

  before(async () => {
    t = await build({ AUTH_MODE: 'token', APP_TIMEZONE: 'Europe/Warsaw' });
    owner = await signIn(t.app);
    today = localDate('Europe/Warsaw');
    const [group] = await t.database.query<{ id: number }>(`INSERT INTO groups (name) VALUES ('Led group') RETURNING id::int AS id`);
    ledGroup = group!.id;
    for (const role of ['manager', 'leader', 'viewer'] as const) as[role] = await signInAs(t.app, owner, role, role, [ledGroup]);
  });
  after(async () => t.close());

  const apiAs = (session: AdminSession, options: InjectOptions) =>
    session.inject({ ...options, headers: { accept: 'application/json', ...options.headers } });

  /** A new entry, recorded by the owner; its id. */
  async function entry(lastname: string): Promise<number> {
    const created = await apiAs(owner, { method: 'POST', url: '/api/v1/checkins', payload: { firstname: 'Role', lastname, gate: 'R' } });
    assert.equal(created.statusCode, 201, created.body);
    return created.json<{ id: number }>().id;
  }

  async function stored(id: number) {
    const [row] = await t.database.query<{ firstname: string; deleted: boolean }>(
      'SELECT firstname, deleted_at IS NOT NULL AS deleted FROM checkins WHERE id = $1',
      [id],
    );
    return row!;
  }

  test("a viewer reads the day's list, summary, one entry and the CSV export", async () => {
    const id = await entry('Viewed');
    const { viewer } = as;
    const list = await apiAs(viewer, { url: `/api/v1/checkins?date=${today}` });
    assert.equal(list.statusCode, 200, list.body);
    assert.ok(list.json<{ items: { id: number }[] }>().items.some((item) => item.id === id));
    const summary = await apiAs(viewer, { url: `/api/v1/days/${today}/summary` });
    assert.equal(summary.statusCode, 200, summary.body);
    assert.equal((await apiAs(viewer, { url: `/api/v1/checkins/${id}` })).statusCode, 200);
    const csv = await viewer.inject({ url: `/api/v1/checkins.csv?from=${today}` });
    assert.equal(csv.statusCode, 200, csv.body);
    assert.match(csv.body, /Viewed/);
    const sheet = await viewer.inject({ url: `/table/view/date:${today.replaceAll('-', '')}` });
    assert.equal(sheet.statusCode, 200, sheet.body);
  });

  test('a viewer records, corrects and deletes nothing: 403, and nothing is written', async () => {
    const id = await entry('Untouched');
    const { viewer } = as;
    assertForbidden(
      await apiAs(viewer, { method: 'POST', url: '/api/v1/checkins', payload: { firstname: 'Not', lastname: 'Recorded', gate: 'R' } }),
      'create',
    );
    assertForbidden(await apiAs(viewer, { method: 'PATCH', url: `/api/v1/checkins/${id}`, payload: { firstname: 'Changed' } }), 'correct');
    assertForbidden(await apiAs(viewer, { method: 'DELETE', url: `/api/v1/checkins/${id}` }), 'delete');
    // The seed API words the refusal as the seed did.
    const seed = await viewer.inject({
      method: 'POST',
      url: '/table/create',
      payload: { firstname: 'Not', lastname: 'Seeded', gate: 'R' },
    });
    assert.equal(seed.statusCode, 403);
    assert.deepEqual(seed.json(), { detail: 'You do not have permission to perform this action.' });
    // The entry page's forms, posted anyway.
    assert.equal((await viewer.post(`/admin/entries/${id}`, { firstname: 'Changed', lastname: 'Untouched', gate: 'R' })).statusCode, 403);
    assert.equal((await viewer.post(`/admin/entries/${id}/delete`, {})).statusCode, 403);
    assert.equal((await viewer.post(`/admin/entries/${id}/person`, { personId: '' })).statusCode, 403);
    assertForbidden(
      await apiAs(viewer, { method: 'POST', url: `/api/v1/kiosk/checkins/${id}/undo`, payload: { gate: 'R' } }),
      'kiosk undo',
    );
    assert.deepEqual(await stored(id), { firstname: 'Role', deleted: false });
    const recorded = await t.database.query(`SELECT 1 FROM checkins WHERE lastname IN ('Recorded', 'Seeded')`);
    assert.deepEqual(recorded, []);
    const audit = await t.database.query(`SELECT 1 FROM audit_log WHERE entity = 'checkin' AND entity_id = $1`, [String(id)]);
    assert.deepEqual(audit, []);
  });

  test('a viewer sees the sheet and the entry page without any correct, delete, restore or link form', async () => {
    const id = await entry('Shown');
    const sheet = await as.viewer.inject({ url: `/admin/sheet?date=${today}` });
    assert.equal(sheet.statusCode, 200);
    assert.match(sheet.body, new RegExp(`href="/admin/entries/${id}"[^>]*>Open`));
    assert.doesNotMatch(sheet.body, />Correct</);
    const page = await as.viewer.inject({ url: `/admin/entries/${id}` });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Check-in #/);
    assert.match(page.body, /A walk-in: linked to nobody/);
    for (const form of ['id="correct-form"', `/admin/entries/${id}/delete`, `/admin/entries/${id}/person`, 'id="person-candidates"']) {
      assert.ok(!page.body.includes(form), form);
    }
    await apiAs(owner, { method: 'DELETE', url: `/api/v1/checkins/${id}` });
    const deleted = await as.viewer.inject({ url: `/admin/entries/${id}` });
    assert.equal(deleted.statusCode, 200);
    assert.match(deleted.body, /Deleted/);
    assert.ok(!deleted.body.includes(`/admin/entries/${id}/restore`), 'no restore form');

    // The owner is offered every form.
    const ownerPage = await owner.inject({ url: `/admin/entries/${await entry('Owned')}` });
    assert.match(ownerPage.body, /id="correct-form"/);
    assert.match((await owner.inject({ url: `/admin/sheet?date=${today}` })).body, />Correct</);
  });

  /** A person's check-in (by person id), recorded by the owner; with `member`, the person is in the led group. */
  async function personEntry(lastname: string, member: boolean): Promise<number> {
    const person = await apiAs(owner, { method: 'POST', url: '/api/v1/people', payload: { firstname: 'Led', lastname } });
    assert.equal(person.statusCode, 201, person.body);
    const personId = person.json<{ id: number }>().id;
    if (member)
      assert.equal((await apiAs(owner, { method: 'PUT', url: `/api/v1/groups/${ledGroup}/members/${personId}` })).statusCode, 201);
    const created = await apiAs(owner, { method: 'POST', url: '/api/v1/checkins', payload: { personId, gate: 'R' } });
    assert.equal(created.statusCode, 201, created.body);
    return created.json<{ id: number }>().id;
  }

  test("a leader reads the check-ins of their groups' people and nothing day-wide: no other entry, summary, export or sheet", async () => {
    const theirs = await personEntry('Member', true);
    const others = await personEntry('Outsider', false);
    const walkIn = await entry('Led');
    const { leader } = as;
    const list = await apiAs(leader, { url: `/api/v1/checkins?date=${today}&limit=500` });
    assert.equal(list.statusCode, 200, list.body);
    assert.deepEqual(
      list.json<{ items: { id: number }[] }>().items.map((item) => item.id),
      [theirs],
      "only their people's entries",
    );
    assert.equal((await apiAs(leader, { url: `/api/v1/checkins/${theirs}` })).statusCode, 200);
    // Another person's entry, or a walk-in's, is not theirs to know of: the answer of a missing entry.
    for (const id of [others, walkIn]) {
      const hidden = await apiAs(leader, { url: `/api/v1/checkins/${id}` });
      assert.equal(hidden.statusCode, 404, hidden.body);
      assert.equal(hidden.body, (await apiAs(leader, { url: '/api/v1/checkins/987654321' })).body.replaceAll('987654321', String(id)));
    }
    // The entry page too: their people's entry with its history and no forms; another entry is a 404.
    const page = await leader.inject({ url: `/admin/entries/${theirs}` });
    assert.equal(page.statusCode, 200, page.body);
    assert.doesNotMatch(page.body, /id="correct-form"/);
    assert.equal((await leader.inject({ url: `/admin/entries/${others}` })).statusCode, 404);
    assertForbidden(await apiAs(leader, { url: `/api/v1/days/${today}/summary` }), 'summary');
    assertForbidden(await apiAs(leader, { url: `/api/v1/checkins.csv?from=${today}` }), 'export');
    const seed = await leader.inject({ url: `/table/view/date:${today.replaceAll('-', '')}` });
    assert.equal(seed.statusCode, 403);
    assert.deepEqual(seed.json(), { detail: 'You do not have permission to perform this action.' });
    assert.equal((await leader.inject({ url: `/admin/sheet?date=${today}` })).statusCode, 403);
    assert.equal((await leader.inject({ url: `/admin/sheet/live?date=${today}` })).statusCode, 403);
    assertForbidden(
      await apiAs(leader, { method: 'POST', url: '/api/v1/checkins', payload: { firstname: 'Not', lastname: 'Led', gate: 'R' } }),
      'create',
    );
    assertForbidden(
      await apiAs(leader, { method: 'PATCH', url: `/api/v1/checkins/${theirs}`, payload: { firstname: 'Changed' } }),
      'correct',
    );
  });

  test('a manager corrects, deletes and restores, each audited under their name and role', async () => {
    const id = await entry('Managed');
    const { manager } = as;
    const corrected = await apiAs(manager, { method: 'PATCH', url: `/api/v1/checkins/${id}`, payload: { firstname: 'Corrected' } });
    assert.equal(corrected.statusCode, 200, corrected.body);
    assert.equal((await apiAs(manager, { method: 'DELETE', url: `/api/v1/checkins/${id}` })).statusCode, 204);
    assert.equal((await manager.post(`/admin/entries/${id}/restore`, {})).statusCode, 303);
    assert.deepEqual(await stored(id), { firstname: 'Corrected', deleted: false });
    const page = await manager.inject({ url: `/admin/entries/${id}` });
    assert.match(page.body, /id="correct-form"/);
    const audit = await t.database.query<{ action: string; actor: string; actor_role: string }>(
      `SELECT action, actor, actor_role FROM audit_log WHERE entity = 'checkin' AND entity_id = $1 ORDER BY id`,
      [String(id)],
    );
    assert.deepEqual(audit, [
      { action: 'correct', actor: 'manager', actor_role: 'manager' },
      { action: 'delete', actor: 'manager', actor_role: 'manager' },
      { action: 'restore', actor: 'manager', actor_role: 'manager' },
    ]);
  });

  test('a staff session undoes at the kiosk only with the right to correct; a manager may', async () => {
    const id = await entry('Kiosk undo');
    assertForbidden(
      await apiAs(as.leader, { method: 'POST', url: `/api/v1/kiosk/checkins/${id}/undo`, payload: { gate: 'R' } }),
      'leader undo',
    );
    const undone = await apiAs(as.manager, { method: 'POST', url: `/api/v1/kiosk/checkins/${id}/undo`, payload: { gate: 'R' } });
    assert.equal(undone.statusCode, 200, undone.body);
    assert.equal((await stored(id)).deleted, true);
  });
});
