// scripts/image-tags.sh, the one place release tags come from (the pipeline calls it too).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ROOT } from '../support/server.js';

function tags(root: string, args: string[] = [], env: Record<string, string> = {}) {
  const result = spawnSync('bash', [path.join(root, 'scripts/image-tags.sh'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { code: result.status, lines: result.stdout.split('\n').filter(Boolean), stderr: result.stderr };
}

const scratch = mkdtempSync(path.join(os.tmpdir(), 'barona-tags-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of the script beside a package.json with the given version (no git checkout). */
function projectWithVersion(version: string): string {
  const root = mkdtempSync(path.join(scratch, 'p-'));
  mkdirSync(path.join(root, 'scripts'));
  copyFileSync(path.join(ROOT, 'scripts/image-tags.sh'), path.join(root, 'scripts/image-tags.sh'));
  writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'barona', version }));
  return root;
}

test('tags of this checkout: x.y.z, x.y, x and the short git sha', () => {
  const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const [major, minor] = version.split('.');
  const sha = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  const result = tags(ROOT, [], { GIT_SHA: '' });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.lines, [version, `${major}.${minor}`, `${major}`, `sha-${sha.slice(0, 7)}`]);
});

test('GIT_SHA from the pipeline wins; --refs prefixes a repository (registry ports included)', () => {
  const root = projectWithVersion('2.3.4');
  const sha = 'abcdef0123456789abcdef0123456789abcdef01';
  assert.deepEqual(tags(root, [], { GIT_SHA: sha }).lines, ['2.3.4', '2.3', '2', 'sha-abcdef0']);
  assert.deepEqual(tags(root, ['--refs', 'registry.example:5000/team/barona'], { GIT_SHA: sha }).lines, [
    'registry.example:5000/team/barona:2.3.4',
    'registry.example:5000/team/barona:2.3',
    'registry.example:5000/team/barona:2',
    'registry.example:5000/team/barona:sha-abcdef0',
  ]);
});

test('a pre-release gets no moving x.y / x tags; build metadata is dropped', () => {
  const sha = '0123456789abcdef0123456789abcdef01234567';
  assert.deepEqual(tags(projectWithVersion('1.0.0-rc.2'), [], { GIT_SHA: sha }).lines, ['1.0.0-rc.2', 'sha-0123456']);
  assert.deepEqual(tags(projectWithVersion('1.0.1+build.7'), [], { GIT_SHA: sha }).lines, ['1.0.1', '1.0', '1', 'sha-0123456']);
});

test('outside a git checkout without GIT_SHA: version tags only, with a warning', () => {
  const result = tags(projectWithVersion('0.4.0'), [], {
    GIT_SHA: '',
    GIT_CEILING_DIRECTORIES: scratch,
    GIT_DIR: path.join(scratch, 'none'),
  });
  assert.equal(result.code, 0);
  assert.deepEqual(result.lines, ['0.4.0', '0.4', '0']);
  assert.match(result.stderr, /no sha tag/);
});

test('a version that is not x.y.z is refused', () => {
  const result = tags(projectWithVersion('1.2'), [], { GIT_SHA: 'abc1234' });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /not semantic/);
});
