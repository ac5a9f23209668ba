// The Dockerfile's promises that must hold for every build, checked without an engine (the podman
// test in image.test.ts builds and runs it).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../support/server.js';

const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));

/** Instructions grouped by stage (FROM ... AS name). */
const stages = new Map<string, string[]>();
let current = '';
for (const line of instructions) {
  const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
  if (from) {
    current = from[1] ?? `stage${stages.size}`;
    stages.set(current, []);
  } else if (current) {
    stages.get(current)!.push(line);
  }
}
const stageNames = [...stages.keys()];
const runtime = stages.get(stageNames.at(-1)!)!;

test('default base: the official Node 24 bookworm-slim image pinned to a release', () => {
  const base = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
  assert.match(base ?? '', /^node:24\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
  assert.ok(
    instructions
      .filter((line) => line.startsWith('FROM'))
      .every((line) => /^FROM \$\{NODE_IMAGE\}|^FROM (prod-deps|build-deps) /.test(line)),
  );
});

test('multi-stage: prod-deps, build-deps, build, runtime; the runtime stage installs nothing', () => {
  assert.deepEqual(stageNames, ['prod-deps', 'build-deps', 'build', 'runtime']);
  assert.ok(
    stages.get('prod-deps')!.some((line) => /^RUN .*npm ci --omit=dev/.test(line)),
    'production tree from the lock file',
  );
  assert.ok(!runtime.some((line) => /\bnpm\b/.test(line)), 'no npm in the runtime stage');
  const copies = runtime.filter((line) => line.startsWith('COPY'));
  assert.ok(
    copies.every((line) => /--from=(build|prod-deps) /.test(line)),
    'the runtime copies only from build stages',
  );
  assert.ok(
    copies.some((line) => /--from=prod-deps \/app\/node_modules /.test(line)),
    'node_modules from prod-deps',
  );
});

test('the build installs only the compiler and the type packages on top of the production tree', () => {
  // The compiler, Node's types, and the type package of every runtime dependency that ships its types
  // apart (@types/pg for pg, @types/qrcode for qrcode): without one, `tsc` fails in the image only.
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const typesOfDependencies = Object.keys(manifest.dependencies)
    .map((name) => `@types/${name.replace(/^@([^/]+)\//, '$1__')}`)
    .filter((types) => manifest.devDependencies[types] !== undefined);
  const tools = ['typescript', '@types/node', ...typesOfDependencies];
  const declared = /^ARG BUILD_TOOLS="([^"]*)"$/m.exec(stages.get('build-deps')!.join('\n'))?.[1]?.split(' ');
  assert.deepEqual(declared?.sort(), tools.sort());
  for (const tool of tools) assert.ok(manifest.devDependencies[tool], `${tool} is a devDependency`);
  for (const [name, lines] of stages) {
    for (const line of lines.filter((l) => l.startsWith('RUN') && /\bnpm (ci|install)\b/.test(l))) {
      // The whole development tree (linters, test tools, aws-cdk-lib…) is never installed.
      assert.match(line, /npm ci --omit=dev|npm install --ignore-scripts/, `stage ${name}: ${line}`);
      assert.doesNotMatch(line, /--include=dev/, `stage ${name}`);
    }
  }
});

test('npm steps: the proxy CA comes as a build secret, never a build argument, and npm fails loudly', () => {
  assert.doesNotMatch(dockerfile, /^ARG NODE_EXTRA_CA_CERTS/m, 'no build argument for the CA (it would land in the history)');
  for (const [name, lines] of stages) {
    for (const line of lines.filter((l) => l.startsWith('RUN') && /\bnpm (ci|install)\b/.test(l))) {
      assert.match(line, /--mount=type=secret,id=npm-ca\b/, `stage ${name}: CA secret mounted`);
      assert.match(line, /NODE_EXTRA_CA_CERTS=\/run\/secrets\/npm-ca/, `stage ${name}: npm trusts it`);
      assert.match(line, /npm ping .*\|\| \{.*exit 1; \}/, `stage ${name}: an unreachable registry stops the build`);
    }
  }
});

/** The shell command of a RUN instruction (its --mount options removed), as `/bin/sh -c` gets it. */
const shellOf = (run: string) => run.replace(/^RUN\s+/, '').replace(/^(--mount=\S+\s+)+/, '');

