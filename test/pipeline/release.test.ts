// `npm run release` in a temporary clone (never pushing), and the version agreement check.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { ROOT, packageJson, run } from './project.js';

const CHART = 'charts/barona';
const gitEnv = {
  GIT_AUTHOR_NAME: 'Release Test',
  GIT_AUTHOR_EMAIL: 'release-test@example.invalid',
  GIT_COMMITTER_NAME: 'Release Test',
  GIT_COMMITTER_EMAIL: 'release-test@example.invalid',
};
const tsx = (script: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  run(process.execPath, ['--import', 'tsx', path.join(ROOT, script), ...args], { env: { ...gitEnv, ...env } });
const git = (cwd: string, ...args: string[]) => {
  const r = run('git', args, { cwd, env: gitEnv });
  assert.equal(r.code, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};
function copyVersioned(dest: string, files: string[]): void {
  for (const f of files) {
    mkdirSync(path.dirname(path.join(dest, f)), { recursive: true });
    cpSync(path.join(ROOT, f), path.join(dest, f));
  }
}
const bumpMinor = (v: string): string => {
  const [major, minor] = v.split('.').map(Number);
  return `${major}.${(minor as number) + 1}.0`;
};

interface Recorded {
  version: string;
  commit: string;
  date: string;
}
const releasesOf = (dir: string) =>
  JSON.parse(readFileSync(path.join(dir, 'releases.json'), 'utf8')) as { $comment?: string; releases: Recorded[] };
/** The changelog lines `npm run release` writes for commits: "- <subject> (<sha>)". */
const commitLines = (text: string) => text.split('\n').filter((line) => /^- .* \([0-9a-f]{7,}\)$/.test(line));

/**
 * A bare "remote" cloned from this repository, and a working clone of it (if the release pushed
 * anything, origin would see it); the clone gets this work tree's versioned files, so the test checks
 * what is on disk now, then two feature commits. Tags that travelled with the clone are deleted:
 * whether they travel depends on how this checkout was made, so each case makes the tag it needs.
 */
function cloneForRelease(tmp: string, name: string, tagPrevious?: string): { origin: string; work: string } {
  const origin = path.join(tmp, `${name}-origin.git`);
  const work = path.join(tmp, name);
  git(tmp, 'clone', '--quiet', '--bare', ROOT, origin);
  git(tmp, 'clone', '--quiet', origin, work);
  for (const tag of git(work, 'tag', '--list').split('\n').filter(Boolean)) git(work, 'tag', '--delete', tag);
  copyVersioned(work, ['package.json', 'package-lock.json', 'CHANGELOG.md', `${CHART}/Chart.yaml`, `${CHART}/values.yaml`]);
  git(work, 'add', '-A');
  git(work, 'commit', '--quiet', '--allow-empty', '-m', 'Files under test');
  if (tagPrevious) git(work, 'tag', '-a', tagPrevious, '-m', 'previous release');
  writeFileSync(path.join(work, 'feature.txt'), 'one\n');
  git(work, 'add', 'feature.txt');
  git(work, 'commit', '--quiet', '-m', 'Add a gate summary to the attendance sheet');
  writeFileSync(path.join(work, 'feature.txt'), 'two\n');
  git(work, 'commit', '--quiet', '-am', 'Fix date:today padding');
  return { origin, work };
}

describe('release', () => {
  let tmp: string;
  let origin: string;
  let work: string;
  /** The newest release releases.json records (in the clone, as committed here). */
  let recorded: Recorded;
  const version = packageJson().version;
  const next = bumpMinor(version);

  before(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'barona-release-'));
    // No tag in the clone: the changelog section starts after the newest release in releases.json.
    ({ origin, work } = cloneForRelease(tmp, 'work'));
    recorded = releasesOf(work).releases[0]!;
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it(`bumps minor: package.json, lock, Chart.yaml agree on ${next}; CHANGELOG section; tag; nothing pushed`, () => {
    const originRefs = git(origin, 'show-ref');
    const r = tsx('scripts/release.ts', ['minor'], { RELEASE_ROOT: work });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /nothing was pushed/);

    const pkg = JSON.parse(readFileSync(path.join(work, 'package.json'), 'utf8'));
    const lock = JSON.parse(readFileSync(path.join(work, 'package-lock.json'), 'utf8'));
    const chart = parseYaml(readFileSync(path.join(work, CHART, 'Chart.yaml'), 'utf8'));
    assert.equal(pkg.version, next);
    assert.equal(lock.version, next);
    assert.equal(lock.packages[''].version, next);
    assert.equal(chart.version, next);
    assert.equal(String(chart.appVersion), next);
    // Everything else in the chart file (comments included) is untouched.
    const before = git(work, 'show', `v${next}^:${CHART}/Chart.yaml`).split('\n');
    const afterLines = readFileSync(path.join(work, CHART, 'Chart.yaml'), 'utf8')
      .trim()
      .split('\n');
    assert.deepEqual(
      afterLines.filter((l) => !/^(version|appVersion):/.test(l)),
      before.filter((l) => !/^(version|appVersion):/.test(l)),
    );

    const changelog = readFileSync(path.join(work, 'CHANGELOG.md'), 'utf8');
    const section = changelog.slice(changelog.indexOf(`## [${next}]`));
    assert.match(changelog, new RegExp(`^## \\[${next.replace(/\./g, '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm'));
    assert.ok(changelog.indexOf(`## [${next}]`) < changelog.indexOf(`## [${version}]`), 'newest first');
    const entries = section.slice(0, section.indexOf(`## [${version}]`));
    assert.match(entries, /- Add a gate summary to the attendance sheet \([0-9a-f]{7,}\)/);
    assert.match(entries, /- Fix date:today padding \([0-9a-f]{7,}\)/);
    assert.match(entries, /- Files under test \([0-9a-f]{7,}\)/, 'committed after the recorded release: listed');
    // Only the commits since the recorded release (no tag travelled), each once; none of the release's own.
    const since = git(work, 'log', '--no-merges', '--format=%H%x09%s', `${recorded.commit}..v${next}^`)
      .split('\n')
      .map((line) => line.split('\t') as [string, string])
      .filter(([, subject]) => !/^Release v\d/.test(subject));
    assert.equal(commitLines(entries).length, since.length, entries);
    for (const [sha, subject] of since) assert.ok(entries.includes(`- ${subject} (${sha.slice(0, 7)}`), `${subject} listed`);
    const beforeRelease = git(work, 'log', '-1', '--format=%s', `${recorded.commit}^`);
    assert.ok(!entries.includes(`- ${beforeRelease} (`), `${beforeRelease}: in release ${recorded.version}, not listed`);

    assert.equal(git(work, 'describe', '--tags', '--exact-match', 'HEAD'), `v${next}`);
    assert.equal(git(work, 'cat-file', '-t', `v${next}`), 'tag', 'annotated tag');
    assert.equal(git(work, 'log', '-1', '--format=%s'), `Release v${next}`);
    assert.equal(git(work, 'status', '--porcelain', '--untracked-files=no'), '', 'everything committed');
    assert.equal(git(origin, 'show-ref'), originRefs, 'origin unchanged: the release pushed nothing');

    const check = tsx('scripts/version-check.ts', ['--root', work, '--tag', `v${next}`]);
    assert.equal(check.code, 0, check.stderr);

    const notes = tsx('scripts/release.ts', ['notes', next], { RELEASE_ROOT: work });
    assert.equal(notes.code, 0, notes.stderr);
    assert.match(notes.stdout, /Fix date:today padding/);
  });

  it('refuses a dirty work tree and an existing tag', () => {
    writeFileSync(path.join(work, 'feature.txt'), 'dirty\n');
    const dirty = tsx('scripts/release.ts', ['patch'], { RELEASE_ROOT: work });
    assert.equal(dirty.code, 1);
    assert.match(dirty.stderr, /uncommitted changes/);
    git(work, 'checkout', '--', 'feature.txt');
    const again = tsx('scripts/release.ts', [next], { RELEASE_ROOT: work });
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`tag v${next} already exists`));
  });

  it(`record: releases.json gains ${next} first with its tag's commit, in one commit of its own, prettier style kept; nothing pushed`, () => {
    const originRefs = git(origin, 'show-ref');
    const head = git(work, 'rev-parse', 'HEAD');
    const tagged = git(work, 'rev-parse', `v${next}^{commit}`);
    const previous = releasesOf(work);

    writeFileSync(path.join(work, 'feature.txt'), 'dirty\n');
    const dirty = tsx('scripts/release.ts', ['record'], { RELEASE_ROOT: work });
    assert.equal(dirty.code, 1);
    assert.match(dirty.stderr, /uncommitted changes/);
    git(work, 'checkout', '--', 'feature.txt');

    const r = tsx('scripts/release.ts', ['record'], { RELEASE_ROOT: work });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, new RegExp(`releases\\.json now names ${next.replace(/\./g, '\\.')} \\(commit ${tagged.slice(0, 7)}\\)`));
    assert.deepStrictEqual(releasesOf(work), {
      ...previous,
      releases: [{ version: next, commit: tagged, date: git(work, 'log', '-1', '--format=%cs', tagged) }, ...previous.releases],
    });
    assert.equal(releasesOf(work).releases[1]!.commit, recorded.commit);

    assert.equal(git(work, 'rev-list', '--count', `${head}..HEAD`), '1', 'one commit');
    assert.equal(git(work, 'rev-parse', 'HEAD^'), head);
    assert.equal(git(work, 'diff', '--name-only', 'HEAD^', 'HEAD'), 'releases.json');
    assert.equal(git(work, 'log', '-1', '--format=%s'), `Record v${next} in releases.json (commit ${tagged.slice(0, 7)})`);
    assert.equal(git(work, 'status', '--porcelain', '--untracked-files=no'), '', 'everything committed');
    assert.equal(git(work, 'rev-parse', `v${next}^{commit}`), tagged, 'the tag stays where it was');
    assert.equal(git(origin, 'show-ref'), originRefs, 'origin unchanged: record pushed nothing');

    // The clone's own prettier configuration, with this checkout's prettier (a devDependency).
    const prettier = run(process.execPath, [path.join(ROOT, 'node_modules/prettier/bin/prettier.cjs'), '--check', 'releases.json'], {
      cwd: work,
    });
    assert.equal(prettier.code, 0, prettier.stdout + prettier.stderr);
    assert.match(prettier.stdout, /All matched files use Prettier code style/);

    const again = tsx('scripts/release.ts', ['record'], { RELEASE_ROOT: work });
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`releases\\.json already records ${next.replace(/\./g, '\\.')}`));
    const untagged = tsx('scripts/release.ts', ['record', '9.9.9'], { RELEASE_ROOT: work });
    assert.equal(untagged.code, 1);
    assert.match(untagged.stderr, /there is no tag v9\.9\.9/);
    assert.equal(git(work, 'rev-list', '--count', `${head}..HEAD`), '1', 'refusals commit nothing');
  });
});

