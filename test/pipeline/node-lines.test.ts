// The Node.js lines the project claims (package.json "engines") are true for every package in the
// lockfile, and each claimed line is one CI tests: .ci/run, the GitHub workflow and the Jenkinsfile run on
// the releases scripts/install-node.sh pins, and the image ships one of them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, run } from './project.js';

interface Semver {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string } | null;
  major(version: string): number;
}
const semver = createRequire(import.meta.url)('semver') as Semver;

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
const lock = JSON.parse(read('package-lock.json')) as {
  packages: Record<string, { version?: string; dev?: boolean; engines?: { node?: string } | string[] }>;
};
/** The exact releases install-node.sh pins, by major line. */
const pinned = new Map(
  [...read('scripts/install-node.sh').matchAll(/\[(\d+)\]=(\d+\.\d+\.\d+)/g)].map((m) => [Number(m[1]), m[2]!] as const),
);

describe('Node.js lines', () => {
  it('Node 20 (end of life) is not claimed; the oldest claimed release is 22.13 or later', () => {
    const oldest = semver.minVersion(engines)?.version;
    assert.ok(oldest, `engines ${engines}`);
    assert.ok(semver.major(oldest) >= 22, `oldest claimed ${oldest}`);
    assert.equal(semver.satisfies('20.20.2', engines), false);
  });

  it('every package in the lockfile accepts the oldest claimed release and every release CI tests', () => {
    const versions = [semver.minVersion(engines)!.version, ...pinned.values()];
    const problems: string[] = [];
    for (const [where, entry] of Object.entries(lock.packages)) {
      const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      if (!where || !range) continue;
      for (const version of versions) {
        if (!semver.satisfies(version, range)) {
          problems.push(`${where.replace(/^.*node_modules\//, '')}@${entry.version} wants node ${range}, not ${version}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it('install-node.sh pins a release of each line, each inside engines', () => {
    assert.deepEqual([...pinned.keys()].sort(), [22, 24]);
    for (const [major, version] of pinned) {
      assert.equal(semver.major(version), major);
      assert.ok(semver.satisfies(version, engines), `${version} outside engines ${engines}`);
    }
  });

  it('the image ships the pinned Node 24 release', () => {
    const image = /^ARG NODE_IMAGE=node:(\d+\.\d+\.\d+)-/m.exec(read('Dockerfile'))?.[1];
    assert.equal(image, pinned.get(24));
  });

  it('.ci/run, the GitHub workflow and the Jenkinsfile run the tests on each claimed line', () => {
    for (const file of ['.ci/run', 'Jenkinsfile']) {
      const text = read(file);
      for (const major of pinned.keys()) {
        assert.match(text, new RegExp(`scripts/node-line\\.sh ${major} npm test`), `${file} tests on Node ${major}`);
      }
    }
    const workflow = read('.github/workflows/ci.yml');
    assert.match(workflow, /node: \['22', '24'\]/);
    assert.match(workflow, /scripts\/node-line\.sh \$\{\{ matrix\.node \}\} npm test/);
  });

  it('node-line.sh runs a command on the pinned release of a line', { timeout: 180_000 }, () => {
    for (const [major, version] of pinned) {
      const r = run('bash', ['scripts/node-line.sh', String(major), 'node', '-p', 'process.version']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), `v${version}`);
    }
  });
});
