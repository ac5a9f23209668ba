// Contract between the chart and the service: the rendered migration hook Job's containers
// (wait-for-database, migrate), the app Deployment's initContainers (wait-for-database,
// migrate) and app container run as local processes with exactly their command, args and
// environment (ConfigMap and Secret references resolved from the rendered objects); only the
// database host/port are pointed at a real test PostgreSQL. The Job must migrate a fresh
// database and exit 0, the initContainer must then find nothing to do, every probe path must
// answer 200, the `helm test` script (with the bootstrap API token) must pass against it, and
// SIGTERM must end the app in time. Done for all three database modes.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { freePort } from '../support/ports.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../support/postgres-server.js';
import {
  containersOf,
  find,
  podSpecOf,
  render,
  resolveEnv,
  root,
  skipWithoutHelm,
  type ContainerSpec,
  type Env,
  type K8sObject,
} from './support.js';

const BIN = path.join(root, 'bin/barona.js');
const RELEASE = 'barona';

/** A directory holding pg_isready (the PostgreSQL image has it on PATH; here it may live under /usr/lib). */
function pgBinDir(): string | undefined {
  if (spawnSync('sh', ['-c', 'command -v pg_isready']).status === 0) return undefined;
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
  const dir = versions.map((v) => `/usr/lib/postgresql/${v}/bin`).find((d) => existsSync(path.join(d, 'pg_isready')));
  return dir;
}
const hasPgIsready = spawnSync('sh', ['-c', 'command -v pg_isready']).status === 0 || pgBinDir() !== undefined;

/** The process a container runs: its command, else the image's entrypoint `barona` (= node bin/barona.js). */
function processOf(container: ContainerSpec): [string, string[]] {
  if (container.command && container.command.length > 0) {
    const [cmd, ...rest] = container.command;
    return [cmd!, [...rest, ...(container.args ?? [])]];
  }
  return [process.execPath, [BIN, ...(container.args ?? ['serve'])]];
}

function baseEnv(home: string): Env {
  const dir = pgBinDir();
  return { PATH: dir ? `${dir}:${process.env.PATH ?? ''}` : (process.env.PATH ?? ''), HOME: home };
}

function runToExit(container: ContainerSpec, env: Env, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const [cmd, args] = processOf(container);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function status(url: string): Promise<number> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).status;
  } catch {
    return 0;
  }
}

async function waitFor(url: string, want: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  while (Date.now() < deadline) {
    last = await status(url);
    if (last === want) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  return last;
}

function secret(name: string, data: Env): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}

interface Case {
  name: string;
  valuesFile: string;
  /** --set pairs naming the test's database and role. */
  sets(db: string, role: string): string[];
  /** Secrets that the user (external) or the operator (cnpg) would have created. */
  outside(db: string, role: string, password: string, pgHost: string, pgPort: number): K8sObject[];
  /** The role's password: from a rendered Secret, or the one the test chose for `outside`. */
  passwordFrom: 'rendered' | 'outside';
}

const cases: Case[] = [
  {
    name: 'bundled (defaults)',
    valuesFile: 'ci/defaults-values.yaml',
    sets: (db, role) => [`database.name=${db}`, `database.user=${role}`],
    outside: () => [],
    passwordFrom: 'rendered',
  },
  {
    name: 'external + existingSecret',
    valuesFile: 'ci/external-values.yaml',
    sets: (db, role) => [`database.name=${db}`, `database.user=${role}`],
    outside: (_db, _role, password) => [
      secret('barona-db-credentials', { 'db-password': password }),
      secret('barona-admin', { password: randomBytes(12).toString('hex'), 'api-token': `brn_${randomBytes(32).toString('base64url')}` }),
    ],
    passwordFrom: 'outside',
  },
  {
    name: 'cnpg',
    valuesFile: 'ci/cnpg-values.yaml',
    sets: (db, role) => [`database.cnpg.database=${db}`, `database.cnpg.owner=${role}`],
    // CloudNativePG writes <cluster>-app with a uri to <cluster>-rw; only host and port differ here.
    outside: (db, role, password, host, port) => [
      secret(`${RELEASE}-db-app`, {
        username: role,
        password,
        uri: `postgresql://${role}:${encodeURIComponent(password)}@${host}:${port}/${db}`,
      }),
    ],
    passwordFrom: 'outside',
  },
];

