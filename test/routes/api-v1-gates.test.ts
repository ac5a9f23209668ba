// /api/v1/gates (the managed list) and /api/v1/occupancy (inside now per gate, against capacity), on
// PostgreSQL and PGlite, and who may call them with AUTH_MODE=token: the occupancy is counts only and
// public (the venue's big screen reads it), the list is for kiosks and admins, changes are for admins.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, assertProblem, BACKENDS, backendName, startApiServer, uniqueName, type ApiServer } from '../support/api.js';
import { Browser } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';

interface Gate {
  id: number;
  name: string;
  capacity: number | null;
}
interface Occupancy {
  date: string;
  inside: number;
  capacity: number | null;
  gates: { gate: string; inside: number; capacity: number | null; listed: boolean }[];
  at: string;
}

for (const backend of BACKENDS) {
  describe(`gates and occupancy on ${backendName(backend)}`, () => {
    let app: ApiServer;
    let base: string;

    before(async () => {
      app = await startApiServer(backend);
      base = `${app.server.url}/api/v1`;
    });
    after(async () => app.stop());

    test('add, list, rename, change capacity and remove gates; every change is audited', async () => {
      const north = await api<Gate>(`${base}/gates`, { body: { name: ' North ', capacity: 3 } });
      assert.equal(north.status, 201, north.text);
      assert.deepEqual({ ...north.body, id: 0 }, { id: 0, name: 'North', capacity: 3 });
      const south = await api<Gate>(`${base}/gates`, { body: { name: 'South' } });
      assert.equal(south.status, 201, south.text);
      assert.equal(south.body.capacity, null);

      const listed = await api<{ items: Gate[] }>(`${base}/gates`);
      assert.deepEqual(
        listed.body.items.map((g) => [g.name, g.capacity]),
        [
          ['North', 3],
          ['South', null],
        ],
      );
      const renamed = await api<Gate>(`${base}/gates/${south.body.id}`, { method: 'PATCH', body: { name: 'South hall', capacity: 2 } });
      assert.equal(renamed.status, 200, renamed.text);
      assert.deepEqual([renamed.body.name, renamed.body.capacity], ['South hall', 2]);
      const unlimited = await api<Gate>(`${base}/gates/${south.body.id}`, { method: 'PATCH', body: { capacity: null } });
      assert.equal(unlimited.body.capacity, null);

      const temp = await api<Gate>(`${base}/gates`, { body: { name: 'Temporary' } });
      assert.equal((await api(`${base}/gates/${temp.body.id}`, { method: 'DELETE' })).status, 204);
      assertProblem(await api(`${base}/gates/${temp.body.id}`, { method: 'DELETE' }), 404);
      assertProblem(await api(`${base}/gates/${temp.body.id}`, { method: 'PATCH', body: { capacity: 5 } }), 404);

      if (app.database) {
        const rows = await app.database.query<{ action: string }>(`SELECT action FROM audit_log WHERE entity = 'gate' ORDER BY id`);
        assert.deepEqual(
          rows.map((r) => r.action),
          ['create', 'create', 'update', 'update', 'create', 'delete'],
        );
      }
    });

    test('bad input is a 4xx naming the field: a taken name 409, blank or long names, capacities out of range', async () => {
      await api(`${base}/gates`, { body: { name: 'Taken' } });
      assertProblem(await api(`${base}/gates`, { body: { name: 'Taken' } }), 409, 'name');
      assertProblem(await api(`${base}/gates`, { body: { name: '   ' } }), 400, 'name');
      assertProblem(await api(`${base}/gates`, { body: { name: 'x'.repeat(101) } }), 400, 'name');
      assertProblem(await api(`${base}/gates`, { body: { name: 'Zero', capacity: 0 } }), 400, 'capacity');
      assertProblem(await api(`${base}/gates`, { body: { name: 'Frac', capacity: 1.5 } }), 400, 'capacity');
      assertProblem(await api(`${base}/gates`, { body: { name: 'Text', capacity: 'ten' } }), 400, 'capacity');
      assertProblem(await api(`${base}/gates`, { body: {} }), 400, 'name');
      assertProblem(await api(`${base}/gates/1`, { method: 'PATCH', body: {} }), 400);
      assertProblem(await api(`${base}/gates/abc`, { method: 'PATCH', body: { capacity: 1 } }), 400, 'id');
    });

    test('occupancy: a person is inside at the gate of their last check-in today; check-outs, other days and deletions do not count', async () => {
      const gate = `Occ${Date.now().toString(36)}`;
      const created = await api<Gate>(`${base}/gates`, { body: { name: gate, capacity: 2 } });
      assert.equal(created.status, 201, created.text);
      const badged = uniqueName('Occ');
      const person = await api<{ id: number; badge: string }>(`${base}/people`, { body: badged });
      const walker = uniqueName('Walk');
      const leaver = uniqueName('Leave');
      const ok = async (body: Record<string, unknown>) => {
        const answer = await api<{ id: number }>(`${base}/checkins`, { body: { gate, ...body } });
        assert.equal(answer.status, 201, answer.text);
        return answer.body.id;
      };
      await ok({ badge: person.body.badge });
      await ok(walker);
      await ok(leaver);
      await ok({ ...leaver, direction: 'out' });
      const deleted = await ok(uniqueName('Deleted'));
      assert.equal((await api(`${base}/checkins/${deleted}`, { method: 'DELETE' })).status, 204);
      await ok({ ...uniqueName('Unlisted'), gate: `${gate}-side` });

      const answer = await api<Occupancy>(`${base}/occupancy`);
      assert.equal(answer.status, 200, answer.text);
      const at = (name: string) => answer.body.gates.find((g) => g.gate === name);
      assert.deepEqual(at(gate), { gate, inside: 2, capacity: 2, listed: true });
      assert.deepEqual(at(`${gate}-side`), { gate: `${gate}-side`, inside: 1, capacity: null, listed: false });
      assert.equal(
        answer.body.inside,
        answer.body.gates.reduce((sum, g) => sum + g.inside, 0),
      );
      assert.doesNotMatch(
        answer.text,
        new RegExp(`${walker.lastname}|${leaver.lastname}|${badged.lastname}|${person.body.badge}`),
        'counts only, no names',
      );
      assert.match(answer.headers.get('cache-control') ?? '', /max-age=2/);
    });
  });
}

