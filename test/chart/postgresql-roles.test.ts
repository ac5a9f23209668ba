// The bundled PostgreSQL gives the app an ordinary role that owns only its database: the chart's
// init script (ConfigMap <fullname>-postgresql-initdb, run by the official image once, on an empty
// volume, as the superuser) is run for real against a fresh PostgreSQL server, then the app's role
// is checked and `barona migrate` runs with it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../support/postgres-server.js';
import { runCli } from '../support/server.js';
import { containersOf, find, render, skipWithoutHelm, type K8sObject } from './support.js';

const hasPsql = spawnSync('sh', ['-c', 'command -v psql'], { stdio: 'ignore' }).status === 0;
const skip = skipWithoutHelm || (hasPsql ? false : 'psql is not installed (Debian: postgresql-client)');

describe('bundled PostgreSQL roles', { skip, timeout: 300_000 }, () => {
  let server: ThrowawayPostgres;
  let superuser: pg.Client;
  const dir = mkdtempSync(path.join(tmpdir(), 'barona-initdb-'));
  const password = randomBytes(18).toString('base64url');
  let objects: K8sObject[];

  before(async () => {
    server = await startThrowawayPostgres();
    // Opened before the script removes the superuser's password; it stays signed in.
    superuser = new pg.Client({ connectionString: server.url });
    await superuser.connect();
    objects = render({ set: ['database.name=gates', 'database.user=gatekeeper', `database.bundled.password=${password}`] });
  });
  after(async () => {
    await superuser?.end().catch(() => {});
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the StatefulSet runs the init script with the superuser, the app role and its password', () => {
    const statefulSet = find(objects, 'StatefulSet');
    const container = containersOf(statefulSet).main[0]!;
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? `secret:${e.valueFrom?.secretKeyRef?.key}`]));
    assert.equal(env.POSTGRES_USER, 'postgres');
    assert.equal(env.BARONA_DATABASE_USER, 'gatekeeper');
    assert.equal(env.BARONA_DATABASE_NAME, 'gates');
    assert.equal(env.BARONA_DATABASE_PASSWORD, 'secret:password');
    assert.ok(!('POSTGRES_DB' in env), 'the image must not create the app database owned by the superuser');
    const mounts = (container as { volumeMounts?: { name: string; mountPath: string }[] }).volumeMounts ?? [];
    assert.ok(mounts.some((m) => m.name === 'initdb' && m.mountPath === '/docker-entrypoint-initdb.d'));
  });

  it('creates an ordinary role owning only its database; the superuser keeps no password; migrate runs as the app', async () => {
    const initdb = find(objects, 'ConfigMap', 'barona-postgresql-initdb');
    const script = path.join(dir, '10-app-role.sh');
    writeFileSync(script, (initdb.data as Record<string, string>)['10-app-role.sh']!);
    const url = new URL(server.url);
    // As the image runs it (psql as POSTGRES_USER), over TCP here instead of the local socket.
    const run = spawnSync('sh', [script], {
      encoding: 'utf8',
      env: {
        ...process.env,
        PGHOST: url.hostname,
        PGPORT: url.port,
        PGPASSWORD: decodeURIComponent(url.password),
        POSTGRES_USER: 'postgres',
        BARONA_DATABASE_USER: 'gatekeeper',
        BARONA_DATABASE_NAME: 'gates',
        BARONA_DATABASE_PASSWORD: password,
      },
    });
    assert.equal(run.status, 0, run.stderr);

    const role = (
      await superuser.query<{
        rolsuper: boolean;
        rolcreatedb: boolean;
        rolcreaterole: boolean;
        rolreplication: boolean;
        rolbypassrls: boolean;
      }>(`SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = 'gatekeeper'`)
    ).rows[0];
    assert.deepEqual(role, { rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false });
    const owned = await superuser.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = 'gatekeeper')`,
    );
    assert.deepEqual(
      owned.rows.map((r) => r.datname),
      ['gates'],
    );
    const superPassword = await superuser.query<{ rolpassword: string | null }>(
      `SELECT rolpassword FROM pg_authid WHERE rolname = 'postgres'`,
    );
    assert.equal(superPassword.rows[0]?.rolpassword, null, 'the superuser has no password');

    const appUrl = (database: string) => `postgres://gatekeeper:${encodeURIComponent(password)}@${url.hostname}:${url.port}/${database}`;
    // Other databases are closed to it.
    const other = new pg.Client({ connectionString: appUrl('postgres') });
    await assert.rejects(other.connect(), /permission denied/);
    await other.end().catch(() => {});
    // The superuser's password is gone: no sign-in over the network.
    const asSuperuser = new pg.Client({ connectionString: server.url });
    await assert.rejects(asSuperuser.connect(), /password authentication failed|no password/);
    await asSuperuser.end().catch(() => {});

    // Enough rights for the app: the real migrations, twice (the second finds nothing to do).
    for (const expected of [/migration\(s\) applied/, /schema is up to date/]) {
      const migrated = await runCli(['migrate'], { DATABASE_URL: appUrl('gates') });
      assert.equal(migrated.code, 0, migrated.stderr);
      assert.match(migrated.stdout, expected);
    }
  });
});