describe('chart ↔ service contract', { skip: skipWithoutHelm, timeout: 600_000 }, () => {
  let throwaway: ThrowawayPostgres | undefined;
  let adminUrl: string;
  let pgHost: string;
  let pgPort: number;
  const home = mkdtempSync(path.join(tmpdir(), 'barona-contract-'));
  const running = new Set<ChildProcess>();

  before(async () => {
    if (!existsSync(path.join(root, 'dist/cli.js'))) {
      assert.equal(spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' }).status, 0, 'build');
    }
    if (process.env.TEST_DATABASE_URL) adminUrl = process.env.TEST_DATABASE_URL;
    else {
      throwaway = await startThrowawayPostgres();
      adminUrl = throwaway.url;
    }
    const u = new URL(adminUrl);
    pgHost = u.hostname;
    pgPort = Number(u.port || 5432);
  });

  after(async () => {
    for (const child of running) child.kill('SIGKILL');
    await throwaway?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  for (const c of cases) {
    it(`${c.name}: the migration Job migrates, the initContainer finds nothing to do, every probe answers 200, helm test passes with the token, SIGTERM exits 0`, async (t) => {
      const suffix = randomBytes(4).toString('hex');
      const db = `barona_contract_${suffix}`;
      const role = `barona_contract_${suffix}`;
      const appPort = await freePort();
      const metricsPort = await freePort();
      const outsidePassword = randomBytes(16).toString('base64url');
      const rendered = render({
        release: RELEASE,
        namespace: 'contract',
        valuesFiles: [path.join(root, c.valuesFile)],
        set: [...c.sets(db, role), `app.port=${appPort}`, `metrics.port=${metricsPort}`],
      });
      const objects = [...rendered, ...c.outside(db, role, outsidePassword, pgHost, pgPort)];

      // The role and database the chart's credentials must open.
      let password = outsidePassword;
      if (c.passwordFrom === 'rendered') {
        const dbSecret = find(rendered, 'Secret', `${RELEASE}-database`);
        password = Buffer.from((dbSecret.data as Env).password!, 'base64').toString('utf8');
      }
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD ${admin.escapeLiteral(password)}`);
      await admin.query(`CREATE DATABASE ${db} OWNER ${role}`);
      t.after(async () => {
        await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
        await admin.query(`DROP ROLE IF EXISTS ${role}`);
        await admin.end();
      });

      const deployment = find(rendered, 'Deployment');
      const { init, main } = containersOf(deployment);
      const app = main.find((x) => x.name === 'app');
      assert.ok(app);
      assert.deepEqual(
        init.map((x) => x.name),
        ['wait-for-database', 'migrate'],
      );

      // Only the database address changes: the test server instead of the in-cluster Service.
      const pointAtTestDatabase = (env: Env): Env => {
        const out = { ...env };
        if ('DATABASE_HOSTNAME' in out) out.DATABASE_HOSTNAME = pgHost;
        if ('DATABASE_PORT' in out) out.DATABASE_PORT = String(pgPort);
        if ('PGHOST' in out) out.PGHOST = pgHost;
        if ('PGPORT' in out) out.PGPORT = String(pgPort);
        return out;
      };
      const envOf = (container: ContainerSpec) => ({ ...baseEnv(home), ...pointAtTestDatabase(resolveEnv(container, objects)) });

      const appEnv = envOf(app);
      assert.equal(appEnv.PORT, String(appPort), 'PORT env matches app.port');
      const httpPort = app.ports?.find((p) => p.name === 'http')?.containerPort;
      assert.equal(httpPort, appPort, 'containerPort "http" is the port the app listens on');
      assert.equal(appEnv.MIGRATE_ON_START, 'false');
      if (c.name === 'cnpg') assert.ok(appEnv.DATABASE_URL && !appEnv.DATABASE_HOSTNAME);
      else assert.ok(appEnv.DATABASE_HOSTNAME && appEnv.DATABASE_PASSWORD === password && !appEnv.DATABASE_URL);
      const base = `http://127.0.0.1:${appPort}`;
      const probePath = (probe: ContainerSpec['readinessProbe']) => {
        assert.ok(probe?.httpGet, 'an HTTP probe');
        assert.equal(probe.httpGet.port, 'http');
        return probe.httpGet.path;
      };

      const startApp = () => {
        const [cmd, args] = processOf(app);
        const child = spawn(cmd, args, { cwd: root, env: appEnv, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout!.on('data', (x) => (output += x));
        child.stderr!.on('data', (x) => (output += x));
        running.add(child);
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => (running.delete(child), resolve(code))));
        return { child, exited, output: () => output };
      };

      if (c.name.startsWith('bundled')) {
        // Why the migration runs first: with the schema behind, the app is alive but not ready.
        const early = startApp();
        assert.equal(await waitFor(base + probePath(app.startupProbe), 200, 30_000), 200, early.output());
        assert.equal(await status(base + probePath(app.readinessProbe)), 503, 'not ready before the migration');
        early.child.kill('SIGKILL');
        await early.exited;
      }

      // The migration hook Job first (before an upgrade that brings migrations; before install
      // with an external database): its init and main containers in order, each to a zero
      // exit, and the schema goes from empty to current.
      const job = rendered.find((o) => o.kind === 'Job');
      assert.ok(job, 'a migration Job is rendered');
      const jobContainers = containersOf(job);
      assert.deepEqual(
        [...jobContainers.init, ...jobContainers.main].map((x) => x.name),
        ['wait-for-database', 'migrate'],
      );
      const outputs = new Map<string, string>();
      const runInOrder = async (containers: ContainerSpec[], what: string) => {
        for (const container of containers) {
          if (container.name === 'wait-for-database' && !hasPgIsready) {
            t.diagnostic(`pg_isready not installed here: ${what} wait-for-database not run`);
            continue;
          }
          const result = await runToExit(container, envOf(container), 60_000);
          assert.equal(result.code, 0, `${what} ${container.name} exited ${result.code}:\n${result.output}`);
          outputs.set(`${what}/${container.name}`, result.output);
        }
      };
      await runInOrder([...jobContainers.init, ...jobContainers.main], 'Job');
      assert.match(outputs.get('Job/migrate') ?? '', /\d+ migration\(s\) applied/);

      // Then the app pod's initContainers in order, each to a zero exit: nothing left to migrate.
      await runInOrder(init, 'initContainer');
      assert.match(outputs.get('initContainer/migrate') ?? '', /schema is up to date/);
      // Two more concurrent runs: pods starting together find nothing left to do, and do not fail.
      const migrate = init.find((x) => x.name === 'migrate')!;
      const again = await Promise.all([runToExit(migrate, envOf(migrate), 60_000), runToExit(migrate, envOf(migrate), 60_000)]);
      assert.deepEqual(
        again.map((r) => r.code),
        [0, 0],
        again.map((r) => r.output).join('\n'),
      );

      const server = startApp();
      const startup = app.startupProbe!;
      const budget =
        ((startup as { periodSeconds?: number }).periodSeconds ?? 10) *
        ((startup as { failureThreshold?: number }).failureThreshold ?? 3) *
        1000;
      assert.equal(await waitFor(base + probePath(app.startupProbe), 200, budget), 200, `startup probe:\n${server.output()}`);
      assert.equal(await waitFor(base + probePath(app.readinessProbe), 200, 30_000), 200, `readiness probe:\n${server.output()}`);
      assert.equal(await status(base + probePath(app.livenessProbe)), 200, 'liveness probe');

      // /metrics on its own port (container port "metrics"), not on the port the Service exposes.
      assert.equal(appEnv.METRICS_PORT, String(metricsPort));
      assert.equal(app.ports?.find((p) => p.name === 'metrics')?.containerPort, metricsPort);
      assert.equal(await status(`http://127.0.0.1:${metricsPort}/metrics`), 200, 'GET /metrics on the metrics port');
      assert.notEqual(await status(`${base}/metrics`), 200, 'no /metrics on the http port');
      const service = find(rendered, 'Service', RELEASE);
      assert.deepEqual(
        (service.spec as { ports: { targetPort: string }[] }).ports.map((p) => p.targetPort),
        ['http'],
        'the Service exposes the http port only',
      );

      // The `helm test` pod's script, with its rendered env, against the app.
      const testPod = rendered.find((o) => o.kind === 'Pod' && o.metadata.annotations?.['helm.sh/hook'] === 'test');
      assert.ok(testPod);
      const testContainer = containersOf(testPod).main[0]!;
      const scriptMap = find(rendered, 'ConfigMap', `${RELEASE}-smoke-test`);
      const scriptDir = mkdtempSync(path.join(home, 'smoke-'));
      for (const [file, text] of Object.entries(scriptMap.data as Env)) writeFileSync(path.join(scriptDir, file), text);
      const testEnv = resolveEnv(testContainer, objects);
      // The token the app registers is the one the test pod sends.
      assert.match(appEnv.BOOTSTRAP_API_TOKEN ?? '', /^brn_[A-Za-z0-9_-]{43,64}$/);
      assert.equal(testEnv.BARONA_API_TOKEN, appEnv.BOOTSTRAP_API_TOKEN);
      const serviceUrl = new URL(testEnv.BARONA_URL!);
      assert.equal(serviceUrl.hostname, RELEASE, 'the test pod calls the Service');
      testEnv.BARONA_URL = base; // only the address changes
      const command = (testContainer.command ?? []).map((arg) => arg.replace('/smoke-test', scriptDir));
      assert.equal(command[0], 'node');
      const smoke = spawnSync(process.execPath, command.slice(1), {
        env: { ...baseEnv(home), ...testEnv },
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(smoke.status, 0, `helm test script:\n${smoke.stdout}${smoke.stderr}`);
      assert.match(smoke.stdout, /ok +entry \d+ is in today's sheet/);

      // SIGTERM: drains, then exits 0 within the pod's grace period.
      const grace = (podSpecOf(deployment) as { terminationGracePeriodSeconds: number }).terminationGracePeriodSeconds;
      const stoppedAt = Date.now();
      server.child.kill('SIGTERM');
      const code = await Promise.race([server.exited, new Promise<'late'>((r) => setTimeout(() => r('late'), grace * 1000))]);
      assert.equal(code, 0, `exit after SIGTERM (${Date.now() - stoppedAt} ms, grace ${grace} s):\n${server.output()}`);
    });
  }
});
