// Times entered by hand: signed-in staff who may record check-ins record an arrival at any past time
// (audited as `record-by-hand`, shown on the entry's page) and move an entry to another time with PATCH
// or the entry's page (audited with the old and the new time; the entry then counts on its new day).
// Gate tokens keep the backdate window; a viewer may do neither. In-process against PostgreSQL, AUTH_MODE=token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { localDate } from '../../src/domain/calendar.js';
import { build, signIn, signInAs, type AdminSession, type TestApp } from '../support/app.js';

const ZONE = 'Europe/Berlin';
const DAY_MS = 86_400_000;

interface Entry {
  id: number;
  occurredAt: string;
  gate: string;
}

function assertProblemOn(response: LightMyRequestResponse, status: number, field?: string): void {
  assert.equal(response.statusCode, status, response.body);
  assert.match(String(response.headers['content-type']), /application\/problem\+json/);
  if (field !== undefined) {
    const problem = response.json<{ errors?: { field: string }[] }>();
    assert.ok(
      problem.errors?.some((e) => e.field === field),
      `names ${field}: ${response.body}`,
    );
  }
}

describe('check-ins entered by hand', () => {
  let t: TestApp;
  let owner: AdminSession;
  let viewer: AdminSession;
  let token: string;

  before(async () => {
    t = await build({ AUTH_MODE: 'token', APP_TIMEZONE: ZONE });
    owner = await signIn(t.app);
    viewer = await signInAs(t.app, owner, 'hand-viewer', 'viewer');
    const made = await owner.inject({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'Hand gate', scopes: ['checkin'] } });
    assert.equal(made.statusCode, 201, made.body);
    token = made.json<{ token: string }>().token;
  });
  after(async () => t.close());

  const ids = async (session: AdminSession, day: string, lastname: string) =>
    (await session.inject({ url: `/api/v1/checkins?date=${day}&q=${lastname}` })).json<{ items: Entry[] }>().items.map((e) => e.id);

  async function auditOf(
    id: number,
  ): Promise<{ action: string; actor: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null }[]> {
    return t.database.query(`SELECT action, actor, before, after FROM audit_log WHERE entity = 'checkin' AND entity_id = $1 ORDER BY id`, [
      String(id),
    ]);
  }

  test('an admin records an arrival three days back: stored on that day, audited and shown as entered by hand', async () => {
    const at = new Date(Date.now() - 3 * DAY_MS);
    const created = await owner.inject({
      method: 'POST',
      url: '/api/v1/checkins',
      payload: { firstname: 'Hanna', lastname: 'Handentry', gate: 'Office', occurredAt: at.toISOString() },
    });
    assert.equal(created.statusCode, 201, created.body);
    const entry = created.json<Entry>();
    assert.equal(Date.parse(entry.occurredAt), at.getTime());
    const day = localDate(ZONE, at);
    assert.deepEqual(await ids(owner, day, 'Handentry'), [entry.id]);

    const audit = await auditOf(entry.id);
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.action, 'record-by-hand');
    assert.equal(audit[0]!.actor, 'admin');
    assert.equal(audit[0]!.after?.occurredAt, entry.occurredAt);

    const page = await owner.inject({ url: `/admin/entries/${entry.id}` });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /id="entered-by-hand"[^>]*>entered by hand</);
    assert.match(page.body, /record-by-hand/);
  });

  test('a recent entry is not entered by hand unless asked; enteredByHand marks it so', async () => {
    const plain = await owner.inject({ method: 'POST', url: '/api/v1/checkins', payload: { firstname: 'Pia', lastname: 'Plainentry' } });
    assert.equal(plain.statusCode, 201, plain.body);
    assert.deepEqual(await auditOf(plain.json<Entry>().id), []);
    const marked = await owner.inject({
      method: 'POST',
      url: '/api/v1/checkins',
      payload: {
        firstname: 'Mia',
        lastname: 'Markedentry',
        occurredAt: new Date(Date.now() - 3_600_000).toISOString(),
        enteredByHand: true,
      },
    });
    assert.equal(marked.statusCode, 201, marked.body);
    assert.deepEqual(
      (await auditOf(marked.json<Entry>().id)).map((a) => a.action),
      ['record-by-hand'],
    );
  });

  test('by hand too: never in the future, never before 2000-01-01 (400 naming occurredAt), and nothing stored', async () => {
    const post = (occurredAt: string) =>
      owner.inject({ method: 'POST', url: '/api/v1/checkins', payload: { firstname: 'Bad', lastname: 'Badtime', occurredAt } });
    assertProblemOn(await post('1900-01-01T09:00:00+01:00'), 400, 'occurredAt');
    assertProblemOn(await post('1999-12-31T12:00:00Z'), 400, 'occurredAt');
    assertProblemOn(await post(new Date(Date.now() + 3_600_000).toISOString()), 400, 'occurredAt');
    const [row] = await t.database.query<{ n: number }>(`SELECT count(*)::int AS n FROM checkins WHERE lastname = 'Badtime'`);
    assert.equal(row!.n, 0);
  });

  test('PATCH occurredAt moves the entry a day: it leaves its day, is found on the other, audited with both times', async () => {
    const at = new Date(Date.now() - 3 * DAY_MS);
    const created = await owner.inject({
      method: 'POST',
      url: '/api/v1/checkins',
      payload: { firstname: 'Max', lastname: 'Movedentry', occurredAt: at.toISOString() },
    });
    const entry = created.json<Entry>();
    const later = new Date(at.getTime() + DAY_MS);
    const patched = await owner.inject({
      method: 'PATCH',
      url: `/api/v1/checkins/${entry.id}`,
      payload: { occurredAt: later.toISOString() },
    });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.equal(Date.parse(patched.json<Entry>().occurredAt), later.getTime());
    assert.deepEqual(await ids(owner, localDate(ZONE, at), 'Movedentry'), []);
    assert.deepEqual(await ids(owner, localDate(ZONE, later), 'Movedentry'), [entry.id]);
    const summary = await owner.inject({ url: `/api/v1/days/${localDate(ZONE, later)}/summary` });
    assert.ok(summary.json<{ total: number }>().total >= 1);

    const correction = (await auditOf(entry.id)).at(-1)!;
    assert.equal(correction.action, 'correct');
    assert.equal(Date.parse(String(correction.before?.occurredAt)), at.getTime());
    assert.equal(Date.parse(String(correction.after?.occurredAt)), later.getTime());

    assertProblemOn(
      await owner.inject({ method: 'PATCH', url: `/api/v1/checkins/${entry.id}`, payload: { occurredAt: '1900-01-01T00:00:00Z' } }),
      400,
      'occurredAt',
    );
    assertProblemOn(
      await owner.inject({
        method: 'PATCH',
        url: `/api/v1/checkins/${entry.id}`,
        payload: { occurredAt: new Date(Date.now() + 3_600_000).toISOString() },
      }),
      400,
      'occurredAt',
    );
  });

  test("the entry's page changes the time too (a local time of APP_TIMEZONE)", async () => {
    const created = await owner.inject({ method: 'POST', url: '/api/v1/checkins', payload: { firstname: 'Ola', lastname: 'Pageentry' } });
    const entry = created.json<Entry>();
    const page = await owner.inject({ url: `/admin/entries/${entry.id}` });
    const was = /name="occurredAtWas" value="([^"]+)"/.exec(page.body)?.[1];
    assert.equal(was, entry.occurredAt.slice(0, 19));
    const day = localDate(ZONE, new Date(Date.now() - 2 * DAY_MS));
    const saved = await owner.post(`/admin/entries/${entry.id}`, {
      firstname: 'Ola',
      lastname: 'Pageentry',
      gate: '',
      direction: 'in',
      occurredAt: `${day}T08:15`,
      occurredAtWas: was!,
    });
    assert.equal(saved.statusCode, 303, saved.body);
    const moved = (await owner.inject({ url: `/api/v1/checkins/${entry.id}` })).json<Entry>();
    assert.match(moved.occurredAt, new RegExp(`^${day}T08:15:00(\\.0+)?[+-]0[12]:00$`));

    const refused = await owner.post(`/admin/entries/${entry.id}`, {
      firstname: 'Ola',
      lastname: 'Pageentry',
      gate: '',
      direction: 'in',
      occurredAt: '1900-01-01T08:00',
      occurredAtWas: `${day}T08:15:00`,
    });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /Time: must not be before 2000-01-01/);
  });

  test('a gate token keeps the backdate window (400), and may not enter by hand (403)', async () => {
    const bearer = { authorization: `Bearer ${token}` };
    const old = await t.app.inject({
      method: 'POST',
      url: '/api/v1/checkins',
      headers: bearer,
      payload: { firstname: 'Tom', lastname: 'Tokenentry', occurredAt: new Date(Date.now() - 25 * 3_600_000).toISOString() },
    });
    assertProblemOn(old, 400, 'occurredAt');
    assert.match(old.json<{ detail: string }>().detail, /within the last 24 hours/);
    const byHand = await t.app.inject({
      method: 'POST',
      url: '/api/v1/checkins',
      headers: bearer,
      payload: { firstname: 'Tom', lastname: 'Tokenentry', enteredByHand: true },
    });
    assertProblemOn(byHand, 403);
    const recent = await t.app.inject({
      method: 'POST',
      url: '/api/v1/checkins',
      headers: bearer,
      payload: { firstname: 'Tom', lastname: 'Tokenentry', occurredAt: new Date(Date.now() - 3_600_000).toISOString() },
    });
    assert.equal(recent.statusCode, 201, recent.body);
    assert.deepEqual(await auditOf(recent.json<Entry>().id), []);
  });

  test('a viewer may neither record by hand nor move an entry (403), and nothing changes', async () => {
    const created = await owner.inject({ method: 'POST', url: '/api/v1/checkins', payload: { firstname: 'Vic', lastname: 'Viewedentry' } });
    const entry = created.json<Entry>();
    assertProblemOn(
      await viewer.inject({
        method: 'POST',
        url: '/api/v1/checkins',
        payload: { firstname: 'Vic', lastname: 'Viewerentry', occurredAt: new Date(Date.now() - 3 * DAY_MS).toISOString() },
      }),
      403,
    );
    assertProblemOn(
      await viewer.inject({
        method: 'PATCH',
        url: `/api/v1/checkins/${entry.id}`,
        payload: { occurredAt: new Date(Date.now() - DAY_MS).toISOString() },
      }),
      403,
    );
    const still = (await owner.inject({ url: `/api/v1/checkins/${entry.id}` })).json<Entry>();
    assert.equal(still.occurredAt, entry.occurredAt);
    const [row] = await t.database.query<{ n: number }>(`SELECT count(*)::int AS n FROM checkins WHERE lastname = 'Viewerentry'`);
    assert.equal(row!.n, 0);
  });
});