test('npm steps: an npm that cannot reach its registry stops the build with its own error, once, and the hint about the CA secret', () => {
  // A stand-in npm on PATH: `npm ping` fails as it does behind a TLS-intercepting proxy without its CA,
  // every call is logged. (Checked for real with podman on 2026-12-07: npm's error, then the hint. The
  // previous form, `|| { npm ping; echo …; }` under `set -e`, stopped at its second ping without the
  // hint, after 2 × 70 s of npm's default retries.)
  const dir = mkdtempSync(path.join(tmpdir(), 'barona-npm-ping-'));
  try {
    const calls = path.join(dir, 'calls');
    writeFileSync(
      path.join(dir, 'npm'),
      [
        '#!/bin/sh',
        `echo "$*" >> '${calls}'`,
        'case "$1" in',
        '  ping) [ -n "$PING_OK" ] && exit 0',
        '    echo "npm error code SELF_SIGNED_CERT_IN_CHAIN" >&2',
        '    echo "npm error request to https://registry.npmjs.org/-/ping failed, reason: self-signed certificate in certificate chain" >&2',
        '    exit 1 ;;',
        'esac',
        'exit 0',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    for (const [name, lines] of stages) {
      for (const line of lines.filter((l) => l.startsWith('RUN') && /\bnpm (ci|install)\b/.test(l))) {
        rmSync(calls, { force: true });
        const failed = spawnSync('sh', ['-c', shellOf(line)], { cwd: dir, encoding: 'utf8', env: { PATH: `${dir}:/usr/bin:/bin` } });
        assert.equal(failed.status, 1, `stage ${name}: the build stops`);
        assert.match(failed.stderr, /SELF_SIGNED_CERT_IN_CHAIN/, `stage ${name}: npm's own error is shown`);
        assert.match(failed.stderr, /--secret id=npm-ca,src=/, `stage ${name}: the hint names the build secret`);
        assert.match(failed.stderr, /NODE_EXTRA_CA_CERTS/, `stage ${name}: and the variable image-build.sh reads`);
        const called = readFileSync(calls, 'utf8').trim().split('\n');
        assert.equal(called.length, 1, `stage ${name}: one ping, nothing after it: ${called.join(' | ')}`);
        assert.match(
          called[0]!,
          /^ping .*--fetch-retries=1 /,
          `stage ${name}: a failing ping reports in seconds, not after 70 s of retries`,
        );
      }
    }
    const prodDeps = stages.get('prod-deps')!.find((l) => l.startsWith('RUN') && /\bnpm ci\b/.test(l))!;
    rmSync(calls, { force: true });
    const passed = spawnSync('sh', ['-c', shellOf(prodDeps)], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: `${dir}:/usr/bin:/bin`, PING_OK: '1' },
    });
    assert.equal(passed.status, 0, passed.stderr);
    assert.equal(passed.stderr, '', 'a reachable registry: no hint');
    const called = readFileSync(calls, 'utf8').trim().split('\n');
    assert.equal(called.length, 2);
    assert.match(called[0]!, /^ping /);
    assert.equal(called[1], 'ci --omit=dev --ignore-scripts --no-audit --no-fund');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runtime: numeric non-root user, entrypoint barona serve, port, volumes, healthcheck', () => {
  const user = runtime.find((line) => line.startsWith('USER'));
  assert.match(user ?? '', /^USER [1-9]\d*(:\d+)?$/);
  assert.ok(runtime.includes('ENTRYPOINT ["barona"]'));
  assert.ok(runtime.includes('CMD ["serve"]'));
  assert.ok(runtime.includes('EXPOSE 8000'));
  assert.ok(runtime.includes('VOLUME ["/data", "/tmp"]'));
  assert.ok(runtime.some((line) => /^HEALTHCHECK .*CMD \["barona", "healthcheck"\]$/.test(line)));
  for (const label of ['version', 'revision', 'source', 'licenses', 'created', 'title', 'description']) {
    assert.ok(
      runtime.some((line) => line.startsWith('LABEL') && line.includes(`org.opencontainers.image.${label}=`)),
      label,
    );
  }
});

test('.dockerignore is an allow-list that keeps secrets, git and node_modules out', () => {
  const ignore = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim());
  assert.equal(
    ignore.find((line) => line && !line.startsWith('#')),
    '*',
    'starts by excluding everything',
  );
  for (const allowed of ['!package.json', '!package-lock.json', '!src/', '!bin/', '!migrations/'])
    assert.ok(ignore.includes(allowed), allowed);
  assert.ok(!ignore.some((line) => /^!(node_modules|\.git|dist|\.env)/.test(line)));
});
