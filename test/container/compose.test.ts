// compose.yaml checked structurally (no Docker engine runs here, and the postgres image cannot be pulled):
// PostgreSQL with a healthcheck and a named volume, a one-shot migration, the app after both, and the
// environment wired the way the service reads it (docs/CONTAINER.md shows `docker compose up`).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { ROOT } from '../support/server.js';

interface Service {
  image?: string;
  build?: { context?: string; args?: Record<string, string> } | string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test?: string[] | string; interval?: string; retries?: number };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  read_only?: boolean;
}

const composeText = readFileSync(path.join(ROOT, 'compose.yaml'), 'utf8');
const compose = parse(composeText, { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const { postgres, migrate, app } = compose.services as Record<'postgres' | 'migrate' | 'app', Service>;

/** Compose's `${NAME:-default}` interpolation with an empty environment (what `docker compose up` uses bare). */
function interpolate(value: string, env: Record<string, string> = {}): string {
  return value.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_, name: string, fallback = '') => env[name] || fallback);
}

// Every variable the service reads (the service contract); anything else in the app's environment is a typo.
const contractVariables = new Set([
  'DATABASE_URL',
  'DATABASE_HOSTNAME',
  'DATABASE_PORT',
  'DATABASE_NAME',
  'DATABASE_USER',
  'DATABASE_PASSWORD',
  'DATABASE_PASSWORD_FILE',
  'DATABASE_POOL_MAX',
  'DATA_DIR',
  'PORT',
  'HOST',
  'APP_TIMEZONE',
  'LOG_LEVEL',
  'MIGRATE_ON_START',
  'SHUTDOWN_DRAIN_SECONDS',
  'SHUTDOWN_TIMEOUT_SECONDS',
  'AUTH_MODE',
  'ADMIN_PASSWORD',
  'ADMIN_PASSWORD_FILE',
  'METRICS_PORT',
  'BOOTSTRAP_API_TOKEN',
  'BOOTSTRAP_API_TOKEN_FILE',
]);

test('exactly the three services: postgres, migrate, app', () => {
  assert.deepEqual(Object.keys(compose.services).sort(), ['app', 'migrate', 'postgres']);
});

test('postgres: official image pinned to a major version, named volume, pg_isready healthcheck', () => {
  assert.match(postgres.image ?? '', /^postgres:\d+/, 'the official postgres image with a version tag');
  const [volume, target] = (postgres.volumes?.[0] ?? '').split(':');
  assert.equal(target, '/var/lib/postgresql/data');
  assert.ok(volume && compose.volumes && volume in compose.volumes, `named volume "${volume}" declared at the top level`);
  const check = [postgres.healthcheck?.test ?? []].flat().join(' ');
  assert.match(check, /pg_isready/);
  assert.ok(postgres.healthcheck?.interval);
});

test('migrate: the app image, command ["migrate"], one-shot, after postgres is healthy', () => {
  assert.deepEqual(migrate.command, ['migrate']);
  assert.equal(migrate.restart, 'no');
  assert.equal(migrate.image, app.image, 'same image as the app');
  assert.deepEqual(migrate.depends_on, { postgres: { condition: 'service_healthy' } });
});

test('app: serves on 8000 only after postgres is healthy and migrate completed', () => {
  assert.deepEqual(app.depends_on, {
    postgres: { condition: 'service_healthy' },
    migrate: { condition: 'service_completed_successfully' },
  });
  assert.ok(app.command === undefined || app.command.join(' ') === 'serve');
  assert.ok(
    app.ports?.some((port) => interpolate(port) === '8000:8000'),
    'http://localhost:8000 by default',
  );
  assert.equal(interpolate(app.environment?.PORT ?? '8000'), '8000');
  assert.equal(app.read_only, true, 'read-only root filesystem, as in production');
});

test("metrics as in the Helm chart: on METRICS_PORT (the chart's metrics.port default), never published", () => {
  // Without METRICS_PORT the app serves /metrics beside the API, with no credentials, on the published port.
  const chartDefault = /^metrics:\n(?:\s+#.*\n)*\s+port: (\d+)$/m.exec(
    readFileSync(path.join(ROOT, 'charts/barona/values.yaml'), 'utf8'),
  )?.[1];
  const metricsPort = interpolate(app.environment?.METRICS_PORT ?? '');
  assert.equal(metricsPort, chartDefault, 'METRICS_PORT set, to the chart default');
  assert.notEqual(metricsPort, interpolate(app.environment?.PORT ?? '8000'), 'not the app port');
  const published = (app.ports ?? []).map((port) => interpolate(port).split(':').at(-1)!.split('/')[0]);
  assert.deepEqual(published, ['8000'], 'only the app port is published');
  for (const service of [postgres, migrate]) assert.equal(service.ports, undefined);
});

