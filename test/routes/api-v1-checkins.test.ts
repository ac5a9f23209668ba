// POST/GET/PATCH/DELETE /api/v1/checkins through HTTP against the running service, on PostgreSQL and PGlite.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, assertProblem, BACKENDS, backendName, startApiServer, uniqueName, type ApiServer } from '../support/api.js';

interface Entry {
  id: number;
  occurredAt: string;
  recordedAt: string;
  firstname: string;
  lastname: string;
  gate: string;
  direction: 'in' | 'out';
  duplicate?: boolean;
  arrivalMissing?: boolean;
}
interface Page {
  items: Entry[];
  nextCursor: string | null;
}

function localToday(timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

for (const backend of BACKENDS) {
  describe(`/api/v1/checkins on ${backendName(backend)}`, () => {
    let app: ApiServer;
    let base: string;

    before(async () => {
      app = await startApiServer(backend, { APP_TIMEZONE: 'Europe/Berlin' });
      base = `${app.server.url}/api/v1`;
    });
    after(async () => app.stop());

    /** Every live entry of today with this exact person, via the API (works on both backends). */
    async function entriesOf(person: { lastname: string }): Promise<Entry[]> {
      const page = await api<Page>(`${base}/checkins?q=${encodeURIComponent(person.lastname)}&limit=500`);
      assert.equal(page.status, 200);
      return page.body.items;
    }

    test('POST stores an entry (201, Location) with server time, trimmed names, default gate and direction', async () => {
      const person = uniqueName('Ada');
      const before = Date.now();
      const created = await api<Entry>(`${base}/checkins`, { body: { firstname: `  ${person.firstname} `, lastname: person.lastname } });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.headers.get('location'), `/api/v1/checkins/${created.body.id}`);
      assert.equal(created.body.firstname, person.firstname);
      assert.equal(created.body.gate, '');
      assert.equal(created.body.direction, 'in');
      assert.equal(created.body.duplicate, false);
      assert.match(created.body.occurredAt, /[+-]0[12]:00$/, 'rendered in Europe/Berlin');
      const at = Date.parse(created.body.occurredAt);
      assert.ok(at >= before - 2000 && at <= Date.now() + 2000);

      const one = await api<Entry>(`${base}/checkins/${created.body.id}`);
      assert.equal(one.status, 200);
      const { duplicate: _ignored, ...stored } = created.body;
      assert.deepEqual(one.body, stored);
    });

    test('the same Idempotency-Key with the same body answers with the original entry, never a second row', async () => {
      const person = uniqueName('Retry');
      const key = `kiosk-7-${person.lastname}`;
      const body = { ...person, gate: 'A' };
      const first = await api<Entry>(`${base}/checkins`, { body, headers: { 'idempotency-key': key } });
      assert.equal(first.status, 201);
      const retry = await api<Entry>(`${base}/checkins`, { body, headers: { 'idempotency-key': key } });
      assert.ok([200, 201].includes(retry.status));
      assert.equal(retry.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(retry.body, first.body);
      assert.equal((await entriesOf(person)).length, 1);
    });

    test('20 concurrent requests with one Idempotency-Key store exactly one row', async () => {
      const person = uniqueName('Burst');
      const key = `burst-${person.lastname}`;
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          api<Entry>(`${base}/checkins`, { body: { ...person, gate: 'B' }, headers: { 'idempotency-key': key } }),
        ),
      );
      for (const answer of answers) assert.ok([200, 201].includes(answer.status), answer.text);
      const ids = new Set(answers.map((answer) => answer.body.id));
      assert.equal(ids.size, 1, 'every answer names the same entry');
      assert.equal(answers.filter((answer) => answer.headers.get('idempotent-replayed') !== 'true').length, 1, 'one original, 19 replays');
      assert.equal((await entriesOf(person)).length, 1);
      if (app.database) {
        const rows = await app.database.query<{ n: number }>('SELECT count(*)::int AS n FROM checkins WHERE lastname = $1', [
          person.lastname,
        ]);
        assert.equal(rows[0]!.n, 1, 'exactly one row in the table');
        // Keys are stored per caller (hashed), so find this burst's key by its entry.
        const keys = await app.database.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM checkin_idempotency_keys k JOIN checkins c ON c.id = k.checkin_id WHERE c.lastname = $1',
          [person.lastname],
        );
        assert.equal(keys[0]!.n, 1);
      }
    });

    test('the same Idempotency-Key with another body is a 422 problem naming the header', async () => {
      const person = uniqueName('Reuse');
      const key = `reuse-${person.lastname}`;
      assert.equal((await api(`${base}/checkins`, { body: person, headers: { 'idempotency-key': key } })).status, 201);
      const other = await api(`${base}/checkins`, { body: { ...person, gate: 'other' }, headers: { 'idempotency-key': key } });
      assertProblem(other, 422, 'Idempotency-Key');
      assert.match((other.body as { detail: string }).detail, /different request body/);
      assert.equal((await entriesOf(person)).length, 1);
    });

    test('the same person at the same gate and direction within the window is a duplicate (also when concurrent)', async () => {
      const person = uniqueName('Dup');
      const first = await api<Entry>(`${base}/checkins`, { body: { ...person, gate: 'North' } });
      assert.equal(first.status, 201);
      // Case, accents and spacing do not make another person.
      const again = await api<Entry>(`${base}/checkins`, {
        body: { firstname: person.firstname.toUpperCase(), lastname: ` ${person.lastname.toLowerCase()} `, gate: 'North' },
      });
      assert.equal(again.status, 200);
      assert.equal(again.body.duplicate, true);
      assert.equal(again.body.id, first.body.id);
      // Another gate, or the way out, is a new entry.
      assert.equal((await api(`${base}/checkins`, { body: { ...person, gate: 'South' } })).status, 201);
      assert.equal((await api(`${base}/checkins`, { body: { ...person, gate: 'North', direction: 'out' } })).status, 201);

      const racer = uniqueName('Racer');
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => api<Entry>(`${base}/checkins`, { body: { ...racer, gate: 'R' } })),
      );
      assert.equal(answers.filter((a) => a.status === 201).length, 1, 'one stored');
      assert.equal(answers.filter((a) => a.status === 200 && a.body.duplicate).length, 9, 'nine duplicates');
      assert.equal((await entriesOf(racer)).length, 1);
    });

    test('accents are ignored by duplicate detection and search', async () => {
      const lastname = `Dupré${uniqueName().lastname}`;
      const created = await api<Entry>(`${base}/checkins`, { body: { firstname: 'Élodie', lastname, gate: 'A' } });
      assert.equal(created.status, 201);
      const plain = await api<Entry>(`${base}/checkins`, {
        body: { firstname: 'ELODIE', lastname: lastname.replace('é', 'e'), gate: 'A' },
      });
      assert.equal(plain.body.duplicate, true);
      const found = await api<Page>(`${base}/checkins?q=${encodeURIComponent(`elodie DUPRE${lastname.slice(5)}`)}`);
      assert.deepEqual(
        found.body.items.map((e) => e.id),
        [created.body.id],
      );
      const byWords = await api<Page>(`${base}/checkins?q=${encodeURIComponent(`${lastname.slice(5).toLowerCase()} éLo`)}`);
      assert.deepEqual(
        byWords.body.items.map((e) => e.id),
        [created.body.id],
        'words in any order',
      );
      const wildcard = await api<Page>(`${base}/checkins?q=${encodeURIComponent('%')}`);
      assert.equal(wildcard.body.items.length, 0, 'LIKE wildcards are literal');
    });

    test('occurredAt: a past time within the window is kept; future or too old is a 400 naming the field', async () => {
      const person = uniqueName('Offline');
      const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
      const created = await api<Entry>(`${base}/checkins`, { body: { ...person, occurredAt: twoHoursAgo.toISOString() } });
      assert.equal(created.status, 201, created.text);
      assert.equal(Date.parse(created.body.occurredAt), twoHoursAgo.getTime());
      assert.ok(Date.parse(created.body.recordedAt) > twoHoursAgo.getTime() + 3_500_000, 'recordedAt is the server time');

      assertProblem(
        await api(`${base}/checkins`, { body: { ...person, occurredAt: new Date(Date.now() + 3_600_000).toISOString() } }),
        400,
        'occurredAt',
      );
      assertProblem(
        await api(`${base}/checkins`, { body: { ...person, occurredAt: new Date(Date.now() - 25 * 3_600_000).toISOString() } }),
        400,
        'occurredAt',
      );
      assertProblem(await api(`${base}/checkins`, { body: { ...person, occurredAt: 'yesterday' } }), 400, 'occurredAt');
    });

    test('check-out and the inside count of today', async () => {
      const today = localToday('Europe/Berlin');
      const summary = async () =>
        (await api<{ inside: number; checkIns: number; checkOuts: number }>(`${base}/days/${today}/summary`)).body;
      const start = await summary();
      const a = uniqueName('Inside');
      const b = uniqueName('Inside');
      assert.equal((await api(`${base}/checkins`, { body: { ...a, gate: 'A' } })).status, 201);
      assert.equal((await api(`${base}/checkins`, { body: { ...b, gate: 'A' } })).status, 201);
      const out = await api<Entry>(`${base}/checkins`, { body: { ...a, gate: 'B', direction: 'out' } });
      assert.equal(out.status, 201);
      assert.equal(out.body.direction, 'out');
      assert.equal(out.body.arrivalMissing, false, 'a arrived earlier today (at another gate)');
      // A check-out of someone who never came in is recorded, says so, and does not make the count negative.
      const ghost = await api<Entry>(`${base}/checkins`, { body: { ...uniqueName('Ghost'), direction: 'out' } });
      assert.equal(ghost.status, 201);
      assert.equal(ghost.body.arrivalMissing, true);
      const end = await summary();
      assert.equal(end.inside - start.inside, 1, 'a went in and out, b is inside, the ghost counts 0');
      assert.equal(end.checkIns - start.checkIns, 2);
      assert.equal(end.checkOuts - start.checkOuts, 2);
      const inAnswer = await api<Entry>(`${base}/checkins`, { body: uniqueName('Arriving') });
      assert.equal(inAnswer.body.arrivalMissing, undefined, 'only check-outs carry the field');
    });

    test('PATCH corrects names, gate and direction; DELETE hides the entry everywhere', async () => {
      const person = uniqueName('Fix');
      const created = await api<Entry>(`${base}/checkins`, { body: { ...person, gate: 'A' } });
      const patched = await api<Entry>(`${base}/checkins/${created.body.id}`, {
        method: 'PATCH',
        body: { firstname: 'Corrected', gate: 'C', direction: 'out' },
      });
      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.body.firstname, 'Corrected');
      assert.equal(patched.body.lastname, person.lastname);
      assert.equal(patched.body.gate, 'C');
      assert.equal(patched.body.direction, 'out');
      assert.equal(patched.body.occurredAt, created.body.occurredAt);
      assert.equal(
        (await api<Page>(`${base}/checkins?q=corrected%20${person.lastname}`)).body.items.length,
        1,
        'search follows the new name',
      );
      assertProblem(await api(`${base}/checkins/${created.body.id}`, { method: 'PATCH', body: {} }), 400, 'body');
      assertProblem(await api(`${base}/checkins/${created.body.id}`, { method: 'PATCH', body: { lastname: ' ' } }), 400, 'lastname');

      const today = localToday('Europe/Berlin');
      const deleted = await api(`${base}/checkins/${created.body.id}`, { method: 'DELETE' });
      assert.equal(deleted.status, 204);
      assertProblem(await api(`${base}/checkins/${created.body.id}`), 404);
      assertProblem(await api(`${base}/checkins/${created.body.id}`, { method: 'DELETE' }), 404);
      assertProblem(await api(`${base}/checkins/${created.body.id}`, { method: 'PATCH', body: { gate: 'X' } }), 404);
      assert.equal((await entriesOf(person)).length, 0, 'not listed');
      const sheet = (await api<{ id: number }[]>(`${app.server.url}/table/view/date:${today.replaceAll('-', '')}`)).body;
      assert.ok(!sheet.some((row) => row.id === created.body.id), 'not on the seed attendance sheet');
      const csv = await api(`${base}/checkins.csv?from=${today}`);
      assert.ok(!csv.text.includes(person.lastname), 'not exported');
      // Deleted entries are no duplicates: the person can check in again.
      assert.equal(
        (await api(`${base}/checkins`, { body: { firstname: 'Corrected', lastname: person.lastname, gate: 'C', direction: 'out' } }))
          .status,
        201,
      );
    });

    test('pages follow nextCursor without gaps or repeats while entries are being inserted', async () => {
      const gate = `page-${uniqueName().lastname}`;
      const existing: number[] = [];
      for (let i = 0; i < 45; i++) existing.push((await api<Entry>(`${base}/checkins`, { body: { ...uniqueName('Pg'), gate } })).body.id);

      let inserting = true;
      const inserted: number[] = [];
      const writer = (async () => {
        while (inserting) inserted.push((await api<Entry>(`${base}/checkins`, { body: { ...uniqueName('Late'), gate } })).body.id);
      })();
      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { status: number; body: Page; text: string } = await api<Page>(
          `${base}/checkins?gate=${gate}&limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        assert.equal(page.status, 200, page.text);
        assert.ok(page.body.items.length <= 7);
        seen.push(...page.body.items.map((e) => e.id));
        cursor = page.body.nextCursor;
        pages += 1;
        // Give the writer time to land rows between pages.
        await new Promise((resolve) => setTimeout(resolve, 20));
      } while (cursor !== null && pages < 200);
      inserting = false;
      await writer;

      assert.equal(new Set(seen).size, seen.length, 'no entry appears twice');
      assert.deepEqual(
        seen,
        [...seen].sort((x, y) => x - y),
        'id order',
      );
      for (const id of existing) assert.ok(seen.includes(id), `entry ${id} that existed before paging was seen`);
      assert.ok(inserted.length > 0, 'rows were inserted while paging');
      for (const id of seen) assert.ok(existing.includes(id) || inserted.includes(id));
    });

    test('list filters by day and gate; a cursor from another filter is refused', async () => {
      const gate = `day-${uniqueName().lastname}`;
      await api(`${base}/checkins`, { body: { ...uniqueName('Day'), gate } });
      const today = localToday('Europe/Berlin');
      assert.equal((await api<Page>(`${base}/checkins?date=${today}&gate=${gate}`)).body.items.length, 1);
      assert.equal((await api<Page>(`${base}/checkins?date=2020-01-01&gate=${gate}`)).body.items.length, 0);
      const page = await api<Page>(`${base}/checkins?date=${today}&limit=1`);
      assert.ok(page.body.nextCursor, 'more than one entry today');
      assertProblem(await api(`${base}/checkins?date=${today}&gate=${gate}&cursor=${page.body.nextCursor}`), 400, 'cursor');
      assertProblem(await api(`${base}/checkins?cursor=not-a-cursor`), 400, 'cursor');
    });

    test('every 4xx is application/problem+json naming the field', async () => {
      const cases: [string, Parameters<typeof api>[1], number, string | undefined][] = [
        ['/checkins', { body: { lastname: 'X' } }, 400, 'firstname'],
        ['/checkins', { body: { firstname: 'X', lastname: '' } }, 400, 'lastname'],
        ['/checkins', { body: { firstname: '   ', lastname: 'X' } }, 400, 'firstname'],
        ['/checkins', { body: { firstname: 'X', lastname: 'Y', direction: 'sideways' } }, 400, 'direction'],
        ['/checkins', { body: { firstname: 'X', lastname: 'Y', gate: 'g'.repeat(101) } }, 400, 'gate'],
        ['/checkins', { body: { firstname: 'a\u0000b', lastname: 'Y' } }, 400, 'firstname'],
        ['/checkins', { body: { firstname: 42, lastname: 'Y' } }, 400, 'firstname'],
        ['/checkins', { body: { firstname: 'X', lastname: 'Y', occuredAt: new Date().toISOString() } }, 400, 'occuredAt'],
        ['/checkins', { body: [{ firstname: 'X', lastname: 'Y' }] }, 400, 'body'],
        ['/checkins', { body: { firstname: 'X', lastname: 'Y' }, headers: { 'idempotency-key': 'x'.repeat(201) } }, 400, 'Idempotency-Key'],
        ['/checkins', { body: '{"firstname":' }, 400, undefined],
        ['/checkins', { body: 'firstname=x', headers: { 'content-type': 'text/plain' } }, 400, 'body'],
        ['/checkins', { body: '<x/>', headers: { 'content-type': 'application/xml' } }, 415, undefined],
        ['/checkins?limit=0', {}, 400, 'limit'],
        ['/checkins?limit=abc', {}, 400, 'limit'],
        ['/checkins?date=2026-13-01', {}, 400, 'date'],
        ['/checkins?date=20260101', {}, 400, 'date'],
        ['/checkins/0', {}, 400, 'id'],
        ['/checkins/abc', {}, 400, 'id'],
        ['/checkins/999999999', {}, 404, undefined],
        ['/checkins.csv', {}, 400, 'from'],
        ['/days/2026-02-30/summary', {}, 400, 'date'],
        ['/days/today/summary', {}, 400, 'date'],
        ['/nothing-here', {}, 404, undefined],
      ];
      for (const [path, init, status, field] of cases) {
        const response = await api(`${base}${path}`, init);
        assertProblem(response, status, field);
      }
    });

    test('the seed API keeps its shape and sees entries made through /api/v1', async () => {
      const person = uniqueName('Seed');
      const created = await api<Entry>(`${base}/checkins`, { body: { ...person, gate: 'S', direction: 'out' } });
      const sheet = (await api<Record<string, unknown>[]>(`${app.server.url}/table/view/date:today`)).body;
      const row = sheet.find((r) => r.id === created.body.id);
      assert.deepEqual(row, {
        id: created.body.id,
        login: created.body.occurredAt,
        lastname: person.lastname,
        firstname: person.firstname,
        gate: 'S',
      });
      const seeded = await api<Record<string, unknown>>(`${app.server.url}/table/create`, { body: person });
      assert.deepEqual(Object.keys(seeded.body), ['id', 'login', 'firstname', 'lastname', 'gate']);
      assert.equal((await api<Entry>(`${base}/checkins/${seeded.body.id}`)).body.direction, 'in');
    });
  });
}