describe('who may call the gate routes with AUTH_MODE=token (PostgreSQL)', () => {
  const PASSWORD = 'correct horse battery staple';
  let database: TestDatabase;
  let server: RunningServer;
  let admin: Browser;
  let csrf: string;

  before(async () => {
    database = await createTestDatabase();
    server = await startServer({ env: { DATABASE_URL: database.url, AUTH_MODE: 'token', ADMIN_PASSWORD: PASSWORD } });
    admin = new Browser(server.url);
    for (let i = 0; (await database.query('SELECT 1 FROM admin_users')).length === 0; i++) {
      if (i > 100) throw new Error('the first admin was not created');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    csrf = await admin.signIn('admin', PASSWORD);
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
    await database.drop();
  });

  const token = async (scope: string[]) => {
    const created = await admin.post('/admin/tokens', { _csrf: csrf, name: `t-${scope.join('-')}`, gate: '', scope });
    const value = /id="new-token" class="mono" readonly value="(brn_[^"]+)"/.exec(created.text)?.[1];
    assert.ok(value, created.text.slice(0, 300));
    return { authorization: `Bearer ${value}` };
  };

  test('occupancy and the big screen need no credentials; the list needs a check-in token or an admin; changes need an admin', async () => {
    const url = `${server.url}/api/v1`;
    assert.equal((await api(`${url}/occupancy`)).status, 200);
    const screen = await fetch(`${server.url}/screen`);
    assert.equal(screen.status, 200);
    assert.match(await screen.text(), /Inside now/);

    assertProblem(await api(`${url}/gates`), 401);
    const kiosk = await token(['checkin']);
    const reader = await token(['read']);
    assert.equal((await api(`${url}/gates`, { headers: kiosk })).status, 200);
    assertProblem(await api(`${url}/gates`, { headers: reader }), 403);
    assertProblem(await api(`${url}/gates`, { body: { name: 'Sneaky' }, headers: kiosk }), 403);
    assertProblem(await api(`${url}/gates`, { body: { name: 'Anon' } }), 401);

    const created = await admin.request('POST', '/api/v1/gates', {
      json: { name: 'Admin gate', capacity: 10 },
      headers: { 'x-csrf-token': csrf },
    });
    assert.equal(created.status, 201, created.text);
    const noCsrf = await admin.request('POST', '/api/v1/gates', { json: { name: 'No CSRF' } });
    assert.equal(noCsrf.status, 403);
    const rows = await database.query<{ actor: string }>(`SELECT actor FROM audit_log WHERE entity = 'gate'`);
    assert.deepEqual(
      rows.map((r) => r.actor),
      ['admin'],
    );
  });

  test('the Gates page adds a gate, refuses a taken name with the reason, saves a capacity and removes a gate', async () => {
    const added = await admin.post('/admin/gates', { _csrf: csrf, name: 'Page gate', capacity: '50' });
    assert.equal(added.status, 303, added.text.slice(added.text.indexOf('<main'), added.text.indexOf('<main') + 1500));
    const listed = await admin.get('/admin/gates?done=added');
    assert.match(listed.text, /Gate added/);
    const id = /id="gate-name-(\d+)" name="name" value="Page gate"/.exec(listed.text)?.[1];
    assert.ok(id, 'the gate is listed with its own form');

    const taken = await admin.post('/admin/gates', { _csrf: csrf, name: 'Page gate', capacity: '' });
    assert.equal(taken.status, 409);
    assert.match(taken.text, /a gate named &quot;Page gate&quot; exists already|a gate named "Page gate" exists already/);
    const bad = await admin.post(`/admin/gates/${id}`, { _csrf: csrf, name: 'Page gate', capacity: 'lots' });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /capacity: must be a whole number/);

    assert.equal((await admin.post(`/admin/gates/${id}`, { _csrf: csrf, name: 'Page gate', capacity: '75' })).status, 303);
    const gates = await api<{ items: Gate[] }>(`${server.url}/api/v1/gates`, { headers: { cookie: admin.cookieHeader() } });
    assert.equal(gates.body.items.find((g) => g.name === 'Page gate')?.capacity, 75);

    // Kiosks and tokens choose from the list (any other name may still be typed).
    const option = /<datalist id="gate-options">[\s\S]*?<option value="Page gate"><\/option>/;
    assert.match((await admin.get('/admin/tokens')).text, option);
    assert.match(await (await fetch(`${server.url}/kiosk`)).text(), option);

    assert.equal((await admin.post(`/admin/gates/${id}/delete`, { _csrf: csrf })).status, 303);
    assert.equal((await admin.post(`/admin/gates/${id}/delete`, { _csrf: csrf })).status, 404);
    assert.equal((await admin.post('/admin/gates/x/delete', { _csrf: csrf })).status, 404);
    assert.equal((await admin.post('/admin/gates', { name: 'Forged' })).status, 403, 'CSRF checked');
  });
});
