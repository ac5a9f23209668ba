// Who may do what with people, over HTTP (inject) against PostgreSQL: a viewer reads and changes nothing,
// a leader sees only the members of their groups (anyone else is a 404), a manager changes and exports
// but cannot erase, an owner erases. The API answers refusals as problem details; the pages do not offer
// what the role may not do, and refuse it when it is posted anyway.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { build, signIn, signInAs, type AdminSession, type TestApp } from '../../../test/support/app.js';

interface Person {
  id: number;
  firstname: string;
  lastname: string;
  badge: string | null;
}

const json = <T>(response: LightMyRequestResponse) => JSON.parse(response.body) as T;

function assertRefused(response: LightMyRequestResponse, status: 403 | 404, what: string) {
  assert.equal(response.statusCode, status, `${what}: ${response.body}`);
  assert.match(response.headers['content-type'] as string, /^application\/problem\+json/, what);
}

describe('people by role', () => {
  let running: TestApp;
  let owner: AdminSession;
  let manager: AdminSession;
  let leader: AdminSession;
  let viewer: AdminSession;
  /** A member of the leader's group (and of another); a member of another group only; a person in no group. */
  let inside: Person;
  let outside: Person;
  let nowhere: Person;
  let ledGroup: number;

  before(async () => {
    running = await build({ AUTH_MODE: 'token' });
    owner = await signIn(running.app);
    const create = async (url: string, body: object, method: 'POST' | 'PUT' = 'POST') => {
      const response = await owner.inject({ method, url, payload: body });
      assert.equal(response.statusCode, 201, response.body);
      return json<{ id: number } & Record<string, unknown>>(response);
    };
    ledGroup = (await create('/api/v1/groups', { name: 'Led class' })).id;
    const otherGroup = (await create('/api/v1/groups', { name: 'Other class' })).id;
    inside = (await create('/api/v1/people', { firstname: 'Inga', lastname: 'Roleinside' })) as unknown as Person;
    outside = (await create('/api/v1/people', { firstname: 'Otto', lastname: 'Roleoutside' })) as unknown as Person;
    nowhere = (await create('/api/v1/people', { firstname: 'Nora', lastname: 'Rolenowhere' })) as unknown as Person;
    for (const [group, person] of [
      [ledGroup, inside.id],
      [otherGroup, inside.id],
      [otherGroup, outside.id],
    ] as const) {
      assert.equal((await owner.inject({ method: 'PUT', url: `/api/v1/groups/${group}/members/${person}` })).statusCode, 201);
    }

    manager = await signInAs(running.app, owner, 'manager', 'manager');
    leader = await signInAs(running.app, owner, 'leader', 'leader', [ledGroup]);
    viewer = await signInAs(running.app, owner, 'viewer', 'viewer');
  });
  after(async () => running?.close());

  const ids = async (session: AdminSession, q = 'Role') => {
    const response = await session.inject({ url: `/api/v1/people?q=${q}&limit=50` });
    assert.equal(response.statusCode, 200, response.body);
    return json<{ items: Person[] }>(response).items.map((p) => p.id);
  };

  test('a viewer reads every person and changes nothing', async () => {
    assert.deepEqual(await ids(viewer), [inside.id, outside.id, nowhere.id]);
    const read = await viewer.inject({ url: `/api/v1/people/${outside.id}` });
    assert.equal(read.statusCode, 200);
    // A badge code checks its holder in: a viewer never sees one (a manager does), nor prints badges.
    assert.equal(json<Person>(read).badge, null);
    assert.match(json<Person>(await manager.inject({ url: `/api/v1/people/${outside.id}` })).badge ?? '', /^\S{8,}$/);
    assert.ok(json<{ items: Person[] }>(await viewer.inject({ url: '/api/v1/people?limit=50' })).items.every((p) => p.badge === null));
    assert.equal((await viewer.inject({ url: `/admin/badges?person=${outside.id}`, headers: { accept: 'text/html' } })).statusCode, 403);
    assertRefused(
      await viewer.inject({ method: 'POST', url: '/api/v1/people', payload: { firstname: 'New', lastname: 'Person' } }),
      403,
      'create',
    );
    assertRefused(await viewer.inject({ method: 'PATCH', url: `/api/v1/people/${inside.id}`, payload: { firstname: 'X' } }), 403, 'change');
    assertRefused(await viewer.inject({ method: 'DELETE', url: `/api/v1/people/${inside.id}` }), 403, 'delete');
    assertRefused(await viewer.inject({ method: 'POST', url: `/api/v1/people/${inside.id}/badge` }), 403, 'reissue');
    assertRefused(await viewer.inject({ url: `/api/v1/people/${inside.id}/export` }), 403, 'export');
    assertRefused(await viewer.inject({ url: `/api/v1/people/${inside.id}/export.csv` }), 403, 'export.csv');
    assertRefused(await viewer.inject({ method: 'POST', url: `/api/v1/people/${inside.id}/erase` }), 403, 'erase');
    assert.equal(json<Person>(await owner.inject({ url: `/api/v1/people/${inside.id}` })).firstname, 'Inga', 'unchanged');
  });

  test('a leader sees only the members of their groups; anyone else is a 404; they change nothing', async () => {
    assert.deepEqual(await ids(leader), [inside.id]);
    assert.deepEqual(await ids(leader, 'Roleoutside'), []);
    assert.equal((await leader.inject({ url: `/api/v1/people/${inside.id}` })).statusCode, 200);
    for (const other of [outside, nowhere]) {
      const response = await leader.inject({ url: `/api/v1/people/${other.id}` });
      assertRefused(response, 404, `person ${other.id}`);
      assert.match(json<{ detail: string }>(response).detail, new RegExp(`no person with id ${other.id}`));
    }
    assertRefused(await leader.inject({ method: 'PATCH', url: `/api/v1/people/${inside.id}`, payload: { firstname: 'X' } }), 403, 'change');
    assertRefused(
      await leader.inject({ method: 'POST', url: '/api/v1/people', payload: { firstname: 'New', lastname: 'Person' } }),
      403,
      'create',
    );
    assertRefused(await leader.inject({ url: `/api/v1/people/${inside.id}/export` }), 403, 'export');
    assertRefused(await leader.inject({ method: 'POST', url: `/api/v1/people/${inside.id}/erase` }), 403, 'erase');
  });

  test("a leader's pages: their members only, their own groups only, nothing to change", async () => {
    const list = await leader.inject({ url: '/admin/people' });
    assert.equal(list.statusCode, 200);
    assert.match(list.body, /Roleinside/);
    assert.doesNotMatch(list.body, /Roleoutside|Rolenowhere/);
    assert.doesNotMatch(list.body, /Add person/);
    assert.equal((await leader.inject({ url: `/admin/people/${outside.id}` })).statusCode, 404);
    const page = await leader.inject({ url: `/admin/people/${inside.id}` });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Led class/);
    assert.doesNotMatch(page.body, /Other class/, 'only the groups they lead');
    assert.doesNotMatch(page.body, /Save changes|Reissue badge|Erase this person|Download data/);
    assert.equal((await leader.post(`/admin/people/${inside.id}`, { firstname: 'X', lastname: 'Y' })).statusCode, 403);
    const badges = await leader.inject({ url: `/admin/badges?person=${outside.id}` });
    assert.equal(badges.statusCode, 404, 'no badge of a person outside their groups');
  });

  test("a viewer's pages read; the forms to change are not there, and posting them is refused", async () => {
    const list = await viewer.inject({ url: '/admin/people' });
    assert.match(list.body, /Roleoutside/);
    assert.doesNotMatch(list.body, /Add person/);
    const page = await viewer.inject({ url: `/admin/people/${inside.id}` });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /id="person-details"/);
    assert.doesNotMatch(page.body, /Save changes|Reissue badge|Erase this person|Download data/);
    assert.equal((await viewer.post('/admin/people', { firstname: 'New', lastname: 'Person' })).statusCode, 403);
    assert.equal((await viewer.post(`/admin/people/${inside.id}/badge`, {})).statusCode, 403);
  });

  test('a manager changes and exports people but cannot erase; an owner can', async () => {
    const created = await manager.inject({ method: 'POST', url: '/api/v1/people', payload: { firstname: 'Mana', lastname: 'Roleged' } });
    assert.equal(created.statusCode, 201, created.body);
    const person = json<Person>(created);
    const changed = await manager.inject({ method: 'PATCH', url: `/api/v1/people/${person.id}`, payload: { firstname: 'Managed' } });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.equal((await manager.inject({ url: `/api/v1/people/${person.id}/export` })).statusCode, 200);
    assert.equal((await manager.inject({ url: `/api/v1/people/${person.id}/export.csv` })).statusCode, 200);
    assertRefused(await manager.inject({ method: 'POST', url: `/api/v1/people/${person.id}/erase` }), 403, 'erase by a manager');
    const managerPage = await manager.inject({ url: `/admin/people/${person.id}` });
    assert.match(managerPage.body, /Save changes/);
    assert.match(managerPage.body, /Download data/);
    assert.doesNotMatch(managerPage.body, /Erase this person/);
    assert.equal((await manager.post(`/admin/people/${person.id}/erase`, { confirm: 'Managed Roleged' })).statusCode, 403);
    assert.equal((await owner.inject({ url: `/api/v1/people/${person.id}` })).statusCode, 200, 'still there');

    assert.match((await owner.inject({ url: `/admin/people/${person.id}` })).body, /Erase this person/);
    const erased = await owner.inject({ method: 'POST', url: `/api/v1/people/${person.id}/erase` });
    assert.equal(erased.statusCode, 200, erased.body);
    assert.equal((await owner.inject({ url: `/api/v1/people/${person.id}` })).statusCode, 404);
    const { rows } = await running.db.query<{ actor: string; actor_role: string }>(
      `SELECT actor, actor_role FROM audit_log WHERE entity = 'person' AND entity_id = $1 ORDER BY id`,
      [String(person.id)],
    );
    assert.deepEqual(
      rows.map((row) => `${row.actor}:${row.actor_role}`),
      ['manager:manager', 'manager:manager', 'manager:manager', 'manager:manager', 'admin:owner'],
      'create, change, two exports by the manager; the erasure by the owner',
    );
  });
});
