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

/** The rule as migration 0060 wrote it, step by step, for the column `v`. */
const RULE_OF_0060 = `regexp_replace(
  replace(replace(replace(replace(
    translate(lower(regexp_replace(normalize(v, NFD), '[\\u0300-\\u036f]', '', 'g')), 'łøđħıŀŧ', 'lodhilt'),
    'ß', 'ss'), 'æ', 'ae'), 'œ', 'oe'), 'þ', 'th'),
  '[\\s!-/:-@\\[-\`{-~\\u00a0-\\u00bf\\u2010-\\u206f\\u3000-\\u303f]', '', 'g')`;

/**
 * Strings to fold: every ASCII character alone and between letters, the table's names ($1), and $2
 * strings of 1 to 16 characters drawn (by a hash, so every run draws the same) from ASCII, and for two
 * strings in three also from Latin-1, combining marks, Greek, Cyrillic, Latin Extended Additional,
 * general punctuation and spaces, CJK punctuation, CJK ideographs and full-width forms.
 */
const STRINGS = `
  SELECT chr(c) FROM generate_series(1, 127) AS c
  UNION ALL SELECT 'Ab' || chr(c) || 'Yz ' || chr(c) FROM generate_series(1, 127) AS c
  UNION ALL SELECT unnest($1::text[])
  UNION ALL
  SELECT string_agg(chr(CASE WHEN i % 3 = 0 OR h % 10 < 6 THEN 1 + h % 127
                             ELSE (ARRAY[128, 256, 768, 880, 1024, 7680, 8192, 12288, 19968, 65280])[1 + (h / 16) % 10] + (h / 256) % 256 END),
                    '' ORDER BY j)
    FROM generate_series(1, $2::int) AS i, generate_series(1, 1 + i % 16) AS j, LATERAL (SELECT abs(hashint4(i * 37 + j)) AS h) AS x
   GROUP BY i`;

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

    test('person_fold answers every string as the rule of migration 0060 does (0095 only skips steps for ASCII)', async () => {
      const { rows } = await db.query<{ strings: number; ascii: number; differ: string[] }>(
        `SELECT count(*)::int AS strings, count(*) FILTER (WHERE v ~ '^[\\x01-\\x7f]*$')::int AS ascii,
                coalesce(array_agg(v) FILTER (WHERE person_fold(v) IS DISTINCT FROM ${RULE_OF_0060}), '{}') AS differ
           FROM (${STRINGS}) AS s(v)`,
        [CASES.map(([input]) => input), 6000],
      );
      assert.deepEqual(rows[0]!.differ, [], 'strings that fold otherwise');
      assert.ok(rows[0]!.strings > 6000 && rows[0]!.ascii > 2500 && rows[0]!.ascii < rows[0]!.strings - 2000, JSON.stringify(rows[0]));
    });

    test('person_fold is inlined where it is called (a call that is not costs more than the steps it skips)', async () => {
      const { rows } = await db.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN (VERBOSE, COSTS OFF) SELECT person_fold(firstname || ' ' || lastname) FROM checkins`,
      );
      const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
      assert.doesNotMatch(plan, /person_fold/, plan);
      assert.match(plan, /regexp_replace/, plan);
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
