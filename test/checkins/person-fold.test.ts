// One folding rule for names in SQL and TypeScript: personFold (src/features/checkins/person-name.ts) answers what
// the database's person_fold (migration 0060) answers, for a table of names, on PostgreSQL and PGlite.
// The name search of the attendance sheet folds its words in TypeScript and the names in SQL, so a
// disagreement here would be a person the search cannot find.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { personFold, searchTerms } from '../../src/features/checkins/person-name.js';
import type { Database } from '../../src/db/database.js';
import { openEmbedded } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrator.js';
import { openPostgres } from '../../src/db/postgres.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/** Names and what they fold to. */
const CASES: [string, string][] = [
  ['Żółć', 'zolc'],
  ['ŁÓDŹ', 'lodz'],
  ["O'Brien", 'obrien'],
  ['D’Angelo', 'dangelo'],
  ['Lovelace, Ada', 'lovelaceada'],
  ['Jean-Luc  Picard', 'jeanlucpicard'],
  ['ÉLODIE Dupré', 'elodiedupre'],
  ['Łukasz Ćwikła', 'lukaszcwikla'],
  ['Søren Ørsted', 'sorenorsted'],
  ['Straße', 'strasse'],
  ['Ærøskøbing', 'aeroskobing'],
  ['Œuvre', 'oeuvre'],
  ['Þór', 'thor'],
  ['Đorđe', 'dorde'],
  ['Ħamrun', 'hamrun'],
  ['ıspanak', 'ispanak'],
  ['İstanbul', 'istanbul'],
  ['Ŀlorenç', 'llorenc'],
  ['Ŧest', 'test'],
  ['Nguyễn Văn Ánh', 'nguyenvananh'],
  ['Müller-Lüdenscheidt', 'mullerludenscheidt'],
  ['Ñandú Ångström', 'nanduangstrom'],
  ['Anne\u00a0Marie', 'annemarie'],
  ['Em\u2003Space', 'emspace'],
  ['tab\tnew\nline', 'tabnewline'],
  ['(Dr.) Smith & Co.', 'drsmithco'],
  ['50% _off_ \\ {x}', '50offx'],
  ['«Guillemets» ¿Qué?', 'guillemetsque'],
  ['「鈴木」 一郎', '鈴木一郎'],
  ['Σίσυφος', 'σισυφος'],
  ['Zoë', 'zoe'],
];

function foldsAlike(name: string, open: () => Promise<Database>, close: (db: Database) => Promise<void>) {
  describe(`personFold and person_fold agree on ${name}`, () => {
    let db: Database;
    before(async () => {
      db = await open();
    });
    after(async () => db && close(db));

    test('every name of the table', async () => {
      const { rows } = await db.query<{ folded: string }>(
        `SELECT person_fold(name) AS folded FROM unnest($1::text[]) WITH ORDINALITY AS t(name, ord) ORDER BY ord`,
        [CASES.map(([input]) => input)],
      );
      const database = rows.map((row) => row.folded);
      assert.deepEqual(
        CASES.map(([input]) => personFold(input)),
        database,
        'TypeScript and SQL fold alike',
      );
      assert.deepEqual(
        database,
        CASES.map(([, folded]) => folded),
        'and as the table says',
      );
    });
  });
}

let postgres: TestDatabase;
foldsAlike(
  'PostgreSQL',
  async () => {
    postgres = await createTestDatabase();
    return openPostgres({ kind: 'postgres', connectionString: postgres.url, poolMax: 2, display: postgres.name }, { timezone: 'UTC' });
  },
  async (db) => {
    await db.close();
    await postgres.drop();
  },
);

let dataDir: string;
foldsAlike(
  'PGlite',
  async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'barona-fold-'));
    const db = await openEmbedded({ kind: 'embedded', dataDir }, { timezone: 'UTC' });
    await migrate(db);
    return db;
  },
  async (db) => {
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  },
);

test('search words are split at spaces and commas, then folded; words that fold to nothing are dropped', () => {
  assert.deepEqual(searchTerms('Lovelace, Ada'), ['lovelace', 'ada']);
  assert.deepEqual(searchTerms("  o'brien,seán "), ['obrien', 'sean']);
  assert.deepEqual(searchTerms('Jean-Luc'), ['jeanluc']);
  assert.deepEqual(searchTerms('Jean - Luc'), ['jean', 'luc']);
  assert.equal(searchTerms(' - , %'), null, 'words that can match no name: nobody matches');
  assert.deepEqual(searchTerms(' , '), [], 'no words: no name filter');
  assert.deepEqual(searchTerms(undefined), []);
});
