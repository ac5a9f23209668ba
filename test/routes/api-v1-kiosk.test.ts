// /api/v1/kiosk through HTTP against the running service (AUTH_MODE=token), on PostgreSQL and PGlite:
// the roster a kiosk keeps (checkin scope; everyone's id, names and badge; a strong ETag and 304; never
// cached on the way), the roster search (checkin scope, names only: id and names answered, never found by a reference or
// e-mail; at least 2 letters, folded like every people search) and undoing a check-in (only one the token
// itself recorded, at its gate, within 2 minutes, audited as a deletion; any other entry is answered as a
// missing one).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
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
    /** A check-in as the kiosk sends it: with an Idempotency-Key (unless `keyed` is false). */
    const checkIn = async (body: Record<string, unknown>, headers: Record<string, string>, keyed = true, status = 201) => {
      const created = await api<Entry>(`${ctx.base}/checkins`, {
        body,
        headers: { ...headers, ...(keyed ? { 'idempotency-key': randomUUID() } : {}) },
      });
      assert.equal(created.status, status, created.text);
      return created.body;
    };
    /** A refusal with its entry's id taken out: what it tells about the entry besides the id asked for. */
    const shapeOf = (response: { status: number; body: unknown }, id: number) => {
      const { type, title, status, detail } = response.body as Record<string, string>;
      return { httpStatus: response.status, type, title, status, detail: detail!.replaceAll(String(id), '<id>') };
    };

    test('roster: everyone with id, names and badge; a strong ETag answers 304; private, no-store', async () => {
      const kiosk = await createToken('Roster tablet', 'North');
      const ada = await newPerson(uniqueName('Roster'));
      type RosterBody = { items: { id: number; firstname: string; lastname: string; badge: string }[] };
      const roster = (headers: Record<string, string>) => api<RosterBody>(`${ctx.base}/kiosk/roster`, { headers });
      const first = await roster(kiosk);
      assert.equal(first.status, 200, first.text);
      const etag = first.headers.get('etag') ?? '';
      assert.match(etag, /^"[A-Za-z0-9_-]{32}"$/, 'a strong ETag');
      assert.equal(first.headers.get('cache-control'), 'private, no-store');
      const mine = first.body.items.find((person) => person.id === ada.id);
      assert.deepEqual(mine && Object.keys(mine).sort(), ['badge', 'firstname', 'id', 'lastname'], 'only id, names and badge');
      assert.equal(mine?.badge, ada.badge);
      const ids = first.body.items.map((person) => person.id);
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a - b),
        'by id',
      );

      // Unchanged: 304 without a body, for the ETag itself, a list naming it, its weak form and *.
      for (const condition of [etag, `"nope", ${etag}`, `W/${etag}`, '*']) {
        const again = await roster({ ...kiosk, 'if-none-match': condition });
        assert.equal(again.status, 304, condition);
        assert.equal(again.text, '');
        assert.equal(again.headers.get('etag'), etag);
      }
      assert.equal((await roster({ ...kiosk, 'if-none-match': '"something-else"' })).status, 200);

      // A new person, a renamed one or a new badge is a new roster.
      const grace = await newPerson(uniqueName('Roster'));
      const grown = await roster({ ...kiosk, 'if-none-match': etag });
      assert.equal(grown.status, 200);
      assert.notEqual(grown.headers.get('etag'), etag);
      assert.ok(grown.body.items.some((person) => person.id === grace.id && person.badge === grace.badge));
      const before = grown.headers.get('etag')!;
      assert.equal((await asAdmin('PATCH', `/people/${ada.id}`, { firstname: 'Renamed' })).status, 200);
      const renamed = await roster({ ...kiosk, 'if-none-match': before });
      assert.equal(renamed.status, 200);
      assert.equal(renamed.body.items.find((person) => person.id === ada.id)?.firstname, 'Renamed');
      const reissued = await asAdmin('POST', `/people/${grace.id}/badge`);
      assert.ok(reissued.status < 300, reissued.text);
      const newBadge = await roster({ ...kiosk, 'if-none-match': renamed.headers.get('etag')! });
      assert.equal(newBadge.status, 200);
      assert.notEqual(newBadge.body.items.find((person) => person.id === grace.id)?.badge, grace.badge);
      // A token bound to another gate, or to none, reads the same roster: gates are not limited to groups.
      const anyGate = await createToken('Roster roaming', '');
      assert.equal((await roster({ ...anyGate, 'if-none-match': newBadge.headers.get('etag')! })).status, 304);
    });

    test('roster: the checkin scope (403 without), a token (401 without or revoked), or an admin session', async () => {
      const url = `${ctx.base}/kiosk/roster`;
      const reader = await createToken('Roster reader', '', ['read']);
      assertProblem(await api(url, { headers: reader }), 403);
      assertProblem(await api(url), 401);
      assertProblem(await api(url, { headers: { authorization: 'Bearer brn_nothing' } }), 401);
      const kiosk = await createToken('Roster revoked', '');
      assert.equal((await api(url, { headers: kiosk })).status, 200);
      const tokens = await asAdmin('GET', '/tokens');
      const id = tokens.json<{ items: { id: number; name: string }[] }>().items.find((token) => token.name === 'Roster revoked')!.id;
      assert.ok((await asAdmin('DELETE', `/tokens/${id}`)).status < 300);
      assertProblem(await api(url, { headers: kiosk }), 401);
      const admin = await ctx.admin.request('GET', '/api/v1/kiosk/roster', { headers: { accept: 'application/json' } });
      assert.equal(admin.status, 200, admin.text);
    });

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

      // The reference and the e-mail address are not searched: typed at a public kiosk, they must not
      // reveal whose they are (staff find people by reference through /api/v1/people).
      assert.deepEqual((await search(`REF-${unique}`, kiosk)).body.items, [], 'not by external reference');
      assert.deepEqual((await search(`ref${unique.toLowerCase()}`, kiosk)).body.items, [], 'not by the folded reference');
      assert.deepEqual((await search('z@example.org', kiosk)).body.items, [], 'not by e-mail');
      const byStaff = await asAdmin('GET', `/people?q=${encodeURIComponent(`REF-${unique}`)}`);
      assert.equal(byStaff.json<{ items: { id: number }[] }>().items[0]?.id, zolc.id, 'staff do find people by reference');
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

    test("undo: another token's entry, or another gate's, is answered exactly like a missing one (404)", async () => {
      const north = await createToken('North only', 'North');
      const anyGate = await createToken('Roaming', '');
      const south = await checkIn({ ...uniqueName('South'), gate: 'South' }, anyGate);
      const missing = shapeOf(await undo(2_000_000_001, 'North', north), 2_000_000_001);
      assert.equal(missing.httpStatus, 404);
      const refused = await undo(south.id, 'North', north);
      assertProblem(refused, 404);
      assert.deepEqual(shapeOf(refused, south.id), missing, 'the same answer as for no entry at all');
      assert.doesNotMatch(refused.text, /South/, "the entry's gate is not revealed");
      // Naming another gate is refused by a token bound to one before any entry is looked at: alike for both.
      const otherGate = await undo(south.id, 'South', north);
      assertProblem(otherGate, 403);
      assert.deepEqual(shapeOf(otherGate, south.id), shapeOf(await undo(2_000_000_001, 'South', north), 2_000_000_001));
      // A token bound to no gate undoes at the gate its kiosk names, and only there.
      assert.deepEqual(shapeOf(await undo(south.id, 'East', anyGate), south.id), missing);
      assertProblem(await api(`${ctx.base}/kiosk/checkins/${south.id}/undo`, { body: {}, headers: anyGate }), 400, 'gate');
      // Without the checkin scope: nothing.
      const reader = await createToken('Reader 2', '', ['read']);
      assertProblem(await undo(south.id, 'South', reader), 403);
      assert.equal((await undo(south.id, 'South', anyGate)).status, 200);
    });

    test('undo: a token takes back only what it recorded itself, not an entry it was answered with as a duplicate', async () => {
      const first = await createToken('West tablet 1', 'West');
      const second = await createToken('West tablet 2', 'West');
      const missing = shapeOf(await undo(2_000_000_002, 'West', first), 2_000_000_002);
      // Recorded by the first tablet; the second is answered with that entry (same person, same gate, within the window).
      const person = uniqueName('Twice');
      const entry = await checkIn({ ...person, gate: 'West' }, first);
      const duplicate = await checkIn({ ...person, gate: 'West' }, second, true, 200);
      assert.equal(duplicate.id, entry.id);
      assert.deepEqual(shapeOf(await undo(entry.id, 'West', second), entry.id), missing, 'not the duplicate answer');
      // Recorded by the first tablet without an Idempotency-Key: nothing proves whose it is.
      const unkeyed = await checkIn({ ...uniqueName('Unkeyed'), gate: 'West' }, first, false);
      assert.deepEqual(shapeOf(await undo(unkeyed.id, 'West', first), unkeyed.id), missing, 'not an entry recorded without a key');
      // An entry recorded by staff.
      const byStaff = await asAdmin('POST', '/checkins', { ...uniqueName('Staff'), gate: 'West' });
      assert.equal(byStaff.status, 201, byStaff.text);
      const staffEntry = byStaff.json<Entry>();
      assert.deepEqual(shapeOf(await undo(staffEntry.id, 'West', first), staffEntry.id), missing, "not staff's entry");
      const rows = ctx.app.database
        ? await ctx.app.database.query<{ deleted: boolean }>(
            'SELECT deleted_at IS NOT NULL AS deleted FROM checkins WHERE id = ANY ($1::bigint[]) ORDER BY id',
            [[entry.id, unkeyed.id, staffEntry.id]],
          )
        : undefined;
      if (rows) assert.deepEqual(rows, [{ deleted: false }, { deleted: false }, { deleted: false }], 'nothing refused was deleted');
      // The first tablet's own entry is its to take back.
      assert.equal((await undo(entry.id, 'West', first)).status, 200);
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
    const entry = await api<Entry>(`${ctx.base}/checkins`, {
      body: { ...uniqueName('Late'), gate: 'North' },
      headers: { ...headers, 'idempotency-key': randomUUID() },
    });
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
