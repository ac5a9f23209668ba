// The one CSV format (src/domain/csv.ts): the formula guard and quoting in TypeScript (csvField, used by
// exports built in Node such as the register) and in SQL (csvFieldSql, used by the check-in exports
// PostgreSQL renders) answer alike for a table of values a person could type, and as the table says; the
// byte-order mark and the file names are built one way.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { contentDisposition, csvField, csvFieldSql, csvFileName, csvHeader, csvLine } from '../../src/domain/csv.js';
import type { Database } from '../../src/db/database.js';
import { openPostgres } from '../../src/db/postgres.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/** Values and their CSV field. */
const CASES: [string, string][] = [
  ['Plain', 'Plain'],
  ['', ''],
  ['Zoë Ørsted-Łukasz', 'Zoë Ørsted-Łukasz'],
  ['=1+1', "'=1+1"],
  ['+491701234567', "'+491701234567"],
  ['-2+3', "'-2+3"],
  ['@SUM(A1:A2)', "'@SUM(A1:A2)"],
  ['\tTabbed', "'\tTabbed"],
  ['\rCarriage', `"'\rCarriage"`],
  ['Anne, Marie', '"Anne, Marie"'],
  ['O"Neil', '"O""Neil"'],
  ['Multi\nLine', '"Multi\nLine"'],
  ['=HYPERLINK("x","y")', `"'=HYPERLINK(""x"",""y"")"`],
  // Full-width signs are = + - @ under NFKC; invisible characters in front may hide a sign.
  ['＝1+1', "'＝1+1"],
  ['＋49', "'＋49"],
  ['＠gate', "'＠gate"],
  ['\u200B=cmd|calc', "'\u200B=cmd|calc"],
  ['\u2060\uFEFF+A', "'\u2060\uFEFF+A"],
  ['\u200E\u202E－2+3', "'\u200E\u202E－2+3"],
  ['\u00AD@x', "'\u00AD@x"],
  ['Ünter', 'Ünter'],
  ['a=1', 'a=1'],
];

describe('the one CSV format', () => {
  let postgres: TestDatabase;
  let db: Database;
  before(async () => {
    postgres = await createTestDatabase();
    db = await openPostgres({ kind: 'postgres', connectionString: postgres.url, poolMax: 1, display: postgres.name }, { timezone: 'UTC' });
  });
  after(async () => {
    await db?.close();
    await postgres?.drop();
  });

  test('csvField and csvFieldSql guard and quote every value of the table alike, and as the table says', async () => {
    const { rows } = await db.query<{ field: string }>(
      `SELECT ${csvFieldSql('value')} AS field FROM unnest($1::text[]) WITH ORDINALITY AS t(value, ord) ORDER BY ord`,
      [CASES.map(([value]) => value)],
    );
    assert.deepEqual(
      rows.map((row) => row.field),
      CASES.map(([, field]) => field),
      'SQL',
    );
    assert.deepEqual(
      CASES.map(([value]) => csvField(value)),
      CASES.map(([, field]) => field),
      'TypeScript',
    );
  });

  test('lines end in CRLF; numbers and empty values; the byte-order mark only when asked', () => {
    assert.equal(csvLine(['＝1+1', 3, null, undefined, 'x']), "'＝1+1,3,,,x\r\n");
    assert.equal(csvHeader(['a', 'b']), 'a,b\r\n');
    assert.equal(csvHeader('a,b', { bom: true }), '\ufeffa,b\r\n');
  });

  test('file names: ASCII for every client, filename* when the label has other letters', () => {
    assert.equal(
      contentDisposition(csvFileName('barona-register-7-2026-03-02_to_2026-03-06')),
      'attachment; filename="barona-register-7-2026-03-02_to_2026-03-06.csv"',
    );
    const gate = csvFileName('barona-checkins-2026-05-04', { prefix: '-gate-', text: 'Süd / Ost' });
    assert.deepEqual(gate, {
      ascii: 'barona-checkins-2026-05-04-gate-sud-ost.csv',
      unicode: 'barona-checkins-2026-05-04-gate-süd-ost.csv',
    });
    assert.equal(
      contentDisposition(gate),
      `attachment; filename="barona-checkins-2026-05-04-gate-sud-ost.csv"; filename*=UTF-8''barona-checkins-2026-05-04-gate-s%C3%BCd-ost.csv`,
    );
    assert.equal(csvFileName('x', { prefix: '-gate-', text: '!!!' }).ascii, 'x-gate.csv');
  });
});
