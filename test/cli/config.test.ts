// Configuration errors stop the process with one line naming the variable.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { BIN, runCli } from '../support/server.js';

const badValues: [Record<string, string>, RegExp][] = [
  [{ PORT: 'eighty' }, /PORT: must be a whole number from 0 to 65535 \(got "eighty"\)/],
  [{ PORT: '70000' }, /PORT: must be a whole number/],
  [{ APP_TIMEZONE: 'Mars/Olympus' }, /APP_TIMEZONE: must be an IANA time zone name/],
  [{ DAY_STARTS_AT: '4:00' }, /DAY_STARTS_AT: must be a time of day HH:MM from 00:00 to 23:59, such as 04:00 \(got "4:00"\)/],
  [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent/],
  [{ DATABASE_URL: 'mysql://x@y/z' }, /DATABASE_URL: must start with postgres:\/\//],
  [{ DATABASE_URL: 'not a url' }, /DATABASE_URL: is not a valid URL/],
  [{ DATABASE_HOSTNAME: 'db', DATABASE_PORT: '-1' }, /DATABASE_PORT: must be a whole number/],
  [{ DATABASE_HOSTNAME: 'db', DATABASE_PASSWORD_FILE: '/nonexistent/secret' }, /DATABASE_PASSWORD_FILE: cannot read \/nonexistent\/secret/],
  [
    { DATABASE_URL: 'postgres://x@y/z', DATABASE_POOL_MODE: 'statement' },
    /DATABASE_POOL_MODE: must be one of session, transaction \(got "statement"\)/,
  ],
  [
    { DATABASE_URL: 'postgres://x@pooler/z', DATABASE_POOL_MODE: 'transaction' },
    /DATABASE_DIRECT_URL: is required with DATABASE_POOL_MODE=transaction/,
  ],
  [{ DATABASE_URL: 'postgres://x@y/z', DATABASE_DIRECT_URL: 'mysql://x@y/z' }, /DATABASE_DIRECT_URL: must start with postgres:\/\//],
  [{ DATABASE_POOL_MODE: 'transaction' }, /DATABASE_POOL_MODE: transaction needs DATABASE_URL/],
  [{ DATABASE_DIRECT_URL: 'postgres://x@y/z' }, /DATABASE_DIRECT_URL: needs DATABASE_URL or DATABASE_HOSTNAME/],
  [{ MIGRATE_ON_START: 'maybe' }, /MIGRATE_ON_START: must be true or false/],
  [{ AUTH_MODE: 'everyone' }, /AUTH_MODE: must be one of open, token/],
  [{ LOG_FORMAT: 'xml' }, /LOG_FORMAT: must be one of auto, json, pretty \(got "xml"\)/],
  [{ TRUST_PROXY: '0' }, /TRUST_PROXY: a hop count must be from 1 to 32/],
  [{ TRUST_PROXY: 'maybe' }, /TRUST_PROXY: must be true, false, a hop count, or a comma-separated list .* \(got "maybe"\)/],
  [{ TRUST_PROXY: '10.0.0.0/33' }, /TRUST_PROXY: .*\(got "10.0.0.0\/33"\)/],
  [{ TRUST_PROXY: '10.0.0.0/8, 300.1.1.1' }, /TRUST_PROXY: .*\(got "300.1.1.1"\)/],
  [
    { SMTP_URL: 'http://mail.example.org', MAIL_FROM: 'a@example.org' },
    /SMTP_URL: must start with smtp:\/\/ or smtps:\/\/ \(got "http:"\)/,
  ],
  [{ SMTP_URL: 'smtps://user:pw@mail.example.org:465' }, /MAIL_FROM: is required when SMTP_URL is set/],
  [{ MAIL_FROM: 'nobody' }, /MAIL_FROM: must be an e-mail address/],
  [{ MAIL_LANGUAGE: 'fr' }, /MAIL_LANGUAGE: must be en \(English\) or de \(German\) \(got "fr"\)/],
  [{ SMTP_URL_FILE: '/nonexistent/smtp' }, /SMTP_URL_FILE: cannot read \/nonexistent\/smtp/],
];

for (const [env, message] of badValues) {
  test(`serve refuses ${JSON.stringify(env)} with one line naming the variable`, async () => {
    const result = await runCli(['serve'], env);
    assert.equal(result.code, 1);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /^barona: invalid configuration: /);
    assert.match(lines[0]!, message);
    assert.doesNotMatch(result.stderr, /at .*\.js:\d+/, 'no stack trace');
  });
}

test('unknown commands and options are usage errors (exit 2)', async () => {
  const unknown = await runCli(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
  const option = await runCli(['migrate', '--bogus']);
  assert.equal(option.code, 2);
});

test('--version prints the package version', async () => {
  const result = await runCli(['--version']);
  assert.equal(result.code, 0);
  assert.match(result.stdout.trim(), /^\d+\.\d+\.\d+$/);
});

test('bin/barona.js runs as a command: its #! line and node flags are accepted', () => {
  const [shebang] = readFileSync(BIN, 'utf8').split('\n');
  assert.match(shebang!, /^#!\/usr\/bin\/env -S node( --[a-z-]+=\d+)+$/);
  // Executed directly, as the image's ENTRYPOINT and npm's bin link do: the kernel reads the #! line.
  const result = spawnSync(BIN, ['--version'], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}` },
  });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout.trim(), /^\d+\.\d+\.\d+$/);
});

test('TRUST_PROXY: off by default; true (every hop), a hop count, or addresses and CIDRs', () => {
  assert.equal(loadConfig({}).trustProxy, false);
  assert.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true);
  const hops = loadConfig({ TRUST_PROXY: '2' }).trustProxy as (address: string, hop: number) => boolean;
  assert.deepEqual(
    [0, 1, 2].map((hop) => hops('10.0.0.1', hop)),
    [true, true, false],
    'the nearest two hops are trusted',
  );
  assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.0/8, fd00::/8,192.168.1.7, loopback' }).trustProxy, [
    '10.0.0.0/8',
    'fd00::/8',
    '192.168.1.7',
    'loopback',
  ]);
  assert.equal(loadConfig({}).logFormat, 'auto');
  assert.equal(loadConfig({ LOG_FORMAT: 'JSON' }).logFormat, 'json');
});

test('defaults follow the seed: port 8000, myapp_db/postgres/postgres on the given host', () => {
  const config = loadConfig({ DATABASE_HOSTNAME: 'myapp-database' });
  assert.equal(config.port, 8000);
  assert.equal(config.host, '0.0.0.0', 'every interface, as the brief says (and access control on)');
  assert.equal(config.timezone, 'UTC');
  assert.equal(config.migrateOnStart, false);
  assert.equal(config.database.kind, 'postgres');
  if (config.database.kind === 'postgres') {
    assert.equal(config.database.connectionString, 'postgres://postgres:postgres@myapp-database:5432/myapp_db');
    assert.equal(config.database.display, 'postgres://postgres@myapp-database:5432/myapp_db', 'no password in what is logged');
  }
});

test('pool mode: session by default, the direct connection defaulting to DATABASE_URL; transaction with its direct URL', () => {
  const plain = loadConfig({ DATABASE_URL: 'postgres://barona:secret@db:5432/barona' });
  assert.equal(plain.database.kind, 'postgres');
  if (plain.database.kind === 'postgres') {
    assert.equal(plain.database.poolMode, 'session');
    assert.equal(plain.database.directConnectionString, 'postgres://barona:secret@db:5432/barona');
  }
  const pooled = loadConfig({
    DATABASE_HOSTNAME: 'pooler',
    DATABASE_PASSWORD: 'secret',
    DATABASE_POOL_MODE: 'Transaction',
    DATABASE_DIRECT_URL: 'postgres://barona:secret@db-rw:5432/barona',
  });
  assert.equal(pooled.database.kind, 'postgres');
  if (pooled.database.kind === 'postgres') {
    assert.equal(pooled.database.poolMode, 'transaction');
    assert.equal(pooled.database.connectionString, 'postgres://postgres:secret@pooler:5432/myapp_db');
    assert.equal(pooled.database.directConnectionString, 'postgres://barona:secret@db-rw:5432/barona');
  }
});

test('no database configured means the embedded database, migrated on start', () => {
  const config = loadConfig({ DATA_DIR: '/tmp/barona-x' });
  assert.deepEqual(config.database, { kind: 'embedded', dataDir: '/tmp/barona-x' });
  assert.equal(config.migrateOnStart, true);
});

test('special characters in seed credentials are encoded into the URL', () => {
  const config = loadConfig({ DATABASE_HOSTNAME: 'db', DATABASE_USER: 'u@x', DATABASE_PASSWORD: 'p:w/d#?' });
  assert.equal(config.database.kind, 'postgres');
  if (config.database.kind === 'postgres') {
    const url = new URL(config.database.connectionString);
    assert.equal(decodeURIComponent(url.username), 'u@x');
    assert.equal(decodeURIComponent(url.password), 'p:w/d#?');
  }
});
