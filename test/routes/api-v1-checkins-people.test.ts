// POST /api/v1/checkins by `personId` or `badge` (issue 15), and linking a walk-in to a person with
// PATCH, on PostgreSQL and PGlite: names come from the person, the entry carries the person's id, the
// register counts it, a reissued badge stops working at once (404 naming it), Idempotency-Keys and
// duplicate detection work as for names, and every link is audited.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, assertProblem, BACKENDS, backendName, startApiServer, uniqueName, type ApiServer } from '../support/api.js';

interface Person {
  id: number;
  firstname: string;
  lastname: string;
  badge: string;
}
interface Entry {
  id: number;
  firstname: string;
  lastname: string;
  gate: string;
  direction: 'in' | 'out';
  personId: number | null;
  duplicate?: boolean;
}

for (const backend of BACKENDS) {
  describe(`check-ins of known people on ${backendName(backend)}`, () => {
    let app: ApiServer;
    let base: string;

    before(async () => {
      app = await startApiServer(backend);
      base = `${app.server.url}/api/v1`;
    });
    after(async () => app.stop());

    const newPerson = async (prefix = 'Badge') => {
      const created = await api<Person>(`${base}/people`, { body: uniqueName(prefix) });
      assert.equal(created.status, 201, created.text);
      return created.body;
    };

    test('by badge: 201 with the names of the person and their id; the entry lists and reads back with it', async () => {
      const person = await newPerson();
      const created = await api<Entry>(`${base}/checkins`, { body: { badge: person.badge, gate: 'North' } });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.firstname, person.firstname);
      assert.equal(created.body.lastname, person.lastname);
      assert.equal(created.body.personId, person.id);
      assert.equal(created.body.gate, 'North');
      assert.equal(created.body.duplicate, false);

      const read = await api<Entry>(`${base}/checkins/${created.body.id}`);
      assert.equal(read.body.personId, person.id);
      const listed = await api<{ items: Entry[] }>(`${base}/checkins?q=${encodeURIComponent(person.lastname)}`);
      assert.deepEqual(
        listed.body.items.map((e) => [e.id, e.personId]),
        [[created.body.id, person.id]],
      );
    });

    test('by person id, with direction and an Idempotency-Key: a retry answers the same entry; a walk-in has personId null', async () => {
      const person = await newPerson('ById');
      const headers = { 'idempotency-key': `by-id-${person.id}` };
      const body = { personId: person.id, gate: 'South', direction: 'out' };
      const first = await api<Entry>(`${base}/checkins`, { body, headers });
      assert.equal(first.status, 201, first.text);
      assert.equal(first.body.personId, person.id);
      assert.equal(first.body.direction, 'out');
      const retry = await api<Entry>(`${base}/checkins`, { body, headers });
      assert.equal(retry.status, 201, retry.text);
      assert.equal(retry.headers.get('idempotent-replayed'), 'true');
      assert.equal(retry.body.id, first.body.id);
      assert.equal(retry.body.personId, person.id);

      const walkIn = await api<Entry>(`${base}/checkins`, { body: uniqueName('Walk') });
      assert.equal(walkIn.status, 201, walkIn.text);
      assert.equal(walkIn.body.personId, null);
    });

    test('the same badge at the same gate twice within the duplicate window is one entry', async () => {
      const person = await newPerson('Twice');
      const first = await api<Entry>(`${base}/checkins`, { body: { badge: person.badge, gate: 'East' } });
      const second = await api<Entry>(`${base}/checkins`, { body: { badge: person.badge, gate: 'East' } });
      assert.equal(first.status, 201, first.text);
      assert.equal(second.status, 200, second.text);
      assert.equal(second.body.duplicate, true);
      assert.equal(second.body.id, first.body.id);
    });

    test('an unknown or reissued badge is a 404 naming it; an unknown person id a 422; nothing is stored', async () => {
      const person = await newPerson('Reissue');
      const old = person.badge;
      const reissued = await api<Person>(`${base}/people/${person.id}/badge`, { method: 'POST' });
      assert.equal(reissued.status, 200, reissued.text);
      assert.notEqual(reissued.body.badge, old);

      const stale = await api(`${base}/checkins`, { body: { badge: old } });
      assertProblem(stale, 404, 'badge');
      assert.match((stale.body as { detail: string }).detail, new RegExp(old));
      assertProblem(await api(`${base}/checkins`, { body: { badge: 'no-such-badge' } }), 404, 'badge');
      assertProblem(await api(`${base}/checkins`, { body: { personId: 2_000_000_000 } }), 422, 'personId');
      assertProblem(await api(`${base}/checkins`, { body: { badge: '' } }), 400, 'badge');
      assertProblem(await api(`${base}/checkins`, { body: { personId: 'seven' } }), 400, 'personId');
      assertProblem(await api(`${base}/checkins`, { body: { personId: 0 } }), 400, 'personId');

      const fresh = await api<Entry>(`${base}/checkins`, { body: { badge: reissued.body.badge } });
      assert.equal(fresh.status, 201, fresh.text);
      const listed = await api<{ items: Entry[] }>(`${base}/checkins?q=${encodeURIComponent(person.lastname)}`);
      assert.deepEqual(
        listed.body.items.map((e) => e.id),
        [fresh.body.id],
        'only the check-in with the current badge was stored',
      );
    });

    test('a person is named one way only: names with a badge, or a badge with a person id, are a 400', async () => {
      const person = await newPerson('OneWay');
      assertProblem(await api(`${base}/checkins`, { body: { firstname: 'A', lastname: 'B', badge: person.badge } }), 400, 'badge');
      assertProblem(await api(`${base}/checkins`, { body: { personId: person.id, badge: person.badge } }), 400, 'badge');
      assertProblem(await api(`${base}/checkins`, { body: { firstname: 'A', personId: person.id } }), 400, 'personId');
      // Neither names nor a person: the names are required, as before.
      assertProblem(await api(`${base}/checkins`, { body: { gate: 'A' } }), 400, 'firstname');
      assertProblem(await api(`${base}/checkins`, { body: { firstname: 'Ada' } }), 400, 'lastname');
    });

    test('a badge check-in counts in the register of a group the person belongs to', async () => {
      const person = await newPerson('Member');
      const today = new Date().toISOString().slice(0, 10);
      const group = await api<{ id: number }>(`${base}/groups`, {
        body: { name: `Badge crew ${person.id}`, schedule: { dates: [today] } },
      });
      assert.equal(group.status, 201, group.text);
      assert.equal((await api(`${base}/groups/${group.body.id}/members/${person.id}`, { method: 'PUT' })).status, 201);
      // A typo'd name would never match; the badge makes it count.
      assert.equal((await api(`${base}/checkins`, { body: { badge: person.badge, gate: 'A' } })).status, 201);
      const register = await api<{ members: { person: { id: number }; attendance: { status: string }[] }[] }>(
        `${base}/groups/${group.body.id}/register?from=${today}&to=${today}`,
      );
      assert.equal(register.status, 200, register.text);
      assert.deepEqual(
        register.body.members.map((m) => [m.person.id, m.attendance.map((a) => a.status)]),
        [[person.id, ['present']]],
      );
    });

    test('an admin links a walk-in to a person and unlinks it; both are audited; an unknown person is a 422', async () => {
      const person = await newPerson('Linked');
      const walkIn = await api<Entry>(`${base}/checkins`, { body: { firstname: person.firstname, lastname: `${person.lastname}Typo` } });
      assert.equal(walkIn.status, 201, walkIn.text);

      const linked = await api<Entry>(`${base}/checkins/${walkIn.body.id}`, { method: 'PATCH', body: { personId: person.id } });
      assert.equal(linked.status, 200, linked.text);
      assert.equal(linked.body.personId, person.id);
      assert.equal(linked.body.lastname, `${person.lastname}Typo`, 'the names stay as typed');

      assertProblem(
        await api(`${base}/checkins/${walkIn.body.id}`, { method: 'PATCH', body: { personId: 2_000_000_000 } }),
        422,
        'personId',
      );
      const unlinked = await api<Entry>(`${base}/checkins/${walkIn.body.id}`, { method: 'PATCH', body: { personId: null } });
      assert.equal(unlinked.status, 200, unlinked.text);
      assert.equal(unlinked.body.personId, null);

      if (app.database) {
        const rows = await app.database.query<{ action: string; before: { personId: number | null }; after: { personId: number | null } }>(
          `SELECT action, before, after FROM audit_log WHERE entity = 'checkin' AND entity_id = $1 ORDER BY id`,
          [String(walkIn.body.id)],
        );
        assert.deepEqual(
          rows.map((r) => [r.action, r.before.personId, r.after.personId]),
          [
            ['correct', null, person.id],
            ['correct', person.id, null],
          ],
        );
      }
    });

    test('deleting a person keeps their check-ins, as walk-ins', async () => {
      const person = await newPerson('Gone');
      const entry = await api<Entry>(`${base}/checkins`, { body: { personId: person.id } });
      assert.equal(entry.status, 201, entry.text);
      assert.equal((await api(`${base}/people/${person.id}`, { method: 'DELETE' })).status, 204);
      const read = await api<Entry>(`${base}/checkins/${entry.body.id}`);
      assert.equal(read.status, 200, read.text);
      assert.equal(read.body.personId, null);
      assert.equal(read.body.lastname, person.lastname);
    });
  });
}
