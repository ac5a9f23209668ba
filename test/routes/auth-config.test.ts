// The access-control settings read from the environment, and the AUTH_MODE default rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

test('AUTH_MODE defaults to open only while listening on a loopback address; HOST defaults to 0.0.0.0', () => {
  assert.equal(loadConfig({}).host, '0.0.0.0');
  assert.equal(loadConfig({}).authMode, 'token', 'npm start: embedded, on every interface, so access control is on');
  assert.equal(loadConfig({ HOST: '127.0.0.1' }).authMode, 'open');
  assert.equal(loadConfig({ HOST: 'localhost' }).authMode, 'open');
  assert.equal(loadConfig({ HOST: '::1' }).authMode, 'open');
  assert.equal(loadConfig({ HOST: '127.0.0.1', DATABASE_HOSTNAME: 'db' }).authMode, 'open', 'PostgreSQL, still only reachable locally');
  assert.equal(loadConfig({ HOST: '0.0.0.0' }).authMode, 'token', 'embedded on the network (the image)');
  assert.equal(loadConfig({ HOST: '0.0.0.0', DATABASE_URL: 'postgres://u@db/x' }).authMode, 'token');
  assert.equal(loadConfig({ HOST: '::', DATABASE_HOSTNAME: 'db' }).authMode, 'token');
  assert.equal(
    loadConfig({ HOST: '0.0.0.0', AUTH_MODE: 'open', DATABASE_URL: 'postgres://u@db/x' }).authMode,
    'open',
    'explicitly allowed',
  );
  assert.equal(loadConfig({ AUTH_MODE: 'TOKEN', HOST: '127.0.0.1' }).authMode, 'token');
});

test('BOOTSTRAP_API_TOKEN must look like a gate token', () => {
  const token = `brn_${'a'.repeat(43)}`;
  assert.equal(loadConfig({ BOOTSTRAP_API_TOKEN: token }).auth.bootstrapApiToken, token);
  assert.throws(
    () => loadConfig({ BOOTSTRAP_API_TOKEN: 'secret' }),
    (error: Error) => error instanceof ConfigError && /^BOOTSTRAP_API_TOKEN: must be brn_/.test(error.message),
  );
});

test('auth settings have defaults and are validated with one line naming the variable', () => {
  const auth = loadConfig({}).auth;
  assert.deepEqual(auth, {
    adminUsername: 'admin',
    adminPassword: undefined,
    bootstrapApiToken: undefined,
    cookieSecure: 'auto',
    sessionIdleMinutes: 30,
    sessionMaxHours: 12,
    liveHeartbeatSeconds: 20,
    signInMaxFailures: 5,
    signInWindowMinutes: 15,
    signInMaxChecksPerAddress: 20,
  });
  const cases: [Record<string, string>, RegExp][] = [
    [{ ADMIN_PASSWORD: 'short' }, /^ADMIN_PASSWORD: must be at least 12 characters/],
    [{ ADMIN_USERNAME: 'bad name' }, /^ADMIN_USERNAME: /],
    [{ COOKIE_SECURE: 'sometimes' }, /^COOKIE_SECURE: must be one of auto, always, never/],
    [{ SESSION_IDLE_MINUTES: '0' }, /^SESSION_IDLE_MINUTES: /],
    [{ LIVE_HEARTBEAT_SECONDS: '0' }, /^LIVE_HEARTBEAT_SECONDS: /],
    [{ ADMIN_PASSWORD_FILE: '/nonexistent/secret' }, /^ADMIN_PASSWORD_FILE: cannot read/],
    [{ ADMIN_PASSWORD: 'x'.repeat(20), ADMIN_PASSWORD_FILE: '/etc/hostname' }, /^ADMIN_PASSWORD: set either/],
  ];
  for (const [env, message] of cases) {
    assert.throws(
      () => loadConfig(env),
      (error: Error) => error instanceof ConfigError && message.test(error.message) && !error.message.includes('\n'),
    );
  }
});
