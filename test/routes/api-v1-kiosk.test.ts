// /api/v1/kiosk through HTTP against the running service (AUTH_MODE=token), on PostgreSQL and PGlite:
// the roster search (checkin scope, only id and names, at least 2 letters, folded like every people
// search) and undoing a check-in (the token's gate, the 2-minute window, audited as a deletion).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, assertProblem, BACKENDS, backendName, startApiServer, uniqueName, type ApiServer, type Backend } from '../support/api.js';
import { Browser } from '../support/browser.js';

const PASSWORD = 'a kiosk api test password';

interface Entry {
  id: number;
  gate: string;
  firstname: string;
  lastname: string;
  personId: number | null;
}

function kioskApi(backend: Backend) {
  const context = {} as {
    app: ApiServer;
    base: string;
    admin: Browser;
    csrf: string;
  };
  before(async () => {
    context.app = await startApiServer(backend, { AUTH_MODE: 'token', ADMIN_PASSWORD: PASSWORD });
    context.base = `${context.app.server.url}/api/v1`;
    context.admin = new Browser(context.app.server.url);
    // The first admin is created once the schema exists: retry the sign-in until it is there.
    for (let attempt = 0; ; attempt++) {
      try {
        context.csrf = await context.admin.signIn('admin', PASSWORD);
        break;
      } catch (error) {
        if (attempt > 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  });
  after(async () => context.app.stop());
  return context;
}

for (const backend of BACKENDS) {
  describe(`/api/v1/kiosk on ${backendName(backend)}`, () => {
    const ctx = kioskApi(backend);

    async function createToken(name: string, gate: string, scope: string[] = ['checkin']) {
      const created = await ctx.admin.post('/admin/tokens', { _csrf: ctx.csrf, name, gate, scope, expiresInDays: '' });
      assert.equal(created.status, 200, created.text.slice(0, 500));
      const token = /id="new-token" class="mono" readonly value="(brn_[^"]+)"/.exec(created.text)?.[1];
      assert.ok(token);
      return { authorization: `Bearer ${token}` };
    }
    const asAdmin = (method: string, path: string, json?: unknown) =>
      ctx.admin.request(method, `/api/v1${path}`, { json, headers: { accept: 'application/json', 'x-csrf-token': ctx.csrf } });
    async function newPerson(fields: { firstname: string; lastname: string; externalRef?: string; email?: string }) {
      const created = await asAdmin('POST', '/people', fields);
      assert.equal(created.status, 201, created.text);
      return created.json<{ id: number; badge: string }>();
    }
    const search = (q: string, headers: Record<string, string>) =>
      api<{ items: Record<string, unknown>[] }>(`${ctx.base}/kiosk/people?q=${encodeURIComponent(q)}`, { headers });
    const undo = (id: number, gate: string, headers: Record<string, string>) =>
      api<Entry>(`${ctx.base}/kiosk/checkins/${id}/undo`, { body: { gate }, headers });
    const checkIn = async (body: Record<string, unknown>, headers: Record<string, string>) => {
      const created = await api<Entry>(`${ctx.base}/checkins`, { body, headers });
      assert.equal(created.status, 201, created.text);
      return created.body;
    };

    test('roster search: only id and names, folded like every people search, at most 10, by name', async () => {
      const kiosk = await createToken('Search tablet', 'North');
      const unique = `Q${process.pid}${backend.slice(0, 2)}`;
      const zolc = await newPerson({
        firstname: `${unique}Żaneta`,
        lastname: 'Żółć',
        externalRef: `REF-${unique}`,
        email: 'z@example.org',
      });
      const found = await search(`${unique.toLowerCase()}zaneta zolc`, kiosk);
      assert.equal(found.status, 200, found.text);
      assert.deepEqual(
        found.body.items,
        [{ id: zolc.id, firstname: `${unique}Żaneta`, lastname: 'Żółć' }],
        'no badge, e-mail or reference',
      );
      assert.doesNotMatch(found.text, new RegExp(zolc.badge));

      for (let i = 0; i < 12; i++) await newPerson({ firstname: `${unique}Many`, lastname: `Lastname ${String.fromCharCode(76 - i)}` });
      const many = await search(`${unique}many`, kiosk);
      assert.equal(many.status, 200, many.text);
      assert.equal(many.body.items.length, 10, 'at most 10');
      const lastnames = many.body.items.map((p) => p.lastname as string);
      assert.deepEqual(lastnames, [...lastnames].sort(), 'sorted by last name');

      assert.deepEqual((await search('nobody-has-this-name-zz', kiosk)).body.items, []);
    });

    test('roster search: at least 2 letters (400 naming q); the checkin scope or an admin session', async () => {
      const kiosk = await createToken('Search tablet 2', '');
      assertProblem(await search('a', kiosk), 400, 'q');
      assertProblem(await search(' . a ', kiosk), 400, 'q');
      assertProblem(await api(`${ctx.base}/kiosk/people`, { headers: kiosk }), 400, 'q');
      const reader = await createToken('Reader', '', ['read']);
      assertProblem(await search('ab', reader), 403);
      assertProblem(await search('ab', {}), 401);
      assertProblem(await search('ab', { authorization: 'Bearer brn_nothing' }), 401);
      const admin = await ctx.admin.request('GET', '/api/v1/kiosk/people?q=ab', { headers: { accept: 'application/json' } });
      assert.equal(admin.status, 200, admin.text);
    });

    test('undo: the check-in just made at this gate is deleted and audited; a second undo is a 404', async () => {
      const north = await createToken('North undo tablet', 'North');
      const person = await newPerson(uniqueName('Undo'));
      const entry = await checkIn({ badge: person.badge, gate: 'North' }, north);
      const undone = await undo(entry.id, 'North', north);
      assert.equal(undone.status, 200, undone.text);
      assert.equal(undone.body.id, entry.id);
      assert.equal(undone.body.personId, person.id);
      assert.equal((await asAdmin('GET', `/checkins/${entry.id}`)).status, 404, 'gone from the API');
      assertProblem(await undo(entry.id, 'North', north), 404);
      assertProblem(await undo(2_000_000_000, 'North', north), 404);

      // Audited like any deletion, with the token as the actor.
      const audit = await ctx.admin.get('/admin/audit');
      assert.equal(audit.status, 200);
      assert.match(audit.text, /token:North undo tablet/);
      if (ctx.app.database) {
        const rows = await ctx.app.database.query<{ actor: string; action: string }>(
          `SELECT actor, action FROM audit_log WHERE entity = 'checkin' AND entity_id = $1`,
          [String(entry.id)],
        );
        assert.deepEqual(rows, [{ actor: 'token:North undo tablet', action: 'delete' }]);
      }
    });

    test("undo: another gate's entry is refused (403), for a bound token whatever gate it names", async () => {
      const north = await createToken('North only', 'North');
      const anyGate = await createToken('Roaming', '');
      const south = await checkIn({ ...uniqueName('South'), gate: 'South' }, anyGate);
      const refused = await undo(south.id, 'North', north);
      assertProblem(refused, 403);
      assert.match((refused.body as unknown as { detail: string }).detail, /gate "South"/);
      // Naming the entry's gate does not help a token bound to another one.
      assertProblem(await undo(south.id, 'South', north), 403);
      // A token bound to no gate undoes at the gate its kiosk names, and only there.
      assertProblem(await undo(south.id, 'East', anyGate), 403);
      assertProblem(await api(`${ctx.base}/kiosk/checkins/${south.id}/undo`, { body: {}, headers: anyGate }), 400, 'gate');
      assert.equal((await undo(south.id, 'South', anyGate)).status, 200);
      // Without the checkin scope: nothing.
      const reader = await createToken('Reader 2', '', ['read']);
      assertProblem(await undo(south.id, 'South', reader), 403);
    });
  });
}

describe('/api/v1/kiosk undo window on PostgreSQL', () => {
  const ctx = kioskApi('postgres');

  test('an entry recorded more than 2 minutes ago cannot be undone at the kiosk (409); one of 100 seconds can', async () => {
    const created = await ctx.admin.post('/admin/tokens', {
      _csrf: ctx.csrf,
      name: 'Late',
      gate: 'North',
      scope: 'checkin',
      expiresInDays: '',
    });
    const token = /id="new-token" class="mono" readonly value="(brn_[^"]+)"/.exec(created.text)![1]!;
    const headers = { authorization: `Bearer ${token}` };
    const entry = await api<Entry>(`${ctx.base}/checkins`, { body: { ...uniqueName('Late'), gate: 'North' }, headers });
    assert.equal(entry.status, 201, entry.text);
    await ctx.app.database!.query(`UPDATE checkins SET recorded_at = now() - interval '121 seconds' WHERE id = $1`, [entry.body.id]);
    const late = await api(`${ctx.base}/kiosk/checkins/${entry.body.id}/undo`, { body: { gate: 'North' }, headers });
    assertProblem(late, 409);
    assert.match((late.body as { detail: string }).detail, /more than 2 minutes ago/);
    await ctx.app.database!.query(`UPDATE checkins SET recorded_at = now() - interval '100 seconds' WHERE id = $1`, [entry.body.id]);
    const inTime = await api(`${ctx.base}/kiosk/checkins/${entry.body.id}/undo`, { body: { gate: 'North' }, headers });
    assert.equal(inTime.status, 200, inTime.text);
  });
});
