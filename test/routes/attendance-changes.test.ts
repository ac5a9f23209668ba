// Every change to attendance goes through the check-in service: corrections, deletions and restores,
// made through the API or the admin pages, are written with their audit record in one transaction; every
// check-in (seed API, /api/v1 as the kiosk sends it) is counted in the metrics and announced to live
// updates. In-process (buildApp + inject) against a real PostgreSQL database, AUTH_MODE=token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createGateToken } from '../../src/features/tokens/gate-tokens.js';
import { build, signIn, type AdminSession, type TestApp } from '../support/app.js';

/** The value of one sample line of Prometheus text, e.g. sample(text, 'x_total{gate="A"}'); 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** Every INSERT into audit_log fails while this trigger exists. */
const REFUSE_AUDIT = `
  CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit refused by the test'; END $$;
  CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit();`;
const ALLOW_AUDIT = `DROP TRIGGER refuse_audit ON audit_log; DROP FUNCTION refuse_audit();`;

describe('the one door for changes to attendance', () => {
  let t: TestApp;
  let admin: AdminSession;
  let kioskToken: string;

  before(async () => {
    t = await build({ AUTH_MODE: 'token', DUPLICATE_WINDOW_SECONDS: '120' });
    admin = await signIn(t.app);
    ({ token: kioskToken } = await createGateToken(t.db, { name: 'Kiosk K', gate: 'K', createdBy: 'admin', scopes: ['checkin', 'read'] }));
  });
  after(async () => {
    await t.close();
  });

  async function checkIn(firstname: string, lastname: string, gate = 'K'): Promise<number> {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/checkins',
      headers: { authorization: `Bearer ${kioskToken}` },
      payload: { firstname, lastname, gate },
    });
    assert.equal(created.statusCode, 201, created.body);
    return created.json<{ id: number }>().id;
  }

  /** The row's and its audit records' creating transactions, and the audit actions, oldest first. */
  async function history(id: number) {
    const [row] = await t.database.query<{ xmin: string; firstname: string; deleted: boolean }>(
      'SELECT xmin::text, firstname, deleted_at IS NOT NULL AS deleted FROM checkins WHERE id = $1',
      [id],
    );
    const audit = await t.database.query<{ xmin: string; action: string; actor: string }>(
      `SELECT xmin::text, action, actor FROM audit_log WHERE entity = 'checkin' AND entity_id = $1 ORDER BY id`,
      [String(id)],
    );
    return { row: row!, audit };
  }

  test('an API correction and deletion each commit with their audit record, in the same transaction', async () => {
    const id = await checkIn('Barbara', 'Liskov');
    const patched = await admin.inject({ method: 'PATCH', url: `/api/v1/checkins/${id}`, payload: { firstname: 'Barbra' } });
    assert.equal(patched.statusCode, 200, patched.body);
    let h = await history(id);
    assert.deepEqual(
      h.audit.map((a) => [a.action, a.actor]),
      [['correct', 'admin']],
      'audited before the answer went out',
    );
    assert.equal(h.audit[0]!.xmin, h.row.xmin, 'the correction and its audit record were written by one transaction');

    const deleted = await admin.inject({ method: 'DELETE', url: `/api/v1/checkins/${id}` });
    assert.equal(deleted.statusCode, 204);
    h = await history(id);
    assert.deepEqual(
      h.audit.map((a) => a.action),
      ['correct', 'delete'],
    );
    assert.equal(h.audit[1]!.xmin, h.row.xmin, 'the deletion and its audit record were written by one transaction');
  });

  test('when the audit record cannot be written, the API correction and deletion are not stored either', async () => {
    const id = await checkIn('Tony', 'Hoare');
    await t.database.query(REFUSE_AUDIT);
    try {
      const patched = await admin.inject({ method: 'PATCH', url: `/api/v1/checkins/${id}`, payload: { firstname: 'Charles' } });
      assert.equal(patched.statusCode, 500);
      assert.match(String(patched.headers['content-type']), /application\/problem\+json/);
      const deleted = await admin.inject({ method: 'DELETE', url: `/api/v1/checkins/${id}` });
      assert.equal(deleted.statusCode, 500);
    } finally {
      await t.database.query(ALLOW_AUDIT);
    }
    const h = await history(id);
    assert.equal(h.row.firstname, 'Tony', 'the correction was rolled back with its audit record');
    assert.equal(h.row.deleted, false, 'the deletion was rolled back with its audit record');
    assert.deepEqual(h.audit, []);
  });

  test('corrections, deletions and restores on the admin pages commit with their audit record; the audit page shows them', async () => {
    const id = await checkIn('Edsgar', 'Dijkstra');
    const corrected = await admin.post(`/admin/entries/${id}`, { firstname: 'Edsger', lastname: 'Dijkstra', gate: 'K' });
    assert.equal(corrected.statusCode, 303, corrected.body);
    let h = await history(id);
    assert.equal(h.audit.at(-1)!.xmin, h.row.xmin, 'correction and audit record: one transaction');
    assert.equal((await admin.post(`/admin/entries/${id}/delete`, {})).statusCode, 303);
    h = await history(id);
    assert.equal(h.row.deleted, true);
    assert.equal(h.audit.at(-1)!.xmin, h.row.xmin, 'deletion and audit record: one transaction');
    assert.equal((await admin.post(`/admin/entries/${id}/restore`, {})).statusCode, 303);
    h = await history(id);
    assert.equal(h.row.deleted, false);
    assert.equal(h.audit.at(-1)!.xmin, h.row.xmin, 'restore and audit record: one transaction');
    assert.deepEqual(
      h.audit.map((a) => [a.action, a.actor]),
      [
        ['correct', 'admin'],
        ['delete', 'admin'],
        ['restore', 'admin'],
      ],
    );
    const log = await admin.inject({ url: '/admin/audit' });
    assert.equal(log.statusCode, 200);
    for (const text of [`check-in #${id}`, 'Edsgar', 'Edsger', 'badge-delete', 'badge-restore']) assert.ok(log.body.includes(text), text);
  });

  test('when the audit record cannot be written, an admin page change is not stored either', async () => {
    const id = await checkIn('Niklaus', 'Wirth');
    await t.database.query(REFUSE_AUDIT);
    try {
      const corrected = await admin.post(`/admin/entries/${id}`, { firstname: 'Klaus', lastname: 'Wirth', gate: 'K' });
      assert.equal(corrected.statusCode, 500);
      assert.equal((await admin.post(`/admin/entries/${id}/delete`, {})).statusCode, 500);
    } finally {
      await t.database.query(ALLOW_AUDIT);
    }
    const h = await history(id);
    assert.equal(h.row.firstname, 'Niklaus');
    assert.equal(h.row.deleted, false);
    assert.deepEqual(h.audit, []);
  });

  test('the admin form is checked by the same field rule as the API', async () => {
    const id = await checkIn('Frances', 'Allen');
    const forms: Record<string, string>[] = [
      { firstname: '   ', lastname: 'Allen', gate: 'K' },
      { firstname: 'Frances', lastname: 'x'.repeat(101), gate: 'K' },
      { firstname: 'Frances', lastname: 'Allen', gate: 'K', direction: 'sideways' },
    ];
    for (const form of forms) {
      const refused = await admin.post(`/admin/entries/${id}`, form);
      assert.equal(refused.statusCode, 400, JSON.stringify(form));
      assert.match(refused.body, /First and last name are required/);
    }
    const api = await admin.inject({ method: 'PATCH', url: `/api/v1/checkins/${id}`, payload: { lastname: 'x'.repeat(101) } });
    assert.equal(api.statusCode, 400);
    assert.deepEqual((await history(id)).audit, [], 'nothing refused was audited');
  });

  test('"check-ins by gate" counts check-ins of the kiosk, the API and the seed route, not duplicates', async () => {
    const series = (gate: string) => `barona_checkins_created_total{gate="${gate}"}`;
    const before = (await t.app.inject({ url: '/metrics' })).body;
    await checkIn('Ada', 'Lovelace', 'K');
    // The kiosk page as a signed-in admin uses: the session and its CSRF token.
    const kiosk = await admin.inject({
      method: 'POST',
      url: '/api/v1/checkins',
      payload: { firstname: 'Grace', lastname: 'Hopper', gate: 'M' },
    });
    assert.equal(kiosk.statusCode, 201, kiosk.body);
    const duplicate = await admin.inject({
      method: 'POST',
      url: '/api/v1/checkins',
      payload: { firstname: 'Grace', lastname: 'Hopper', gate: 'M' },
    });
    assert.equal(duplicate.statusCode, 200, 'a duplicate is answered with the earlier entry');
    const seed = await t.app.inject({
      method: 'POST',
      url: '/table/create',
      headers: { authorization: `Bearer ${kioskToken}` },
      payload: { firstname: 'Alan', lastname: 'Turing', gate: 'K' },
    });
    assert.equal(seed.statusCode, 201);
    const metrics = await t.app.inject({ url: '/metrics' });
    assert.equal(metrics.statusCode, 200);
    assert.equal(sample(metrics.body, series('K')) - sample(before, series('K')), 2, 'API (gate token) and seed route');
    assert.equal(sample(metrics.body, series('M')) - sample(before, series('M')), 1, 'kiosk with a session, duplicate not counted');
  });

  test('every change is announced to live updates once it is committed', async () => {
    // Changes are coalesced over 250 ms: let those of earlier tests go out first.
    const settle = () => new Promise((resolve) => setTimeout(resolve, 400));
    await settle();
    let changes = 0;
    const unsubscribe = t.app.attendanceEvents.subscribe(() => (changes += 1));
    try {
      const id = await checkIn('Katherine', 'Johnson');
      await settle();
      assert.equal(changes, 1, 'creation');
      await admin.inject({ method: 'PATCH', url: `/api/v1/checkins/${id}`, payload: { gate: 'L' } });
      await settle();
      assert.equal(changes, 2, 'correction');
      await admin.post(`/admin/entries/${id}/delete`, {});
      await settle();
      assert.equal(changes, 3, 'deletion');
      await admin.inject({ method: 'DELETE', url: `/api/v1/checkins/${id}` });
      await settle();
      assert.equal(changes, 3, 'a refused deletion (already deleted) is no change');
    } finally {
      unsubscribe();
    }
  });
});
