// Linking a walk-in to a person from its entry page (/admin/entries/{id}): the page offers people found
// by the entry's last name (or a search), Link stores the person through the check-in service (audited
// as a correction), Unlink undoes it, and bad forms answer a 4xx page, never a 500. In-process (buildApp
// + inject) against a real PostgreSQL database, AUTH_MODE=token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { build, signIn, type AdminSession, type TestApp } from '../support/app.js';

describe('an entry page links a walk-in to a person', () => {
  let t: TestApp;
  let admin: AdminSession;

  before(async () => {
    t = await build({ AUTH_MODE: 'token' });
    admin = await signIn(t.app);
  });
  after(async () => t.close());

  const json = (method: 'POST' | 'GET', url: string, payload?: unknown) =>
    admin.inject({ method, url, payload: payload as Record<string, unknown>, headers: { 'x-csrf-token': admin.csrf } });

  test('candidates by last name; Link, then Unlink, each audited; a bad person id is a 400 page', async () => {
    const ada = (await json('POST', '/api/v1/people', { firstname: 'Ada', lastname: 'Lovelace' })).json<{ id: number }>();
    const other = (await json('POST', '/api/v1/people', { firstname: 'Byron', lastname: 'Lovelace' })).json<{ id: number }>();
    const entry = (await json('POST', '/api/v1/checkins', { firstname: 'Adda', lastname: 'Lovelace', gate: 'A' })).json<{ id: number }>();

    const shown = await admin.inject({ method: 'GET', url: `/admin/entries/${entry.id}` });
    assert.equal(shown.statusCode, 200);
    assert.match(shown.body, /A walk-in: linked to nobody/);
    const candidates = /<ul class="plain-list" id="person-candidates">([\s\S]*?)<\/ul>/.exec(shown.body)?.[1] ?? '';
    assert.match(candidates, /Ada Lovelace/);
    assert.match(candidates, /Byron Lovelace/);
    const searched = await admin.inject({ method: 'GET', url: `/admin/entries/${entry.id}?personQ=byron` });
    assert.doesNotMatch(/id="person-candidates">([\s\S]*?)<\/ul>/.exec(searched.body)?.[1] ?? '', /Ada Lovelace/);

    const linked = await admin.post(`/admin/entries/${entry.id}/person`, { personId: String(ada.id) });
    assert.equal(linked.statusCode, 303);
    assert.equal(linked.headers.location, `/admin/entries/${entry.id}?done=linked`);
    const after = await admin.inject({ method: 'GET', url: `/admin/entries/${entry.id}?done=linked` });
    assert.match(after.body, new RegExp(`Linked to <a href="/admin/people/${ada.id}">Ada Lovelace</a>`));
    assert.equal((await json('GET', `/api/v1/checkins/${entry.id}`)).json<{ personId: number }>().personId, ada.id);

    assert.equal((await admin.post(`/admin/entries/${entry.id}/person`, { personId: '' })).statusCode, 303);
    assert.equal((await json('GET', `/api/v1/checkins/${entry.id}`)).json<{ personId: number | null }>().personId, null);

    for (const bad of ['abc', '0', '-1', '99999999']) {
      const answer = await admin.post(`/admin/entries/${entry.id}/person`, { personId: bad });
      assert.ok([400, 422].includes(answer.statusCode), `${bad}: ${answer.statusCode}`);
      assert.match(answer.body, /notice-error/);
    }
    assert.equal((await admin.post('/admin/entries/999999/person', { personId: String(other.id) })).statusCode, 404);
    assert.equal((await admin.post('/admin/entries/x/person', { personId: String(other.id) })).statusCode, 404);
    const forged = await admin.inject({
      method: 'POST',
      url: `/admin/entries/${entry.id}/person`,
      payload: `personId=${other.id}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': 'forged' },
    });
    assert.equal(forged.statusCode, 403, 'the CSRF token is checked');

    const audit = await t.database.query<{ before: { personId: number | null }; after: { personId: number | null } }>(
      `SELECT before, after FROM audit_log WHERE entity = 'checkin' AND entity_id = $1 AND action = 'correct' ORDER BY id`,
      [String(entry.id)],
    );
    assert.deepEqual(
      audit.map((row) => [row.before.personId, row.after.personId]),
      [
        [null, ada.id],
        [ada.id, null],
      ],
    );
  });
});
