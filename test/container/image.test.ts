// The real Dockerfile built and run with Podman: metadata, production-only contents, size budget,
// `migrate` in a container against PostgreSQL, the service container under the smoke script, non-root,
// read-only root filesystem, SIGTERM → exit 0, and nothing left behind.
//
// The base is the local stand-in for the official Node image (scripts/make-node-base.sh); it is cached
// and kept between runs on purpose (about a minute to make). Everything else this file creates (the
// image, its containers and their anonymous volumes, the database) is removed at the end.
// Without podman the file is skipped with a message; with CI=true a missing podman is a failure.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../support/ports.js';
import { ROOT } from '../support/server.js';

// Budget (bytes of the uncompressed image, as `podman image inspect` reports them; MiB below). The app layers are what
// this project controls (production node_modules, dist, migrations); the total depends on the base.
const APP_LAYERS_BUDGET = 80 * 1024 * 1024;
const TOTAL_BUDGET = 350 * 1024 * 1024;
const SIGTERM_BUDGET_MS = 5_000;

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  license: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

let containerEnv: NodeJS.ProcessEnv = process.env;

function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: options.env ?? containerEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')}: no exit within ${options.timeoutMs} ms\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  const result = await run(command, args, options);
  assert.equal(result.code, 0, `${command} ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

const podman = (...args: string[]) => ok('podman', args);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

const hasPodman = spawnSync('sh', ['-c', 'command -v podman'], { stdio: 'ignore' }).status === 0;
const isRoot = process.getuid?.() === 0;
const inCi = process.env.CI === 'true';
const skipReason = !hasPodman
  ? 'podman is not installed: skipping the container image test (bash scripts/install-podman.sh installs it; CI requires it)'
  : !isRoot
    ? 'not root: skipping the container image test (the stand-in base needs debootstrap and rootful podman; CI runs it as root)'
    : false;

if (!hasPodman && inCi) {
  test('container image (podman)', () => {
    assert.fail('podman is not installed but CI=true: .ci/run must install it (bash scripts/install-podman.sh)');
  });
} else {
  describe('container image (podman)', { skip: inCi ? false : skipReason }, containerImageTests);
}

function containerImageTests() {
  const suffix = `${process.pid}-${randomBytes(3).toString('hex')}`;
  // TEST_IMAGE_NAME: another repository name, e.g. per branch when several checkouts share one podman.
  const imageName = process.env.TEST_IMAGE_NAME ?? 'localhost/barona-test';
  const image = `${imageName}:${suffix}`;
  const containers: string[] = [];
  let baseImage = '';
  let imagesBefore = new Set<string>();
  let database: TestDatabase | undefined;

  async function startContainer(name: string, args: string[]): Promise<string> {
    containers.push(name);
    // --health-interval=disable: no systemd here for podman's timers; `podman healthcheck run` still works.
    await podman('run', '-d', '--name', name, '--health-interval=disable', ...args);
    return name;
  }

  async function smoke(url: string, name: string, apiToken?: string) {
    const result = await run('bash', [path.join(ROOT, 'scripts/image-smoke.sh'), url], {
      env: { ...process.env, SMOKE_WAIT_SECONDS: '90', ...(apiToken ? { API_TOKEN: apiToken } : {}) },
      timeoutMs: 150_000,
    });
    const logs = result.code === 0 ? '' : (await run('podman', ['logs', '--tail', '40', name])).stdout;
    assert.equal(result.code, 0, `smoke test failed:\n${result.stdout}\n${result.stderr}\ncontainer log:\n${logs}`);
    return result.stdout;
  }

  /**
   * SIGTERM to PID 1, then the exit code and the time from the signal to the process's exit as the
   * runtime recorded it (State.FinishedAt), which leaves out the podman CLI's own latency on a busy host.
   */
  async function terminate(name: string): Promise<{ code: number; ms: number }> {
    const signalled = Date.now();
    await podman('kill', '--signal', 'TERM', name);
    const code = Number((await ok('podman', ['wait', name], { timeoutMs: 30_000 })).trim());
    const finishedAt = Date.parse(
      (await podman('container', 'inspect', '--format', '{{.State.FinishedAt}}', name)).trim().replace(/ [A-Z]+$/, ''),
    );
    assert.ok(!Number.isNaN(finishedAt), 'container has a finish time');
    return { code, ms: finishedAt - signalled };
  }

  async function pid1Uid(name: string): Promise<string> {
    const status = await podman('exec', name, 'cat', '/proc/1/status');
    return /^Uid:\s+(\d+)/m.exec(status)?.[1] ?? '';
  }

  async function removeEverything() {
    for (const name of containers) await run('podman', ['rm', '--force', '--volumes', '--time', '0', name]);
    await run('podman', ['rmi', '--force', image]);
    await database?.drop().catch(() => {});
    database = undefined;
  }

  before(
    async () => {
      const setup = await ok('bash', [path.join(ROOT, 'scripts/install-podman.sh')], { env: process.env, timeoutMs: 300_000 });
      const conf = /CONTAINERS_CONF=(\S+)/.exec(setup)?.[1];
      assert.ok(conf, `install-podman.sh printed no CONTAINERS_CONF: ${setup}`);
      containerEnv = { ...process.env, CONTAINERS_CONF: conf };

      baseImage = (await ok('bash', [path.join(ROOT, 'scripts/make-node-base.sh')], { timeoutMs: 600_000 })).trim();
      imagesBefore = new Set((await podman('images', '--all', '--quiet', '--no-trunc')).split('\n').filter(Boolean));

      const started = Date.now();
      const built = await ok('bash', [path.join(ROOT, 'scripts/image-build.sh'), '--layers=false', '--force-rm'], {
        env: { ...containerEnv, NODE_IMAGE: baseImage, IMAGE_NAME: imageName, IMAGE_TAGS: suffix },
        timeoutMs: 600_000,
      });
      assert.equal(built.trim(), image);
      console.log(`# image built on ${baseImage} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    },
    { timeout: 1_200_000 },
  );

  after(removeEverything, { timeout: 120_000 });

  test('image metadata: entrypoint, user, port, volumes, healthcheck, OCI labels', async () => {
    const [info] = JSON.parse(await podman('image', 'inspect', image)) as [
      {
        Config: Record<string, unknown> & { Labels: Record<string, string>; Env: string[] };
        Healthcheck?: { Test?: string[]; Interval?: number };
        ManifestType: string;
      },
    ];
    const config = info.Config;
    assert.deepEqual(config.Entrypoint, ['barona']);
    assert.deepEqual(config.Cmd, ['serve']);
    assert.match(String(config.User), /^[1-9]\d*(:\d+)?$/, 'numeric non-root user');
    assert.ok('8000/tcp' in (config.ExposedPorts as object));
    assert.deepEqual(Object.keys(config.Volumes as object).sort(), ['/data', '/tmp']);
    assert.ok(config.Env.includes('DATA_DIR=/data'));
    assert.ok(!config.Env.some((entry) => entry.startsWith('NODE_EXTRA_CA_CERTS')), 'build CA setting stays out of the runtime');
    // HEALTHCHECK exists only in the Docker image format; the OCI format would drop it silently.
    assert.match(info.ManifestType, /docker/);
    assert.deepEqual(info.Healthcheck?.Test, ['CMD', 'barona', 'healthcheck']);
    assert.equal(config.StopSignal, 'SIGTERM');

    const labels = config.Labels;
    const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
    assert.equal(labels['org.opencontainers.image.version'], pkg.version);
    assert.equal(labels['org.opencontainers.image.revision'], head);
    assert.equal(labels['org.opencontainers.image.licenses'], pkg.license);
    assert.equal(labels['org.opencontainers.image.title'], 'barona');
    assert.ok(labels['org.opencontainers.image.description']);
    assert.ok('org.opencontainers.image.source' in labels);
    const created = Date.parse(labels['org.opencontainers.image.created'] ?? '');
    assert.ok(Math.abs(Date.now() - created) < 3_600_000, `created label is now: ${labels['org.opencontainers.image.created']}`);

    const history = await podman('history', '--no-trunc', '--format', '{{.CreatedBy}}', image);
    assert.doesNotMatch(history, /build-ca\.pem|NODE_EXTRA_CA_CERTS|BEGIN CERTIFICATE/, 'the runtime stage never saw the build CA');
  });

  test('production dependencies and compiled code only', async () => {
    const listing = await podman(
      'run',
      '--rm',
      '--read-only',
      '--entrypoint',
      'node',
      image,
      '-e',
      `const fs = require('node:fs');
       const modules = fs.readdirSync('/app/node_modules').flatMap((n) => n.startsWith('@') ? fs.readdirSync('/app/node_modules/' + n).map((m) => n + '/' + m) : [n]);
       console.log(JSON.stringify({ app: fs.readdirSync('/app').sort(), modules }));`,
    );
    const { app, modules } = JSON.parse(listing) as { app: string[]; modules: string[] };
    for (const wanted of ['bin', 'dist', 'migrations', 'node_modules', 'package.json']) assert.ok(app.includes(wanted), `/app/${wanted}`);
    for (const unwanted of ['src', 'test', 'scripts', '.git', 'tsconfig.json', 'charts', 'Dockerfile']) {
      assert.ok(!app.includes(unwanted), `/app/${unwanted} must not be in the image`);
    }
    for (const dependency of Object.keys(pkg.dependencies)) assert.ok(modules.includes(dependency), `dependency ${dependency}`);
    // Dev-only per the lockfile: a devDependency that a production package also needs (yaml, through
    // @fastify/swagger) legitimately ships.
    const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const devOnly = Object.entries(lock.packages)
      .filter(([key, entry]) => entry.dev === true && /^node_modules\/(@[^/]+\/)?[^/]+$/.test(key))
      .map(([key]) => key.slice('node_modules/'.length));
    assert.ok(devOnly.includes('typescript'), 'the lockfile marks dev-only packages');
    for (const dev of devOnly) assert.ok(!modules.includes(dev), `dev-only package ${dev} must not be in the image`);
    assert.ok(!app.some((name) => name.endsWith('.tsbuildinfo')));

    const version = await podman('run', '--rm', '--read-only', image, '--version');
    assert.match(version, new RegExp(pkg.version.replaceAll('.', '\\.')));
  });

  test(`image size within budget (app layers ≤ ${mb(APP_LAYERS_BUDGET)}, total ≤ ${mb(TOTAL_BUDGET)})`, async (t) => {
    const size = Number((await podman('image', 'inspect', '--format', '{{.Size}}', image)).trim());
    const baseSize = Number((await podman('image', 'inspect', '--format', '{{.Size}}', baseImage)).trim());
    const appLayers = size - baseSize;
    const line = `image ${mb(size)} = base ${mb(baseSize)} + app layers ${mb(appLayers)}`;
    t.diagnostic(line);
    console.log(`# ${line}`);
    assert.ok(appLayers <= APP_LAYERS_BUDGET, `app layers ${mb(appLayers)} over budget`);
    assert.ok(size <= TOTAL_BUDGET, `image ${mb(size)} over budget`);
  });

  test(
    '`migrate` in a container, then the service container on PostgreSQL: smoke, non-root, read-only, SIGTERM',
    { timeout: 300_000 },
    async (t) => {
      database = await createTestDatabase({ migrated: false });
      const databaseEnv = ['--env', `DATABASE_URL=${database.url}`];

      // Host networking: the CI PostgreSQL listens on 127.0.0.1 only.
      const migrate = await run('podman', ['run', '--rm', '--network', 'host', '--read-only', ...databaseEnv, image, 'migrate']);
      assert.equal(migrate.code, 0, `${migrate.stdout}\n${migrate.stderr}`);
      const tables = await database.query<{ name: string }>(`SELECT to_regclass('checkins')::text AS name`);
      assert.equal(tables[0]?.name, 'checkins', 'migrate created the schema');
      const status = await run('podman', ['run', '--rm', '--network', 'host', '--read-only', ...databaseEnv, image, 'migrate', '--status']);
      assert.equal(status.code, 0, status.stderr);

      const port = await freePort();
      const name = await startContainer(`barona-test-pg-${suffix}`, [
        '--network',
        'host',
        '--read-only',
        ...databaseEnv,
        '--env',
        `PORT=${port}`,
        '--env',
        'HOST=127.0.0.1',
        image,
      ]);
      t.diagnostic((await smoke(`http://127.0.0.1:${port}`, name)).trim().split('\n').at(-1)!);

      const rows = await database.query<{ count: string }>(`SELECT count(*)::text AS count FROM checkins WHERE lastname = 'Container'`);
      assert.equal(rows[0]?.count, '1', 'the check-in went to PostgreSQL');

      assert.equal(await pid1Uid(name), '1000', 'PID 1 runs as uid 1000');
      const write = await run('podman', ['exec', name, 'touch', '/app/written']);
      assert.notEqual(write.code, 0, 'the root filesystem is read-only');
      assert.match(write.stderr, /Read-only file system/);
      const health = await run('podman', ['healthcheck', 'run', name]);
      assert.equal(health.code, 0, `HEALTHCHECK (barona healthcheck): ${health.stdout}${health.stderr}`);

      const stopped = await terminate(name);
      t.diagnostic(`SIGTERM → exit ${stopped.code} in ${stopped.ms} ms`);
      console.log(`# PostgreSQL container: SIGTERM → exit ${stopped.code} in ${stopped.ms} ms`);
      assert.equal(stopped.code, 0);
      assert.ok(stopped.ms < SIGTERM_BUDGET_MS, `stopped in ${stopped.ms} ms`);
      await database.drop();
      database = undefined;
    },
  );

  test(
    '`podman run IMAGE` with no database: embedded, data in the /data volume, port 8000 published, read-only',
    { timeout: 300_000 },
    async (t) => {
      const port = await freePort();
      // The image listens on 0.0.0.0, so AUTH_MODE defaults to token: the smoke test presents a bootstrap token.
      const token = `brn_${randomBytes(32).toString('base64url')}`;
      const name = await startContainer(`barona-test-embedded-${suffix}`, [
        '--read-only',
        '--publish',
        `127.0.0.1:${port}:8000`,
        '--env',
        `BOOTSTRAP_API_TOKEN=${token}`,
        image,
      ]);
      const refused = await fetch(`http://127.0.0.1:${port}/table/view/date:today`).catch(() => undefined);
      if (refused) assert.equal(refused.status, 401, 'without the token the sheet is refused');
      t.diagnostic((await smoke(`http://127.0.0.1:${port}`, name, token)).trim().split('\n').at(-1)!);

      assert.equal(await pid1Uid(name), '1000');
      const files = await podman('exec', name, 'ls', '-A', '/data');
      assert.ok(files.trim().length > 0, 'the embedded database wrote into /data');

      const stopped = await terminate(name);
      console.log(`# embedded container: SIGTERM → exit ${stopped.code} in ${stopped.ms} ms`);
      assert.equal(stopped.code, 0);
      assert.ok(stopped.ms < SIGTERM_BUDGET_MS, `stopped in ${stopped.ms} ms`);
    },
  );

  test('cleanup removes every container, volume and image it made (the stand-in base stays cached)', async () => {
    const volumes: string[] = [];
    for (const name of containers) {
      const mounts = JSON.parse(await podman('container', 'inspect', '--format', '{{json .Mounts}}', name)) as { Name?: string }[];
      volumes.push(...mounts.map((mount) => mount.Name ?? '').filter(Boolean));
    }
    assert.ok(volumes.length >= 2, 'containers had their anonymous /data and /tmp volumes');
    await removeEverything();

    for (const name of containers) assert.notEqual((await run('podman', ['container', 'exists', name])).code, 0, `container ${name} left`);
    for (const volume of volumes) assert.notEqual((await run('podman', ['volume', 'exists', volume])).code, 0, `volume ${volume} left`);
    assert.notEqual((await run('podman', ['image', 'exists', image])).code, 0, `image ${image} left`);
    const dangling = (await podman('images', '--all', '--quiet', '--no-trunc', '--filter', 'dangling=true'))
      .split('\n')
      .filter((id) => id && !imagesBefore.has(id));
    assert.deepEqual(dangling, [], 'no intermediate images left by the build');
    assert.equal((await run('podman', ['image', 'exists', baseImage])).code, 0, 'the stand-in base stays cached');
  });
}
