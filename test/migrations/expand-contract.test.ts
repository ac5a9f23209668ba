// The expand/contract rule, checked: migrations added since the previous release (releases.json) keep
// that release's code working, unless marked as the contract step.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { breakingChanges, checkMigrations, readReleases } from '../../scripts/migration-check.js';
import { ROOT } from '../support/server.js';

describe('expand/contract migrations', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  /** The current migrations plus `extra` files, in a scratch folder. */
  function migrationsWith(extra: Record<string, string>): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'barona-migrations-'));
    dirs.push(dir);
    cpSync(path.join(ROOT, 'migrations'), dir, { recursive: true });
    for (const [file, sql] of Object.entries(extra)) writeFileSync(path.join(dir, file), sql);
    return dir;
  }

  test('the previous release is recorded and in the history', () => {
    const [release] = readReleases();
    assert.equal(release!.version, '0.1.0');
    assert.match(release!.commit, /^1c082f8[0-9a-f]{33}$/);
  });

  test("this repository's migrations keep the previous release working", () => {
    assert.deepEqual(checkMigrations(), []);
  });

  test('dropping or renaming what the release uses is flagged; a contract step is not', () => {
    const cases: [string, RegExp][] = [
      ['ALTER TABLE checkins DROP COLUMN gate;', /drops column checkins\.gate, which release 0\.1\.0 still uses/],
      ['ALTER TABLE public.checkins RENAME COLUMN firstname TO first_name;', /renames column checkins\.firstname/],
      ['ALTER TABLE checkins RENAME TO attendance;', /renames table checkins/],
      ['DROP TABLE IF EXISTS gate_tokens CASCADE;', /drops table gate_tokens/],
      ['DROP FUNCTION record_checkins(text[], text[]);', /drops function record_checkins/],
      ['CREATE OR REPLACE FUNCTION record_checkins() RETURNS void LANGUAGE sql AS $$ SELECT 1 $$;', /replaces function record_checkins/],
      ['ALTER TABLE checkins ALTER COLUMN gate TYPE varchar(20);', /changes the type of column checkins\.gate/],
      ['ALTER TABLE checkins ALTER COLUMN direction DROP DEFAULT;', /takes the default away from column checkins\.direction/],
      ['ALTER TABLE checkins ADD COLUMN person_id bigint NOT NULL;', /adds column checkins\.person_id NOT NULL without a default/],
    ];
    for (const [sql, message] of cases) {
      const problems = checkMigrations({ migrationsDir: migrationsWith({ '0049_change.sql': `-- a change\n${sql}\n` }) });
      assert.equal(problems.length, 1, `${sql}: ${problems.join('; ')}`);
      assert.match(problems[0]!, /^0049_change\.sql /);
      assert.match(problems[0]!, message);
      const marked = migrationsWith({ '0049_change.sql': `-- contract: release 0.1.0 is no longer deployed anywhere\n${sql}\n` });
      assert.deepEqual(checkMigrations({ migrationsDir: marked }), [], `${sql} as a contract step`);
    }
  });

  test('expanding, and dropping what only the new version had, pass', () => {
    const sql = `
      CREATE TABLE people (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
      ALTER TABLE checkins ADD COLUMN person_id bigint REFERENCES people (id), ADD COLUMN source text NOT NULL DEFAULT 'api';
      ALTER TABLE checkins ADD CONSTRAINT checkins_source_check CHECK (source <> '') NOT VALID;
      CREATE INDEX checkins_person_idx ON checkins (person_id);
      CREATE FUNCTION record_checkins_v2() RETURNS void LANGUAGE plpgsql AS $$ BEGIN DROP TABLE checkins; END $$;
      -- DROP TABLE checkins; (a comment)
      CREATE TABLE scratch (id int);
      DROP TABLE scratch;
      ALTER TABLE people DROP COLUMN name;
      ALTER TABLE checkins DROP CONSTRAINT checkins_source_check, ALTER COLUMN source DROP NOT NULL;`;
    assert.deepEqual(checkMigrations({ migrationsDir: migrationsWith({ '0049_people.sql': sql }) }), []);
    assert.deepEqual(
      breakingChanges(sql).map((c) => c.what),
      ['drops table scratch', 'drops column people.name'],
      'found, but not used by the release',
    );
  });

  test("editing or removing a released migration, or numbering a new one before the release's last, is flagged", () => {
    const edited = migrationsWith({ '0001_create_checkins.sql': '-- edited\n' });
    assert.match(
      checkMigrations({ migrationsDir: edited }).join('\n'),
      /0001_create_checkins\.sql belongs to release 0\.1\.0 and was edited/,
    );
    const early = migrationsWith({ '0015_late_arrival.sql': 'CREATE TABLE x (id int);' });
    assert.match(
      checkMigrations({ migrationsDir: early }).join('\n'),
      /0015_late_arrival\.sql sorts before 0020_record_checkins_function\.sql/,
    );
  });
});
