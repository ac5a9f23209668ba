// A person's data on request: GET /api/v1/people/{id}/export(.csv) and POST /api/v1/people/{id}/erase,
// on PostgreSQL and PGlite, with AUTH_MODE=token. The app runs in-process (test/support/app.ts) so the
// test can look at every table afterwards through the app's own connection, on both engines.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { createGateToken } from '../../src/features/tokens/gate-tokens.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrator.js';
import { Readiness } from '../../src/readiness.js';
import { BACKENDS, backendName, type Backend } from '../support/api.js';
import { ADMIN_PASSWORD, build, signIn, type AdminSession } from '../support/app.js';

interface Running {
  app: FastifyInstance;
  db: Database;
  close(): Promise<void>;
}

/** The app on `backend`: a cloned PostgreSQL database, or PGlite in a fresh folder migrated by the real migrator. */
async function start(backend: Backend): Promise<Running> {
  if (backend === 'postgres') return build({ AUTH_MODE: 'token' });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'barona-privacy-'));
  const config = loadConfig({ DATA_DIR: dataDir, ADMIN_PASSWORD, AUTH_MODE: 'token', LOG_LEVEL: 'warn' });
  const db = await openDatabase(config.database, { timezone: config.timezone });
  await migrate(db);
  const app = await buildApp({ config, db, readiness: new Readiness(db) }, { logger: false });
  await app.ready();
  for (let i = 0; (await db.query('SELECT 1 FROM admin_users')).rows.length === 0; i++) {
    if (i > 100) throw new Error('the first admin was not created');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    app,
    db,
    async close() {
      await app.close();
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

interface Person {
  id: number;
  firstname: string;
  lastname: string;
  badge: string;
}
interface Export {
  person: Person & { email: string | null; externalRef: string | null };
  memberships: { groupId: number; groupName: string }[];
  excuses: { groupId: number; date: string; reason: string; excusedBy: string }[];
  checkins: { id: number; firstname: string; lastname: string; gate: string; deletedAt: string | null; matchedBy: string }[];
  audit: {
    action: string;
    entity: string;
    entityId: string;
    before: Record<string, unknown> | null;
    after: Record<string, unknown> | null;
  }[];
}

const json = <T>(response: LightMyRequestResponse) => JSON.parse(response.body) as T;

for (const backend of BACKENDS) {
  describe(`a person's data (export, erase) on ${backendName(backend)}`, () => {
    let running: Running;
    let admin: AdminSession;
    let db: Database;

    before(async () => {
      running = await start(backend);
      db = running.db;
      admin = await signIn(running.app);
    });
    after(async () => running?.close());

    const create = async (url: string, body: object, method: 'POST' | 'PUT' = 'POST') => {
      const response = await admin.inject({ method, url, payload: body });
      assert.equal(response.statusCode, 201, response.body);
      return json<{ id: number } & Record<string, unknown>>(response);
    };
    /** A check-in stored as a kiosk would have (times the API would refuse as too old). */
    const checkin = async (at: string, person: number | null, firstname: string, lastname: string, gate = 'A', deleted = false) => {
      const { rows } = await db.query<{ id: number }>(
        `INSERT INTO checkins (login, person_id, firstname, lastname, gate, direction, deleted_at)
         VALUES ($1, $2, $3, $4, $5, 'in', CASE WHEN $6 THEN now() END) RETURNING id`,
        [at, person, firstname, lastname, gate, deleted],
      );
      return Number(rows[0]!.id);
    };

    /**
     * Ottilie Wrenfield<tag> and everything about her; Ottilie Wrenfield<tag>s and Otilie Wrenfield<tag>
     * are other people (each test has its own tag, so its people share no name with another test's).
     */
    async function seed(tag: string) {
      const last = `Wrenfield${tag}`;
      const ottilie = (await create('/api/v1/people', {
        firstname: 'Ottilie',
        lastname: last,
        externalRef: `OW-${tag}`,
        email: `ottilie.${tag}@example.org`,
      })) as unknown as Person;
      const namesake = (await create('/api/v1/people', { firstname: 'Ottilie', lastname: `${last}s` })) as unknown as Person;
      const group = await create('/api/v1/groups', { name: 'Evening class', schedule: { dates: ['2026-03-02'] } });
      for (const id of [ottilie.id, namesake.id]) {
        assert.equal((await admin.inject({ method: 'PUT', url: `/api/v1/groups/${group.id}/members/${id}` })).statusCode, 201);
      }
      await create(`/api/v1/groups/${group.id}/members/${ottilie.id}/excuses/2026-03-02`, { reason: `Dentist ${tag}` }, 'PUT');
      const mine = {
        linked: await checkin('2026-03-02T08:00:00Z', ottilie.id, 'O.', 'W.'),
        folded: await checkin('2026-03-02T09:00:00Z', null, 'ÓTTILIE', `Wren-field${tag.toUpperCase()}`, '=SUM(1)'),
        comma: await checkin('2026-03-02T10:00:00Z', null, 'Ottilie,', last, '@x"y'),
        deleted: await checkin('2026-03-02T11:00:00Z', null, 'ottilie', last.toLowerCase(), 'B', true),
        corrected: await checkin('2026-03-02T12:00:00Z', null, 'Ottilie', last, 'B'),
      };
      const others = [
        await checkin('2026-03-02T08:30:00Z', namesake.id, 'Ottilie', `${last}s`),
        await checkin('2026-03-02T08:31:00Z', null, 'Ottilie', `${last}s`),
        await checkin('2026-03-02T08:32:00Z', null, 'Otilie', last),
      ];
      // A check-in that was hers until an admin corrected it to someone else's name: no longer hers,
      // but its correction's audit record still names her.
      const renamed = await checkin('2026-03-02T08:33:00Z', null, 'Ottilie', last);
      const renaming = await admin.inject({
        method: 'PATCH',
        url: `/api/v1/checkins/${renamed}`,
        payload: { firstname: 'Someone', lastname: `Else${tag}` },
      });
      assert.equal(renaming.statusCode, 200, renaming.body);
      others.push(renamed);
      // Audit records naming her: a correction and a deletion of her check-ins.
      const corrected = await admin.inject({ method: 'PATCH', url: `/api/v1/checkins/${mine.corrected}`, payload: { gate: 'C' } });
      assert.equal(corrected.statusCode, 200, corrected.body);
      await checkin('2026-03-02T13:00:00Z', null, 'Ottilie', last).then(async (id) => {
        assert.equal((await admin.inject({ method: 'DELETE', url: `/api/v1/checkins/${id}` })).statusCode, 204);
        Object.assign(mine, { deletedByAdmin: id });
      });
      return { ottilie, namesake, group, mine: mine as typeof mine & { deletedByAdmin: number }, others, renamed };
    }

    test('the export holds the person, memberships, excuses, linked and matching free-name check-ins and audit records, nobody else’s', async () => {
      const { ottilie, namesake, group, mine, others, renamed } = await seed('Json');
      const response = await admin.inject({ url: `/api/v1/people/${ottilie.id}/export` });
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(response.headers['content-disposition'], `attachment; filename="person-${ottilie.id}.json"`);
      const data = json<Export>(response);
      assert.deepEqual(
        [data.person.id, data.person.firstname, data.person.email, data.person.externalRef, data.person.badge],
        [ottilie.id, 'Ottilie', 'ottilie.Json@example.org', 'OW-Json', ottilie.badge],
      );
      assert.deepEqual(
        data.memberships.map((m) => [m.groupId, m.groupName]),
        [[group.id, 'Evening class']],
      );
      assert.deepEqual(
        data.excuses.map((e) => [e.groupId, e.date, e.reason, e.excusedBy]),
        [[group.id, '2026-03-02', 'Dentist Json', 'admin']],
      );
      const ids = data.checkins.map((c) => c.id).sort((a, b) => a - b);
      assert.deepEqual(
        ids,
        Object.values(mine).sort((a, b) => a - b),
      );
      for (const other of others) assert.ok(!ids.includes(other), `check-in ${other} is someone else's`);
      assert.equal(data.checkins.find((c) => c.id === mine.linked)?.matchedBy, 'person');
      assert.equal(data.checkins.find((c) => c.id === mine.folded)?.matchedBy, 'name');
      assert.ok(data.checkins.find((c) => c.id === mine.deleted)?.deletedAt);
      const audit = data.audit.map((a) => `${a.entity}:${a.action}:${a.entityId}`);
      for (const expected of [
        `person:create:${ottilie.id}`,
        `group:add-member:${group.id}`,
        `group:excuse:${group.id}`,
        `checkin:correct:${mine.corrected}`,
        `checkin:delete:${mine.deletedByAdmin}`,
        `checkin:correct:${renamed}`,
      ]) {
        assert.ok(audit.includes(expected), `${expected} in ${audit.join(', ')}`);
      }
      assert.ok(!audit.includes(`person:create:${namesake.id}`));
      const renaming = data.audit.find((a) => a.entity === 'checkin' && a.entityId === String(renamed));
      assert.deepEqual(
        [renaming?.before?.lastname, renaming?.before?.gate, renaming?.after?.lastname, renaming?.after?.gate],
        ['WrenfieldJson', 'A', undefined, 'A'],
        'audit records come with their before and after, without the name she was corrected to (someone else’s)',
      );
      assert.ok(!JSON.stringify(data).includes('ElseJson'), 'nothing of the person her check-in was corrected to');
      assert.ok(!JSON.stringify(data).includes('WrenfieldJsons'), 'nothing of the namesake');
      // The export is audited, without personal data.
      const { rows } = await db.query<{ after: unknown }>(
        `SELECT after FROM audit_log WHERE entity = 'person' AND entity_id = $1 AND action = 'export'`,
        [String(ottilie.id)],
      );
      assert.deepEqual(
        rows.map((row) => row.after),
        [{ format: 'json' }],
      );
    });

    test('the CSV export lists the same check-ins, quoted and defused against formulas', async () => {
      const { ottilie, mine } = await seed('Csv');
      const response = await admin.inject({ url: `/api/v1/people/${ottilie.id}/export.csv` });
      assert.equal(response.statusCode, 200, response.body);
      assert.match(response.headers['content-type'] as string, /^text\/csv; charset=utf-8/);
      assert.equal(response.headers['content-disposition'], `attachment; filename="person-${ottilie.id}-checkins.csv"`);
      const lines = response.body.split('\r\n');
      assert.equal(lines[0], 'id,occurred_at,recorded_at,firstname,lastname,gate,direction,deleted_at,matched_by');
      assert.equal(lines.at(-1), '', 'ends with CRLF');
      assert.equal(lines.length, Object.keys(mine).length + 2);
      const line = (id: number) => lines.find((l) => l.startsWith(`${id},`)) ?? '';
      assert.match(line(mine.folded), /,ÓTTILIE,Wren-fieldCSV,'=SUM\(1\),in,,name$/);
      assert.match(line(mine.comma), /,"Ottilie,",WrenfieldCsv,"'@x""y",in,,name$/);
      assert.match(line(mine.linked), /,O\.,W\.,A,in,,person$/);
      assert.match(line(mine.deleted), /,ottilie,wrenfieldcsv,B,in,\d{4}-\d{2}-\d{2}T[^,]+,name$/);
    });

    test('erasure removes the person and their data, scrubs the audit log and leaves one record of counts', async () => {
      const { ottilie, namesake, group, mine, others } = await seed('Erase');
      let announced = 0;
      const unsubscribe = running.app.attendanceEvents.subscribe(() => announced++);
      const response = await admin.inject({ method: 'POST', url: `/api/v1/people/${ottilie.id}/erase` });
      assert.equal(response.statusCode, 200, response.body);
      assert.deepEqual(json(response), {
        checkins: Object.keys(mine).length,
        memberships: 1,
        excuses: 1,
        auditEntriesAnonymised: json<{ auditEntriesAnonymised: number }>(response).auditEntriesAnonymised,
      });
      assert.ok(json<{ auditEntriesAnonymised: number }>(response).auditEntriesAnonymised >= 5);

      assert.equal((await admin.inject({ url: `/api/v1/people/${ottilie.id}` })).statusCode, 404);
      const count = async (sql: string, params: unknown[]) => Number((await db.query<{ n: number }>(sql, params)).rows[0]!.n);
      assert.equal(await count(`SELECT count(*) AS n FROM checkins WHERE id = ANY ($1::bigint[])`, [Object.values(mine)]), 0);
      assert.equal(await count(`SELECT count(*) AS n FROM checkins WHERE id = ANY ($1::bigint[])`, [others]), others.length);
      assert.equal(await count(`SELECT count(*) AS n FROM group_members WHERE person_id = $1`, [ottilie.id]), 0);
      assert.equal(await count(`SELECT count(*) AS n FROM excuses WHERE person_id = $1`, [ottilie.id]), 0);
      assert.equal(await count(`SELECT count(*) AS n FROM group_members WHERE group_id = $1`, [group.id]), 1, 'the namesake stays');

      // Nothing in the audit log names her any more; the namesake's records are untouched.
      const named = (text: string) =>
        count(`SELECT count(*) AS n FROM audit_log WHERE position($1 in coalesce(before::text, '') || coalesce(after::text, '')) > 0`, [
          text,
        ]);
      for (const personal of ['"WrenfieldErase"', 'Wren-fieldERASE', 'ottilie.Erase@example.org', 'OW-Erase', 'Dentist Erase']) {
        assert.equal(await named(personal), 0, `${personal} is gone from audit_log`);
      }
      assert.ok((await named('"WrenfieldErases"')) > 0, 'the namesake is still in the audit log');
      assert.ok((await named('ElseErase')) === 0, 'the other name of a correction that named her is tombstoned with hers');
      const { rows } = await db.query<{ actor: string; before: unknown; after: Record<string, number> }>(
        `SELECT actor, before, after FROM audit_log WHERE entity = 'person' AND entity_id = $1 AND action = 'erase'`,
        [String(ottilie.id)],
      );
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.actor, 'admin');
      assert.equal(rows[0]!.before, null);
      assert.deepEqual(rows[0]!.after, json(response));
      assert.equal((await admin.inject({ url: `/api/v1/people/${namesake.id}` })).statusCode, 200);

      await new Promise((resolve) => setTimeout(resolve, 600));
      unsubscribe();
      assert.ok(announced >= 1, 'the attendance sheet is told');

      const again = await admin.inject({ method: 'POST', url: `/api/v1/people/${ottilie.id}/erase` });
      assert.equal(again.statusCode, 404, again.body);
      assert.match(again.headers['content-type'] as string, /^application\/problem\+json/);
    });

    test('a free name typed the other way round is hers: exported and erased, unless another person is called so', async () => {
      const last = 'WrenfieldSwap';
      const ottilie = (await create('/api/v1/people', { firstname: 'Ottilie', lastname: last })) as unknown as Person;
      // Kim LeeSwap and LeeSwap Kim are two people: each one's names swapped are the other's.
      const kim = (await create('/api/v1/people', { firstname: 'Kim', lastname: 'LeeSwap' })) as unknown as Person;
      await create('/api/v1/people', { firstname: 'LeeSwap', lastname: 'Kim' });
      const swapped = await checkin('2026-03-03T08:00:00Z', null, last, 'Ottilie');
      const swappedDeleted = await checkin('2026-03-03T08:05:00Z', null, `${last.toUpperCase()},`, 'óttilie', 'B', true);
      const straight = await checkin('2026-03-03T08:10:00Z', null, 'Ottilie', last);
      const leesOwn = await checkin('2026-03-03T08:15:00Z', null, 'LeeSwap', 'Kim');
      const corrected = await admin.inject({ method: 'PATCH', url: `/api/v1/checkins/${swapped}`, payload: { gate: 'C' } });
      assert.equal(corrected.statusCode, 200, corrected.body);

      const exported = await admin.inject({ url: `/api/v1/people/${ottilie.id}/export` });
      assert.equal(exported.statusCode, 200, exported.body);
      const data = json<Export>(exported);
      assert.deepEqual(
        data.checkins.map((c) => [c.id, c.matchedBy]).sort(([a], [b]) => Number(a) - Number(b)),
        [
          [swapped, 'name'],
          [swappedDeleted, 'name'],
          [straight, 'name'],
        ],
      );

      const erased = await admin.inject({ method: 'POST', url: `/api/v1/people/${ottilie.id}/erase` });
      assert.equal(erased.statusCode, 200, erased.body);
      assert.equal(json<{ checkins: number }>(erased).checkins, 3);
      const left = await db.query(`SELECT id FROM checkins WHERE id = ANY ($1::bigint[])`, [[swapped, swappedDeleted, straight]]);
      assert.equal(left.rows.length, 0, 'her check-ins are gone, whichever way round her names were typed');
      const named = await db.query(
        `SELECT id FROM audit_log WHERE position($1 in coalesce(before::text, '') || coalesce(after::text, '')) > 0`,
        [last],
      );
      assert.equal(named.rows.length, 0, 'the correction of the swapped check-in no longer names her');

      const kimErased = await admin.inject({ method: 'POST', url: `/api/v1/people/${kim.id}/erase` });
      assert.equal(kimErased.statusCode, 200, kimErased.body);
      assert.equal(json<{ checkins: number }>(kimErased).checkins, 0);
      assert.equal((await db.query(`SELECT id FROM checkins WHERE id = $1`, [leesOwn])).rows.length, 1, 'LeeSwap Kim keeps theirs');
    });

    test('the export strips the names of other people from the records of corrections, in both directions', async () => {
      const { ottilie, renamed } = await seed('Strip');
      // Typed as someone else, then corrected to her names: hers now, but its record's before is not.
      const fixed = await checkin('2026-03-02T14:00:00Z', null, 'Mistyped', 'PersonStrip');
      const fixing = await admin.inject({
        method: 'PATCH',
        url: `/api/v1/checkins/${fixed}`,
        payload: { firstname: 'Ottilie', lastname: 'WrenfieldStrip' },
      });
      assert.equal(fixing.statusCode, 200, fixing.body);

      const data = json<Export>(await admin.inject({ url: `/api/v1/people/${ottilie.id}/export` }));
      assert.ok(data.checkins.some((c) => c.id === fixed));
      const recordOf = (id: number) => data.audit.find((a) => a.entity === 'checkin' && a.entityId === String(id));
      const fixedRecord = recordOf(fixed);
      assert.deepEqual(fixedRecord?.before, { gate: 'A', direction: 'in' }, 'the name it was typed with is not hers');
      assert.deepEqual([fixedRecord?.after?.firstname, fixedRecord?.after?.lastname], ['Ottilie', 'WrenfieldStrip']);
      const renamedRecord = recordOf(renamed);
      assert.deepEqual([renamedRecord?.before?.lastname, renamedRecord?.after], ['WrenfieldStrip', { gate: 'A', direction: 'in' }]);
      for (const other of ['Mistyped', 'PersonStrip', 'Someone', 'ElseStrip']) {
        assert.ok(!JSON.stringify(data).includes(other), `${other} is someone else's`);
      }
    });

    test('an ordinary delete keeps her names in the audit log, but not her e-mail, external reference or excuse reasons', async () => {
      const tag = 'Del';
      const person = (await create('/api/v1/people', {
        firstname: 'Ottilie',
        lastname: `Wrenfield${tag}`,
        externalRef: `OW-${tag}`,
        email: `ottilie.${tag}@example.org`,
      })) as unknown as Person;
      const kept = await create('/api/v1/people', { firstname: 'Kept', lastname: tag, email: `kept.${tag}@example.org` });
      const changed = await admin.inject({
        method: 'PATCH',
        url: `/api/v1/people/${person.id}`,
        payload: { email: `o.${tag}@example.org` },
      });
      assert.equal(changed.statusCode, 200, changed.body);
      const group = await create('/api/v1/groups', { name: 'Delete class', schedule: { dates: ['2026-03-04'] } });
      for (const id of [person.id, kept.id]) {
        assert.equal((await admin.inject({ method: 'PUT', url: `/api/v1/groups/${group.id}/members/${id}` })).statusCode, 201);
      }
      await create(`/api/v1/groups/${group.id}/members/${person.id}/excuses/2026-03-04`, { reason: `Dentist ${tag}` }, 'PUT');
      await create(`/api/v1/groups/${group.id}/members/${kept.id}/excuses/2026-03-04`, { reason: `Kept reason ${tag}` }, 'PUT');

      assert.equal((await admin.inject({ method: 'DELETE', url: `/api/v1/people/${person.id}` })).statusCode, 204);
      const named = async (text: string) =>
        (
          await db.query(`SELECT id FROM audit_log WHERE position($1 in coalesce(before::text, '') || coalesce(after::text, '')) > 0`, [
            text,
          ])
        ).rows.length;
      for (const personal of [`ottilie.${tag}@example.org`, `o.${tag}@example.org`, `OW-${tag}`, `Dentist ${tag}`]) {
        assert.equal(await named(personal), 0, `${personal} is gone from audit_log`);
      }
      for (const other of [`kept.${tag}@example.org`, `Kept reason ${tag}`]) assert.ok((await named(other)) > 0, `${other} stays`);
      const { rows } = await db.query<{ action: string; before: unknown; after: unknown }>(
        `SELECT action, before, after FROM audit_log WHERE entity = 'person' AND entity_id = $1 ORDER BY id`,
        [String(person.id)],
      );
      assert.deepEqual(
        rows.map((row) => row.action),
        ['create', 'update', 'delete'],
      );
      assert.deepEqual(rows[2]!.before, { firstname: 'Ottilie', lastname: `Wrenfield${tag}` }, 'the delete records who, by name only');
      assert.deepEqual(
        [(rows[0]!.after as Record<string, unknown>).firstname, (rows[0]!.after as Record<string, unknown>).lastname],
        ['Ottilie', `Wrenfield${tag}`],
      );
    });

    test('unknown people are a 404 problem; only admins may export or erase', async () => {
      for (const url of ['/api/v1/people/987654/export', '/api/v1/people/987654/export.csv']) {
        const response = await admin.inject({ url });
        assert.equal(response.statusCode, 404, response.body);
        assert.match(json<{ detail: string }>(response).detail, /no person with id 987654/);
      }
      assert.equal((await admin.inject({ url: '/api/v1/people/abc/export' })).statusCode, 400);

      const person = (await create('/api/v1/people', { firstname: 'Kept', lastname: 'Safe' })) as unknown as Person;
      const { token } = await createGateToken(db, { name: 'gate', gate: '', createdBy: 'admin', scopes: ['checkin', 'read'] });
      const bearer = { authorization: `Bearer ${token}` };
      for (const [method, url] of [
        ['GET', `/api/v1/people/${person.id}/export`],
        ['GET', `/api/v1/people/${person.id}/export.csv`],
        ['POST', `/api/v1/people/${person.id}/erase`],
      ] as const) {
        assert.equal((await running.app.inject({ method, url, headers: bearer })).statusCode, 403, `${method} ${url} with a token`);
        assert.equal((await running.app.inject({ method, url })).statusCode, 401, `${method} ${url} anonymous`);
      }
      // An admin session without its CSRF token cannot erase.
      const noCsrf = await admin.inject({ method: 'POST', url: `/api/v1/people/${person.id}/erase`, headers: { 'x-csrf-token': 'wrong' } });
      assert.equal(noCsrf.statusCode, 403);
      assert.equal((await admin.inject({ url: `/api/v1/people/${person.id}` })).statusCode, 200, 'still there');
    });
  });
}