describe('release, with the previous release tagged in the clone', () => {
  let tmp: string;
  let work: string;
  const version = packageJson().version;
  const next = bumpMinor(version);

  before(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'barona-release-tagged-'));
    // The tag (here on the files under test) wins over releases.json.
    ({ work } = cloneForRelease(tmp, 'work', `v${version}`));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('the CHANGELOG section lists only the commits since the last tag', () => {
    const r = tsx('scripts/release.ts', ['minor'], { RELEASE_ROOT: work });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const changelog = readFileSync(path.join(work, 'CHANGELOG.md'), 'utf8');
    const section = changelog.slice(changelog.indexOf(`## [${next}]`));
    const entries = section.slice(0, section.indexOf(`## [${version}]`));
    assert.match(entries, /- Add a gate summary to the attendance sheet \([0-9a-f]{7,}\)/);
    assert.match(entries, /- Fix date:today padding \([0-9a-f]{7,}\)/);
    assert.doesNotMatch(entries, /Files under test/, 'only commits since the last tag');
    assert.equal(commitLines(entries).length, 2, entries);
    assert.equal(git(work, 'describe', '--tags', '--exact-match', 'HEAD'), `v${next}`);
  });
});

describe('version-check', () => {
  it('passes on this repository', () => {
    const r = tsx('scripts/version-check.ts', []);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${packageJson().version} everywhere`));
  });

  it('fails, naming the file, on a copy where the chart, lock or image tag disagree', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'barona-versions-'));
    try {
      copyVersioned(dir, ['package.json', 'package-lock.json', `${CHART}/Chart.yaml`, `${CHART}/values.yaml`]);
      const chartFile = path.join(dir, CHART, 'Chart.yaml');
      writeFileSync(chartFile, readFileSync(chartFile, 'utf8').replace(/^appVersion:.*$/m, 'appVersion: "9.9.9"'));
      let r = tsx('scripts/version-check.ts', ['--root', dir]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /Chart\.yaml appVersion: 9\.9\.9/);

      copyVersioned(dir, [`${CHART}/Chart.yaml`]);
      const valuesFile = path.join(dir, CHART, 'values.yaml');
      writeFileSync(valuesFile, readFileSync(valuesFile, 'utf8').replace(/^(\s+tag:).*$/m, '$1 "0.0.1"'));
      const lockFile = path.join(dir, 'package-lock.json');
      const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
      lock.packages[''].version = '0.0.2';
      writeFileSync(lockFile, JSON.stringify(lock));
      r = tsx('scripts/version-check.ts', ['--root', dir, '--tag', 'v0.0.3']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /values\.yaml image\.tag: 0\.0\.1/);
      assert.match(r.stderr, /packages\[""\]\.version: 0\.0\.2/);
      assert.match(r.stderr, /release tag: v0\.0\.3/);
      assert.ok(existsSync(valuesFile));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