test('both images build from this Dockerfile with the same default base', () => {
  const dockerfileDefault = /^ARG NODE_IMAGE=(\S+)/m.exec(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
  for (const service of [migrate, app]) {
    assert.ok(typeof service.build === 'object' && service.build.context === '.');
    const base = typeof service.build === 'object' ? service.build.args?.NODE_IMAGE : undefined;
    assert.equal(interpolate(base ?? ''), dockerfileDefault);
  }
});

test('database settings: the seed variables, pointing at the postgres service, matching its credentials', () => {
  for (const [name, service] of [
    ['migrate', migrate],
    ['app', app],
  ] as const) {
    const env = service.environment ?? {};
    for (const key of Object.keys(env)) assert.ok(contractVariables.has(key), `${name}: ${key} is not a variable the service reads`);
    assert.equal(env.DATABASE_HOSTNAME, 'postgres', `${name} reaches the postgres service by name`);
    assert.equal(String(env.DATABASE_PORT), '5432');
    assert.equal(env.DATABASE_NAME, postgres.environment?.POSTGRES_DB, `${name}: same database name as the server`);
    assert.equal(env.DATABASE_USER, postgres.environment?.POSTGRES_USER);
    assert.equal(env.DATABASE_PASSWORD, postgres.environment?.POSTGRES_PASSWORD);
    // The seed's defaults when nothing is set.
    assert.equal(interpolate(env.DATABASE_NAME ?? ''), 'myapp_db');
    assert.equal(interpolate(env.DATABASE_USER ?? ''), 'postgres');
    // And one override moves both sides together.
    assert.equal(
      interpolate(env.DATABASE_NAME ?? '', { DATABASE_NAME: 'gates' }),
      interpolate(postgres.environment?.POSTGRES_DB ?? '', { DATABASE_NAME: 'gates' }),
    );
  }
  assert.equal(app.environment?.MIGRATE_ON_START, 'false', 'the migrate service owns the schema');
});

test('token mode by default: writes need a token, open mode only when asked for', () => {
  const env = app.environment ?? {};
  assert.equal(interpolate(env.AUTH_MODE ?? ''), 'token');
  assert.equal(interpolate(env.AUTH_MODE ?? '', { AUTH_MODE: 'open' }), 'open', 'AUTH_MODE=open in .env opts in');
  // The admin password and the API token come from the environment/.env, never from the file.
  assert.equal(env.ADMIN_PASSWORD, '${ADMIN_PASSWORD}');
  assert.equal(env.BOOTSTRAP_API_TOKEN, '${BOOTSTRAP_API_TOKEN}');
  // podman-compose 1.0.3 passes ${NAME:-} (an empty default) on literally: a known "password".
  assert.doesNotMatch(JSON.stringify(compose), /\$\{\w+:?-\}/);
});

test('no top-level name: (docker-compose 1.29 rejects it)', () => {
  assert.ok(!('name' in (parse(composeText) as object)));
});

test('scripts/compose-env.sh writes a .env the service accepts, once, readable by its owner only', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'barona-compose-env-'));
  try {
    const file = path.join(dir, '.env');
    const first = spawnSync('bash', [path.join(ROOT, 'scripts/compose-env.sh'), file], { encoding: 'utf8' });
    assert.equal(first.status, 0, first.stderr);
    const text = readFileSync(file, 'utf8');
    const password = /^ADMIN_PASSWORD=(.+)$/m.exec(text)?.[1] ?? '';
    const token = /^BOOTSTRAP_API_TOKEN=(.+)$/m.exec(text)?.[1] ?? '';
    assert.ok(password.length >= 12, 'ADMIN_PASSWORD at least 12 characters (the service refuses shorter ones)');
    assert.match(token, /^brn_[A-Za-z0-9_-]{43,64}$/, 'the token format the service accepts');
    assert.doesNotMatch(text, /^AUTH_MODE=/m, 'open mode stays an opt-in');
    const { mode } = statSync(file);
    assert.equal(mode & 0o077, 0, 'no access for group and others');
    const again = spawnSync('bash', [path.join(ROOT, 'scripts/compose-env.sh'), file], { encoding: 'utf8' });
    assert.equal(again.status, 0);
    assert.equal(readFileSync(file, 'utf8'), text, 'an existing .env is kept');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
const missing = (tool: string) =>
  has(tool) ? false : `${tool} is not installed (bash scripts/install-compose.sh installs it; CI requires it)`;
const inCi = process.env.CI === 'true';

describe('real Compose clients', () => {
  test('docker-compose 1.29 accepts the file', { skip: inCi ? false : missing('docker-compose') }, () => {
    const r = spawnSync('docker-compose', ['--file', 'compose.yaml', 'config', '--quiet'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  // --dry-run prints the podman commands, yet still creates the project's network and volume:
  // a project name of its own, removed afterwards.
  test(
    'podman-compose 1.0.3 would run the app in token mode with the .env values',
    { skip: inCi ? false : missing('podman-compose') || missing('podman') },
    () => {
      const project = `barona-kit-compose-${process.pid}`;
      try {
        const r = spawnSync(
          'podman-compose',
          ['--project-name', project, '--file', 'compose.yaml', '--dry-run', 'up', '--no-build', '-d'],
          {
            cwd: ROOT,
            encoding: 'utf8',
            env: { ...process.env, ADMIN_PASSWORD: 'a-password-from-env', BOOTSTRAP_API_TOKEN: `brn_${'x'.repeat(43)}` },
            timeout: 60_000,
          },
        );
        const output = `${r.stdout}${r.stderr}`;
        const run = output.split('\n').find((line) => line.startsWith('podman run') && /\bserve$/.test(line));
        assert.ok(run, `no podman run for the app in:\n${output}`);
        assert.match(run, /-e AUTH_MODE=token\b/);
        assert.match(run, /-e ADMIN_PASSWORD=a-password-from-env\b/);
        assert.match(run, /-e BOOTSTRAP_API_TOKEN=brn_x{43}\b/);
        assert.doesNotMatch(run, /\$\{/, 'every variable expanded');
        assert.match(run, /-e METRICS_PORT=9090\b/);
        assert.doesNotMatch(run, /-p \S*:9090\b/, 'the metrics port is not published');
      } finally {
        spawnSync('podman', ['volume', 'rm', '--force', `${project}_postgres-data`], { stdio: 'ignore' });
        spawnSync('podman', ['network', 'rm', '--force', `${project}_default`], { stdio: 'ignore' });
      }
    },
  );
});
