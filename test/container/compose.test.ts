// compose.yaml checked structurally (no Docker engine runs here, and the postgres image cannot be pulled):
// PostgreSQL with a healthcheck and a named volume, a one-shot migration, the app after both, and the
// environment wired the way the service reads it (docs/CONTAINER.md shows `docker compose up`).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
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

const compose = parse(readFileSync(path.join(ROOT, 'compose.yaml'), 'utf8'), { merge: true }) as {
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
