// The expand/contract rule, checked: migrations added since the previous release (releases.json) keep
// that release's code working, unless marked as the contract step.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { breakingChanges, checkMigrations, readReleases, type Release } from '../../scripts/migration-check.js';
import { ROOT } from '../support/server.js';

const git = (args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const releases = readReleases();
/** The release's migration files, sorted. */
const migrationsOf = (release: Release) =>
  git(['ls-tree', '--name-only', release.commit, 'migrations/'])
    .split('\n')
    .filter((file) => file.endsWith('.sql'))
    .map((file) => path.basename(file))
    .sort();
/** Whether the release's src/ or migrations/ mention `name` as a whole word. */
function mentions(release: Release, name: string): boolean {
  try {
    execFileSync('git', ['grep', '-q', '-i', '-w', '-F', '-e', name, release.commit, '--', 'src', 'migrations'], {
      cwd: ROOT,
      stdio: 'ignore',
    });
    return true;
  } catch (error) {
    if ((error as { status?: number }).status === 1) return false;
    throw error;
  }
}
const numberOf = (file: string) => Number(/^(\d+)_/.exec(file)![1]);
const pad = (n: number) => String(n).padStart(4, '0');

describe('expand/contract migrations', () => {
  test('the previous release is recorded and in the history', () => {
    const [release] = readReleases();
    // The newest recorded release is the previous one; every entry is a commit of this history whose
    // package.json and chart carry its version, newest first.
    assert.deepEqual(release, releases[0]);
    for (const [i, r] of releases.entries()) {
      assert.match(r.commit, /^[0-9a-f]{40}$/, r.version);
      assert.doesNotThrow(() => git(['merge-base', '--is-ancestor', r.commit, 'HEAD']), `${r.version}: ${r.commit} is in HEAD's history`);
      const pkg = JSON.parse(git(['show', `${r.commit}:package.json`])) as { version: string };
      assert.equal(pkg.version, r.version, `package.json at ${r.commit.slice(0, 7)}`);
      assert.match(git(['show', `${r.commit}:charts/barona/Chart.yaml`]), new RegExp(`^version:\\s*${escape(r.version)}\\s*$`, 'm'));
      if (i > 0) assert.doesNotThrow(() => git(['merge-base', '--is-ancestor', r.commit, releases[i - 1]!.commit]), 'newest first');
    }
  });

  test("this repository's migrations keep the previous release working", () => {
    assert.deepEqual(checkMigrations(), []);
  });
});

// The check itself, against every recorded release (the newest through the default, as the script runs
// it): a migration is fabricated after the release's last one (and after every migration here).
for (const release of releases) {
  describe(`expand/contract check against ${release.version} (${release.commit.slice(0, 7)})`, () => {
    const dirs: string[] = [];
    after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
    const check = (migrationsDir: string) => checkMigrations(release === releases[0] ? { migrationsDir } : { migrationsDir, release });
    const version = escape(release.version);
    const released = migrationsOf(release);
    const lastReleased = released.at(-1)!;
    const current = readdirSync(path.join(ROOT, 'migrations')).filter((file) => file.endsWith('.sql'));
    const next = pad(Math.max(...[...released, ...current].map(numberOf)) + 1);

    /** The current migrations plus `extra` files, in a scratch folder. */
    function migrationsWith(extra: Record<string, string>): string {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'barona-migrations-'));
      dirs.push(dir);
      cpSync(path.join(ROOT, 'migrations'), dir, { recursive: true });
      for (const [file, sql] of Object.entries(extra)) writeFileSync(path.join(dir, file), sql);
      return dir;
    }

    test('dropping or renaming what the release uses is flagged; a contract step is not', () => {
      const file = `${next}_change.sql`;
      const cases: [string, RegExp][] = [
        ['ALTER TABLE checkins DROP COLUMN gate;', new RegExp(`drops column checkins\\.gate, which release ${version} still uses`)],
        ['ALTER TABLE public.checkins RENAME COLUMN firstname TO first_name;', /renames column checkins\.firstname/],
        ['ALTER TABLE checkins RENAME TO attendance;', /renames table checkins/],
        ['DROP TABLE IF EXISTS gate_tokens CASCADE;', /drops table gate_tokens/],
        ['DROP FUNCTION record_checkins(text[], text[]);', /drops function record_checkins/],
        ['CREATE OR REPLACE FUNCTION record_checkins() RETURNS void LANGUAGE sql AS $$ SELECT 1 $$;', /replaces function record_checkins/],
        ['ALTER TABLE checkins ALTER COLUMN gate TYPE varchar(20);', /changes the type of column checkins\.gate/],
        ['ALTER TABLE checkins ALTER COLUMN direction DROP DEFAULT;', /takes the default away from column checkins\.direction/],
        ['ALTER TABLE checkins ADD COLUMN pass_id bigint NOT NULL;', /adds column checkins\.pass_id NOT NULL without a default/],
      ];
      for (const [sql, message] of cases) {
        const problems = check(migrationsWith({ [file]: `-- a change\n${sql}\n` }));
        assert.equal(problems.length, 1, `${sql}: ${problems.join('; ')}`);
        assert.match(problems[0]!, new RegExp(`^${escape(file)} `));
        assert.match(problems[0]!, message);
        const marked = migrationsWith({ [file]: `-- contract: release ${release.version} is no longer deployed anywhere\n${sql}\n` });
        assert.deepEqual(check(marked), [], `${sql} as a contract step`);
      }
    });

    test('a "same results" line lets the functions it names be replaced, and nothing else', () => {
      const file = `${next}_faster.sql`;
      const replace = 'CREATE OR REPLACE FUNCTION record_checkins() RETURNS void LANGUAGE sql AS $$ SELECT 1 $$;';
      const drop = 'ALTER TABLE checkins DROP COLUMN gate;';
      assert.deepEqual(check(migrationsWith({ [file]: `-- same results: record_checkins\n${replace}\n` })), []);
      assert.deepEqual(check(migrationsWith({ [file]: `-- same results: person_fold, "record_checkins"\n${replace}\n` })), []);
      const other = check(migrationsWith({ [file]: `-- same results: person_fold\n${replace}\n` }));
      assert.equal(other.length, 1, 'another function named: still flagged');
      assert.match(other[0]!, /replaces function record_checkins/);
      const more = check(migrationsWith({ [file]: `-- same results: record_checkins\n${replace}\n${drop}\n` }));
      assert.equal(more.length, 1, 'the rest of the file is still checked');
      assert.match(more[0]!, /drops column checkins\.gate/);
    });

    test('expanding, and dropping what only the new version had, pass', () => {
      // A table and columns the release knows nothing of.
      for (const name of ['visitor_passes', 'pass_id', 'pass_label']) assert.equal(mentions(release, name), false, name);
      const sql = `
      CREATE TABLE visitor_passes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, pass_label text NOT NULL);
      ALTER TABLE checkins ADD COLUMN pass_id bigint REFERENCES visitor_passes (id), ADD COLUMN source text NOT NULL DEFAULT 'api';
      ALTER TABLE checkins ADD CONSTRAINT checkins_source_check CHECK (source <> '') NOT VALID;
      CREATE INDEX checkins_pass_idx ON checkins (pass_id);
      CREATE FUNCTION record_checkins_v2() RETURNS void LANGUAGE plpgsql AS $$ BEGIN DROP TABLE checkins; END $$;
      -- DROP TABLE checkins; (a comment)
      CREATE TABLE scratch (id int);
      DROP TABLE scratch;
      ALTER TABLE visitor_passes DROP COLUMN pass_label;
      ALTER TABLE checkins DROP CONSTRAINT checkins_source_check, ALTER COLUMN source DROP NOT NULL;`;
      assert.deepEqual(check(migrationsWith({ [`${next}_visitor_passes.sql`]: sql })), []);
      assert.deepEqual(
        breakingChanges(sql).map((c) => c.what),
        ['drops table scratch', 'drops column visitor_passes.pass_label'],
        'found, but not used by the release',
      );
    });

    test("editing or removing a released migration, or numbering a new one before the release's last, is flagged", () => {
      const first = released[0]!;
      const edited = migrationsWith({ [first]: '-- edited\n' });
      assert.match(check(edited).join('\n'), new RegExp(`${escape(first)} belongs to release ${version} and was edited`));
      const removed = migrationsWith({});
      rmSync(path.join(removed, lastReleased));
      assert.match(check(removed).join('\n'), new RegExp(`${escape(lastReleased)} belongs to release ${version} but is gone`));
      const early = `${pad(numberOf(lastReleased) - 1)}_late_arrival.sql`;
      assert.ok(!released.includes(early) && !current.includes(early), early);
      assert.match(
        check(migrationsWith({ [early]: 'CREATE TABLE x (id int);' })).join('\n'),
        new RegExp(`${escape(early)} sorts before ${escape(lastReleased)}, the last migration of release ${version}`),
      );
    });
  });
}
