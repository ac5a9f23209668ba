// Who may do what with gates, in-process (build() + inject) against PostgreSQL with AUTH_MODE=token:
// owners and managers change the list; viewers read it (the page without its forms) but change nothing;
// leaders neither see nor change it; the occupancy and the big screen stay public (counts only).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { build, signIn, signInAs, type AdminSession, type TestApp } from '../../../test/support/app.js';

function assertRefused(response: LightMyRequestResponse, status: number): void {
  assert.equal(response.statusCode, status, response.body);
  assert.match(String(response.headers['content-type']), /application\/problem\+json/);
  assert.equal((response.json() as { status: number }).status, status);
}

describe('gates: the role matrix', () => {
  let testApp: TestApp;
  const as = {} as Record<'manager' | 'viewer' | 'leader', AdminSession>;
  let existing: number;

  before(async () => {
    testApp = await build({ AUTH_MODE: 'token' });
    const { database, app } = testApp;
    const owner = await signIn(app);
    const [group] = await database.query<{ id: number }>(`INSERT INTO groups (name) VALUES ('Choir') RETURNING id::int AS id`);
    for (const role of ['manager', 'viewer', 'leader'] as const) as[role] = await signInAs(app, owner, `gate-${role}`, role, [group!.id]);
    const [gate] = await database.query<{ id: number }>(`INSERT INTO gates (name, capacity) VALUES ('Main', 10) RETURNING id::int AS id`);
    existing = gate!.id;
  });
  after(async () => testApp.close());

  test('a manager adds, changes and removes gates; each change is audited with the manager and their role', async () => {
    const manager = as.manager;
    const created = await manager.inject({ method: 'POST', url: '/api/v1/gates', payload: { name: 'Manager gate', capacity: 5 } });
    assert.equal(created.statusCode, 201, created.body);
    const id = (created.json() as { id: number }).id;
    const changed = await manager.inject({ method: 'PATCH', url: `/api/v1/gates/${id}`, payload: { capacity: 6 } });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.equal((await manager.inject({ method: 'DELETE', url: `/api/v1/gates/${id}` })).statusCode, 204);
    assert.equal((await manager.inject({ url: '/api/v1/gates' })).statusCode, 200);

    const page = await manager.post('/admin/gates', { name: 'Page gate', capacity: '' });
    assert.equal(page.statusCode, 303, page.body);
    const shown = await manager.inject({ url: '/admin/gates' });
    assert.match(shown.body, /action="\/admin\/gates"/, 'the manager gets the form to add a gate');

    const audit = await testApp.database.query<{ actor: string; actor_role: string; action: string }>(
      `SELECT actor, actor_role, action FROM audit_log WHERE entity = 'gate' ORDER BY id`,
    );
    assert.deepEqual(audit, [
      { actor: 'gate-manager', actor_role: 'manager', action: 'create' },
      { actor: 'gate-manager', actor_role: 'manager', action: 'update' },
      { actor: 'gate-manager', actor_role: 'manager', action: 'delete' },
      { actor: 'gate-manager', actor_role: 'manager', action: 'create' },
    ]);
  });

  test('a viewer sees the list (the page without its forms) and may change nothing', async () => {
    const viewer = as.viewer;
    const listed = await viewer.inject({ url: '/api/v1/gates' });
    assert.equal(listed.statusCode, 200, listed.body);
    assert.ok((listed.json() as { items: { name: string }[] }).items.some((g) => g.name === 'Main'));

    assertRefused(await viewer.inject({ method: 'POST', url: '/api/v1/gates', payload: { name: 'Viewer gate' } }), 403);
    assertRefused(await viewer.inject({ method: 'PATCH', url: `/api/v1/gates/${existing}`, payload: { capacity: 1 } }), 403);
    assertRefused(await viewer.inject({ method: 'DELETE', url: `/api/v1/gates/${existing}` }), 403);

    const page = await viewer.inject({ url: '/admin/gates' });
    assert.equal(page.statusCode, 200, page.body);
    assert.match(page.body, /<td>Main<\/td>/);
    assert.doesNotMatch(page.body, /action="\/admin\/gates/, 'no form to add, change or remove a gate');
    assert.equal((await viewer.post('/admin/gates', { name: 'Viewer page gate', capacity: '' })).statusCode, 403);
    assert.equal((await viewer.post(`/admin/gates/${existing}`, { name: 'Renamed', capacity: '' })).statusCode, 403);
    assert.equal((await viewer.post(`/admin/gates/${existing}/delete`, {})).statusCode, 403);

    const [gate] = await testApp.database.query(`SELECT name, capacity FROM gates WHERE id = $1`, [existing]);
    assert.deepEqual(gate, { name: 'Main', capacity: 10 }, 'unchanged');
    assert.deepEqual(await testApp.database.query(`SELECT 1 FROM gates WHERE name LIKE 'Viewer%'`), []);
  });

  test('a leader neither lists nor changes gates', async () => {
    const leader = as.leader;
    assertRefused(await leader.inject({ url: '/api/v1/gates' }), 403);
    assertRefused(await leader.inject({ method: 'POST', url: '/api/v1/gates', payload: { name: 'Leader gate' } }), 403);
    assertRefused(await leader.inject({ method: 'PATCH', url: `/api/v1/gates/${existing}`, payload: { name: 'Mine' } }), 403);
    assertRefused(await leader.inject({ method: 'DELETE', url: `/api/v1/gates/${existing}` }), 403);
    assert.equal((await leader.inject({ url: '/admin/gates' })).statusCode, 403);
    assert.equal((await leader.post('/admin/gates', { name: 'Leader page gate', capacity: '' })).statusCode, 403);
    assert.deepEqual(await testApp.database.query(`SELECT 1 FROM gates WHERE name LIKE 'Leader%'`), []);
  });

  test('the occupancy and the big screen need no one signed in, and hold counts only', async () => {
    const occupancy = await testApp.app.inject({ url: '/api/v1/occupancy' });
    assert.equal(occupancy.statusCode, 200, occupancy.body);
    assert.ok((occupancy.json() as { gates: { gate: string }[] }).gates.some((g) => g.gate === 'Main'));
    const screen = await testApp.app.inject({ url: '/screen' });
    assert.equal(screen.statusCode, 200);
    assert.match(screen.body, /Inside now/);
    assertRefused(await testApp.app.inject({ url: '/api/v1/gates' }), 401);
  });
});
