// Every CSV export in the one format of src/domain/csv.ts: register.csv and a person's export.csv take
// `bom=true` like checkins.csv and guard formulas as strongly (full-width, zero-width, bidi); text filters
// holding a NUL (which PostgreSQL cannot take) are a 400 naming the field before any byte of an export;
// a member import repeating a line exactly imports it once and says so. In-process against PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { parse } from 'csv-parse/sync';
import { build, signIn, type AdminSession, type TestApp } from '../support/app.js';

const DAY = '2026-03-02';
const RANGE = `from=${DAY}&to=${DAY}`;
const BOM = '\ufeff';

function assertNulRefused(response: LightMyRequestResponse, field: string): void {
  assert.equal(response.statusCode, 400, `${field}: ${response.body}`);
  assert.match(String(response.headers['content-type']), /application\/problem\+json/);
  const problem = response.json<{ errors: { field: string; message: string }[] }>();
  assert.deepEqual(problem.errors, [{ field, message: 'must not contain NUL characters' }]);
}

describe('CSV exports and imports', () => {
  let t: TestApp;
  let owner: AdminSession;
  let groupId: number;
  let token: string;

  const importCsv = (csv: string, dryRun = false) =>
    owner.inject({
      method: 'POST',
      url: `/api/v1/groups/${groupId}/members/import${dryRun ? '?dryRun=true' : ''}`,
      payload: csv,
      headers: { 'content-type': 'text/csv' },
    });

  before(async () => {
    t = await build({ AUTH_MODE: 'token', APP_TIMEZONE: 'Europe/Berlin' });
    owner = await signIn(t.app);
    const group = await owner.inject({
      method: 'POST',
      url: '/api/v1/groups',
      payload: { name: 'Formula class', schedule: { dates: [DAY] } },
    });
    assert.equal(group.statusCode, 201, group.body);
    groupId = group.json<{ id: number }>().id;
    const made = await owner.inject({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'CSV gate', scopes: ['checkin'] } });
    token = made.json<{ token: string }>().token;
  });
  after(async () => t.close());

  test('a line repeated exactly is imported once, with a warning; dry run and import alike; audited', async () => {
    const csv =
      'firstname,lastname,externalRef\n＝1+1,Formula,F1\n\u200B=cmd,Zero,F2\nAda,Lovelace,F3\n＝1+1,Formula,F1\nAda,Lovelace,F3\n';
    const preview = await importCsv(csv, true);
    assert.equal(preview.statusCode, 200, preview.body);
    const expectedWarnings = [
      { line: 5, field: 'csv', message: 'repeats line 2 exactly: imported once' },
      { line: 6, field: 'csv', message: 'repeats line 4 exactly: imported once' },
    ];
    assert.deepEqual(preview.json<{ warnings: unknown }>().warnings, expectedWarnings);

    const page = await owner.post(`/admin/groups/${groupId}/import`, { csv, mode: 'preview' });
    assert.equal(page.statusCode, 200, page.body);
    assert.match(page.body, /id="import-warnings"[^>]*>2 lines repeat an earlier line exactly/);

    const imported = await importCsv(csv);
    assert.equal(imported.statusCode, 200, imported.body);
    const outcome = imported.json<{ created: number; lines: { line: number }[]; warnings: unknown }>();
    assert.equal(outcome.created, 3);
    assert.deepEqual(
      outcome.lines.map((l) => l.line),
      [2, 3, 4],
    );
    assert.deepEqual(outcome.warnings, expectedWarnings);
    const [audit] = await t.database.query<{ after: { repeated?: number } }>(
      `SELECT after FROM audit_log WHERE action = 'import-members' AND entity_id = $1 ORDER BY id DESC LIMIT 1`,
      [String(groupId)],
    );
    assert.equal(audit!.after.repeated, 2);

    const pageImport = await owner.post(`/admin/groups/${groupId}/import`, { csv, mode: 'import' });
    assert.equal(pageImport.statusCode, 303);
    const shown = await owner.inject({ url: String(pageImport.headers.location) });
    assert.match(shown.body, /2 repeated lines were imported once/);
  });

  test('a line repeating a person with different data is still refused, naming the line', async () => {
    const sameRef = await importCsv('firstname,lastname,externalRef\nAda,Lovelace,F3\nAda,Byron,F3\n', true);
    assert.equal(sameRef.statusCode, 400, sameRef.body);
    assert.deepEqual(sameRef.json<{ errors: unknown }>().errors, [{ line: 3, field: 'externalRef', message: '"F3" is also on line 2' }]);
    const sameName = await importCsv('firstname,lastname,email\nEve,Twin,eve@example.org\nEve,Twin,other@example.org\n', true);
    assert.equal(sameName.statusCode, 400, sameName.body);
    assert.deepEqual(sameName.json<{ errors: unknown }>().errors, [
      { line: 3, field: 'externalRef', message: 'is needed: line 2 has the same name' },
    ]);
  });

  test('register.csv?bom=true starts with the byte-order mark and guards formulas as checkins.csv does', async () => {
    // Imported today, the members count from today; the register asked for is an earlier day.
    await t.database.query(`UPDATE group_members SET since = $2::date WHERE group_id = $1`, [groupId, DAY]);
    const withBom = await owner.inject({ url: `/api/v1/groups/${groupId}/register.csv?${RANGE}&bom=true` });
    assert.equal(withBom.statusCode, 200, withBom.body);
    assert.ok(withBom.body.startsWith(`${BOM}lastname,firstname,externalRef,${DAY},`), withBom.body.slice(0, 80));
    assert.match(String(withBom.headers['content-type']), /^text\/csv; charset=utf-8/);
    assert.equal(withBom.headers['content-disposition'], `attachment; filename="barona-register-${groupId}-${DAY}_to_${DAY}.csv"`);
    const rows = parse(withBom.body.slice(1), { columns: true }) as Record<string, string>[];
    const firstnames = rows.map((row) => row.firstname).sort();
    assert.deepEqual(firstnames, ["'\u200B=cmd", "'＝1+1", 'Ada'].sort());

    const plain = await owner.inject({ url: `/api/v1/groups/${groupId}/register.csv?${RANGE}` });
    assert.equal(plain.statusCode, 200);
    assert.ok(plain.body.startsWith('lastname,'));
    assert.ok(plain.body.includes("\r\nFormula,'＝1+1,F1,"), plain.body);

    const page = await owner.inject({ url: `/admin/groups/${groupId}/register?${RANGE}` });
    assert.match(
      page.body,
      new RegExp(`id="register-csv-excel"\\s+href="/api/v1/groups/${groupId}/register.csv\\?from=${DAY}&amp;to=${DAY}&amp;bom=true"`),
    );
  });

  test("a person's export.csv takes bom=true too", async () => {
    const [person] = await t.database.query<{ id: number }>(`SELECT id::int FROM people WHERE external_ref = 'F1'`);
    const csv = await owner.inject({ url: `/api/v1/people/${person!.id}/export.csv?bom=true` });
    assert.equal(csv.statusCode, 200, csv.body);
    assert.ok(csv.body.startsWith(`${BOM}id,occurred_at,`));
    assert.equal(csv.headers['content-disposition'], `attachment; filename="person-${person!.id}-checkins.csv"`);
    const plain = await owner.inject({ url: `/api/v1/people/${person!.id}/export.csv` });
    assert.ok(plain.body.startsWith('id,occurred_at,'));
  });

  test('a NUL in any text filter of an export or list is a 400 naming it, before a byte of the export', async () => {
    const csv = await owner.inject({ url: `/api/v1/checkins.csv?from=${DAY}&gate=%00` });
    assertNulRefused(csv, 'gate');
    assertNulRefused(await owner.inject({ url: `/api/v1/checkins.csv?from=${DAY}&gate=A%00B` }), 'gate');
    assertNulRefused(await owner.inject({ url: `/api/v1/checkins?date=${DAY}&gate=%00` }), 'gate');
    assertNulRefused(await owner.inject({ url: `/api/v1/checkins?date=${DAY}&q=ada%00` }), 'q');
    assertNulRefused(await owner.inject({ url: `/api/v1/checkins?date=${DAY}&cursor=%00` }), 'cursor');
    assertNulRefused(await owner.inject({ url: `/api/v1/days/${DAY}/summary?gate=%00` }), 'gate');
    assertNulRefused(await owner.inject({ url: '/api/v1/people?q=%00' }), 'q');
    assertNulRefused(await owner.inject({ url: '/api/v1/people?cursor=%00' }), 'cursor');
    assertNulRefused(await owner.inject({ url: '/api/v1/groups?q=%00' }), 'q');
    assertNulRefused(await owner.inject({ url: '/api/v1/audit?cursor=%00' }), 'cursor');
    assertNulRefused(await t.app.inject({ url: '/api/v1/kiosk/people?q=ab%00', headers: { authorization: `Bearer ${token}` } }), 'q');
    // The attendance page's filters too: a page naming the field, not a database error.
    for (const field of ['gate', 'q', 'cursor']) {
      const page = await owner.inject({ url: `/admin/sheet?date=${DAY}&${field}=A%00`, headers: { accept: 'text/html' } });
      assert.equal(page.statusCode, 400, `${field}: ${page.body.slice(0, 200)}`);
      assert.match(String(page.headers['content-type']), /text\/html/);
      assert.match(page.body, new RegExp(`${field}: must not contain NUL characters`));
    }
    // The same filters without the NUL are answered.
    assert.equal((await owner.inject({ url: `/api/v1/checkins.csv?from=${DAY}&gate=A` })).statusCode, 200);
  });
});
