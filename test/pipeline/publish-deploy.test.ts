// publish.sh and deploy.sh dry runs print exactly the commands a release of a given version runs.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, run } from './project.js';

// A copy of the scripts with package.json at a chosen version, in its own git repository so the
// commit tag is known.
const VERSION = '2.5.1';
let dir: string;
let sha: string;
const git = (...args: string[]) => run('git', args, { cwd: dir }).stdout.trim();
const inCopy = (script: string, args: string[], env: NodeJS.ProcessEnv) => {
  const clean = { ...process.env };
  for (const k of [
    'REGISTRY',
    'KUBE_CONTEXT',
    'NAMESPACE',
    'IMAGE_TAG',
    'CHART',
    'REGISTRY_USER',
    'REGISTRY_PASSWORD',
    'TAG_SET',
    'DRY_RUN',
  ]) {
    delete clean[k];
  }
  return run('bash', [script, ...args], { cwd: dir, env: { ...clean, CONTAINER_ENGINE: 'docker', ...env } });
};
// helm may be printed as a full path (.tools/bin/helm or one on PATH).
const commands = (stdout: string): string[] =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('+ '))
    .map((l) =>
      l
        .slice(2)
        .replace(/^\S*\/helm /, 'helm ')
        .replace(/^(<\$\w+ )\S*\/helm /, '$1helm '),
    );

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'barona-publish-'));
  cpSync(path.join(ROOT, 'scripts'), path.join(dir, 'scripts'), { recursive: true });
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ ...pkg, version: VERSION }, null, 2));
  const env = {
    GIT_AUTHOR_NAME: 't',
    GIT_AUTHOR_EMAIL: 't@example.invalid',
    GIT_COMMITTER_NAME: 't',
    GIT_COMMITTER_EMAIL: 't@example.invalid',
  };
  for (const args of [
    ['init', '--quiet'],
    ['add', '-A'],
    ['commit', '--quiet', '-m', 'fixture'],
  ]) {
    assert.equal(run('git', args, { cwd: dir, env }).code, 0);
  }
  sha = `sha-${git('rev-parse', '--short=7', 'HEAD')}`;
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('publish.sh --dry-run', () => {
  it('tags and pushes x.y.z, x.y, x and the commit tag, then pushes the chart, to a local registry', () => {
    const r = inCopy('scripts/publish.sh', ['--dry-run'], { REGISTRY: 'localhost:5000' });
    assert.equal(r.code, 0, r.stderr);
    const image = `localhost/barona:${VERSION}`;
    const expected = ['2.5.1', '2.5', '2', sha].flatMap((t) => [
      `docker tag ${image} localhost:5000/barona:${t}`,
      `docker push localhost:5000/barona:${t}`,
    ]);
    assert.deepEqual(commands(r.stdout), [
      ...expected,
      'bash scripts/chart-package.sh dist/chart',
      `helm push --plain-http dist/chart/barona-${VERSION}.tgz oci://localhost:5000/charts`,
    ]);
    assert.match(r.stdout, /dry run: nothing is pushed/);
  });

  it('logs in without printing the password; a main build publishes only the commit tag', () => {
    const r = inCopy('scripts/publish.sh', ['--dry-run', 'image'], {
      REGISTRY: 'ghcr.io/acme',
      REGISTRY_USER: 'bot',
      REGISTRY_PASSWORD: 'pa55-never-printed',
      TAG_SET: 'sha',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /pa55-never-printed/);
    assert.deepEqual(commands(r.stdout), [
      '<$REGISTRY_PASSWORD docker login --username bot --password-stdin ghcr.io',
      `docker tag localhost/barona:${VERSION} ghcr.io/acme/barona:${sha}`,
      `docker push ghcr.io/acme/barona:${sha}`,
    ]);
  });

  it('podman pushes to a plain-HTTP local registry without TLS verification', () => {
    const r = inCopy('scripts/publish.sh', ['--dry-run', 'image'], { REGISTRY: 'localhost:5000', CONTAINER_ENGINE: 'podman' });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(commands(r.stdout).includes(`podman push --tls-verify=false localhost:5000/barona:${VERSION}`));
  });

  it('refuses to run without REGISTRY', () => {
    const r = inCopy('scripts/publish.sh', ['--dry-run'], {});
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /set REGISTRY/);
  });
});

describe('deploy.sh --dry-run', () => {
  it('helm upgrade --install --atomic --wait with the released tag, context and namespace', () => {
    const r = inCopy('scripts/deploy.sh', ['--dry-run'], { REGISTRY: 'localhost:5000', KUBE_CONTEXT: 'kind-barona', NAMESPACE: 'events' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(commands(r.stdout), [
      `helm upgrade --install barona oci://localhost:5000/charts/barona --version ${VERSION} --plain-http ` +
        '--namespace events --create-namespace --kube-context kind-barona --atomic --wait --timeout 10m ' +
        `--set-string image.tag=${VERSION} --set-string image.registry=localhost:5000 --set-string image.repository=barona`,
    ]);
  });

  it('a build of main deploys the local chart with the commit tag, and pull policy and values files pass through', () => {
    const r = inCopy('scripts/deploy.sh', ['--dry-run'], {
      REGISTRY: 'ghcr.io/acme',
      IMAGE_TAG: 'commit',
      CHART: 'charts/barona',
      NAMESPACE: 'barona-staging',
      PULL_POLICY: 'Always',
      VALUES_FILES: 'staging.yaml',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(commands(r.stdout), [
      'helm upgrade --install barona charts/barona --namespace barona-staging --create-namespace --atomic --wait ' +
        `--timeout 10m --set-string image.tag=${sha} --set-string image.registry=ghcr.io --set-string image.repository=acme/barona ` +
        '--set-string image.pullPolicy=Always -f staging.yaml',
    ]);
  });
});

describe('deploy.sh values against the real chart', () => {
  it('helm renders the image deploy.sh points at: registry, repository, released tag and pull policy', () => {
    assert.equal(run('bash', ['scripts/install-helm.sh']).code, 0, 'helm installed from the project files');
    const dry = run('bash', ['scripts/deploy.sh', '--dry-run'], {
      env: { REGISTRY: 'localhost:5000', CHART: 'charts/barona', PULL_POLICY: 'IfNotPresent', NAMESPACE: 'events', IMAGE_TAG: '' },
    });
    assert.equal(dry.code, 0, dry.stderr);
    const line = commands(dry.stdout)[0] as string;
    // The same release, chart and values, rendered instead of installed.
    const words = line.split(' ');
    const values = words.flatMap((w, i) => (words[i - 1] === '--set-string' ? ['--set-string', w] : []));
    const version = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;
    const rendered = run(path.join(ROOT, '.tools/bin/helm'), ['template', 'barona', 'charts/barona', '--namespace', 'events', ...values]);
    assert.equal(rendered.code, 0, rendered.stderr);
    const images = [...rendered.stdout.matchAll(/image: "?(localhost:5000\/barona:[^"\s]+)"?\s+imagePullPolicy: (\w+)/g)];
    assert.ok(images.length > 0, 'the app containers use the local registry image');
    for (const [, image, policy] of images) {
      assert.equal(image, `localhost:5000/barona:${version}`);
      assert.equal(policy, 'IfNotPresent');
    }
  });
});
