// Behind a real PgBouncer (Debian's package) in transaction mode, nothing ignored: the service becomes
// ready, answers the seed contract in a non-UTC APP_TIMEZONE, leaves no session state behind on the
// pooler's server connections, migrates and LISTENs on the direct connection (DATABASE_DIRECT_URL), and
// recovers by itself when the pooler or PostgreSQL behind it restarts. A machine without PgBouncer skips
// these with the reason in the run's summary; under CI=true (scripts/ci-setup.sh installs it) that fails.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { openPostgres } from '../../src/db/postgres.js';
import { migrate } from '../../src/db/migrator.js';
import { api } from '../support/api.js';
import { Browser } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createCheckinsFlat, getJson, sleep } from '../support/http-load.js';
import { pgbouncerMissing, startPgbouncer, type Pgbouncer } from '../support/pgbouncer.js';
import { startKillablePostgres, type KillablePostgres } from '../support/postgres-control.js';
import { runCli, startServer, type RunningServer } from '../support/server.js';

const ZONE = 'Pacific/Kiritimati'; // UTC+14 all year: a wrong time zone cannot hide
const PASSWORD = 'pooler test password';

function serverUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the tests with `npm test`');
  return url;
}

function localDay(timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await probe())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
  return Date.now() - started;
}

const ready = async (server: RunningServer) => (await getJson(`${server.url}/readyz`)).status === 200;

const skip = pgbouncerMissing();

describe('behind PgBouncer in transaction mode', { timeout: 180_000, skip }, () => {
  let pooler: Pgbouncer;
  let database: TestDatabase;
  let server: RunningServer;

  before(async () => {
    pooler = await startPgbouncer({ serverUrl: serverUrl(), poolSize: 4 });
    // Unmigrated: the service migrates it on start, through the direct connection.
    database = await createTestDatabase({ migrated: false });
    server = await startServer({
      env: {
        DATABASE_URL: pooler.url(database.name),
        DATABASE_POOL_MODE: 'transaction',
        DATABASE_DIRECT_URL: database.url,
        DATABASE_POOL_MAX: '6',
        MIGRATE_ON_START: 'true',
        APP_TIMEZONE: ZONE,
      },
      timeoutMs: 60_000,
    });
  });
  after(async () => {
    if (server) assert.equal(await server.stop(), 0, 'clean exit on SIGTERM');
    await database?.drop();
    await pooler?.stop();
  });

  test('the pooler is strict: session mode (startup parameters) through it never becomes ready, and says why', async () => {
    const refused = await startServer({
      env: { DATABASE_URL: pooler.url(database.name), APP_TIMEZONE: ZONE },
      waitFor: 'healthz',
    });
    try {
      let reason = '';
      await waitFor(
        '/readyz names the refused parameter',
        async () => {
          const answer = await getJson(`${refused.url}/readyz`);
          reason = String(answer.json?.reason);
          return answer.status === 503 && /unsupported startup parameter/.test(reason);
        },
        10_000,
      );
      assert.match(reason, /^database: unreachable: unsupported startup parameter/);
    } finally {
      await refused.stop();
    }
  });

  test('ready, migrated through the direct connection, and the seed contract answers in APP_TIMEZONE (+14:00)', async () => {
    const migrations = await database.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
    assert.ok(migrations[0]!.n > 0, 'the migrations were applied');
    const created = await api(`${server.url}/table/create`, {
      method: 'POST',
      body: { firstname: 'Teraina', lastname: 'Pooler', gate: 'K' },
    });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(Object.keys(created.body), ['id', 'login', 'firstname', 'lastname', 'gate']);
    const login = String(created.body.login);
    assert.match(login, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+14:00$/, `login ${login} is in ${ZONE}`);
    assert.ok(Math.abs(Date.parse(login) - Date.now()) < 5_000, `login ${login} is the server's time`);
    const today = localDay(ZONE);
    assert.equal(login.slice(0, 10), today, 'the local date of Kiritimati');

    for (const spec of ['date:today', `date:${today.replaceAll('-', '')}`]) {
      const sheet = await api<Record<string, unknown>[]>(`${server.url}/table/view/${spec}`);
      assert.equal(sheet.status, 200);
      const mine = sheet.body.find((row) => row.id === created.body.id);
      assert.ok(mine, `${spec} lists the new entry`);
      assert.equal(mine.login, login, `${spec} renders it in ${ZONE}`);
    }
  });

  test('nothing the service sets stays behind on the server connections the pooler hands to others', async () => {
    // Load spread over the pooler's server connections first, then look through the pooler as another client.
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        api(`${server.url}/table/create`, { method: 'POST', body: { firstname: 'Load', lastname: `L${i}`, gate: 'K' } }).then((r) =>
          assert.equal(r.status, 201),
        ),
      ),
    );
    const defaults = await database.query<{ jit: string; timeout: string }>(
      `SELECT current_setting('jit') AS jit, current_setting('statement_timeout') AS timeout`,
    );
    const other = new pg.Pool({ connectionString: pooler.url(database.name), max: 4 });
    try {
      const seen = await Promise.all(
        Array.from({ length: 8 }, () =>
          other.query<{ jit: string; timeout: string; zone: string }>(
            `SELECT current_setting('jit') AS jit, current_setting('statement_timeout') AS timeout, current_setting('TimeZone') AS zone`,
          ),
        ),
      );
      for (const { rows } of seen) {
        assert.equal(rows[0]!.jit, defaults[0]!.jit, 'jit is the server default');
        assert.equal(rows[0]!.timeout, defaults[0]!.timeout, 'statement_timeout is the server default');
        assert.notEqual(rows[0]!.zone, ZONE, 'the time zone is not the service’s');
      }
    } finally {
      await other.end();
    }
  });

  test('migrations refuse a connection through a pooler in transaction mode; `barona migrate` goes direct', async () => {
    const pooled = openPostgres(
      { kind: 'postgres', connectionString: pooler.url(database.name), poolMax: 1, display: 'pooler', poolMode: 'transaction' },
      { timezone: 'UTC', requestTimeouts: false },
    );
    try {
      await assert.rejects(migrate(pooled), /migrations need a direct connection \(DATABASE_DIRECT_URL\)/);
    } finally {
      await pooled.close();
    }
    const status = await runCli(['migrate', '--status'], {
      DATABASE_URL: pooler.url(database.name),
      DATABASE_POOL_MODE: 'transaction',
      DATABASE_DIRECT_URL: database.url,
    });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, / 0 pending/);
  });
});

/** Reads a server-sent-events stream and resolves when an event of `type` arrives. */
class EventStream {
  private buffer = '';
  private readonly controller = new AbortController();
  readonly status: Promise<number>;

  constructor(url: string, cookie: string) {
    this.status = fetch(url, { headers: { cookie, accept: 'text/event-stream' }, signal: this.controller.signal }).then((response) => {
      void (async () => {
        try {
          for await (const chunk of response.body!) this.buffer += Buffer.from(chunk).toString('utf8');
        } catch {
          // aborted
        }
      })();
      return response.status;
    });
  }

  reset() {
    this.buffer = '';
  }

  async next(type: string, timeoutMs = 5_000): Promise<void> {
    await waitFor(
      `a "${type}" event (got ${JSON.stringify(this.buffer)})`,
      async () => this.buffer.includes(`event: ${type}\n`),
      timeoutMs,
    );
  }

  close() {
    this.controller.abort();
  }
}

describe('live updates across two replicas, both behind PgBouncer, LISTEN on the direct connection', { timeout: 180_000, skip }, () => {
  let pooler: Pgbouncer;
  let database: TestDatabase;
  let first: RunningServer;
  let second: RunningServer;

  before(async () => {
    pooler = await startPgbouncer({ serverUrl: serverUrl(), poolSize: 4 });
    database = await createTestDatabase();
    const env = {
      DATABASE_URL: pooler.url(database.name),
      DATABASE_POOL_MODE: 'transaction',
      DATABASE_DIRECT_URL: database.url,
      DATABASE_POOL_MAX: '4',
      AUTH_MODE: 'token',
      ADMIN_PASSWORD: PASSWORD,
    };
    [first, second] = await Promise.all([startServer({ env }), startServer({ env })]);
  });
  after(async () => {
    if (first) assert.equal(await first.stop(), 0);
    if (second) assert.equal(await second.stop(), 0);
    await database?.drop();
    await pooler?.stop();
  });

  test('a check-in on either replica reaches a viewer of the first', async () => {
    await waitFor('the first admin', async () => (await database.query('SELECT 1 FROM admin_users')).length > 0, 10_000);
    const admin = new Browser(first.url);
    await admin.signIn('admin', PASSWORD);
    const csrf = Browser.csrf((await admin.get('/admin/tokens')).text);
    const created = await admin.post('/admin/tokens', { _csrf: csrf, name: 'Pooled tablet', gate: '', scope: ['checkin', 'read'] });
    const token = /value="(brn_[^"]+)"/.exec(created.text)![1]!;

    // Both replicas listen on the direct connection: their sessions are on PostgreSQL, not the pooler.
    await waitFor(
      'both replicas LISTEN directly',
      async () =>
        (
          await database.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'barona-live'`,
          )
        )[0]!.n === 2,
      10_000,
    );

    const stream = new EventStream(`${first.url}/admin/events`, admin.cookieHeader());
    assert.equal(await stream.status, 200);
    await stream.next('ready');
    const post = (server: RunningServer, lastname: string) =>
      api(`${server.url}/table/create`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: { firstname: 'Live', lastname, gate: 'L' },
      }).then((response) => response.status);

    assert.equal(await post(first, 'Local'), 201);
    await stream.next('change');
    stream.reset();
    assert.equal(await post(second, 'Remote'), 201);
    await stream.next('change'); // NOTIFY sent through the pooler by the second, heard on the first's direct LISTEN
    stream.close();
  });
});

describe('fault: the pooler, then PostgreSQL behind it, restart under load', { timeout: 240_000, skip }, () => {
  let postgres: KillablePostgres;
  let pooler: Pgbouncer;
  let server: RunningServer;
  let directUrl: string;

  before(async () => {
    postgres = await startKillablePostgres();
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('CREATE DATABASE barona');
    await admin.end();
    directUrl = new URL('/barona', postgres.url).toString();
    pooler = await startPgbouncer({ serverUrl: postgres.url, poolSize: 6 });
    server = await startServer({
      env: {
        DATABASE_URL: pooler.url('barona'),
        DATABASE_POOL_MODE: 'transaction',
        DATABASE_DIRECT_URL: directUrl,
        DATABASE_POOL_MAX: '8',
        MIGRATE_ON_START: 'true',
        LOG_LEVEL: 'info',
      },
      timeoutMs: 60_000,
    });
  });
  after(async () => {
    if (server) assert.equal(await server.stop(), 0, 'clean exit on SIGTERM after the faults');
    await pooler?.stop();
    await postgres?.remove();
  });

  /** Writes under load while `fault` runs; then every 201 must be stored and the service serve again by itself. */
  async function underLoad(name: string, fault: () => Promise<void>) {
    const prefix = `${name}-${randomBytes(4).toString('hex')}`;
    const pid = server.process.pid;
    let running = true;
    const load = createCheckinsFlat({
      url: server.url,
      prefix,
      concurrency: 6,
      running: () => running,
      boundMs: 20_000,
      pauseAfterErrorMs: 50,
    });
    let readyMs: number;
    let firstAck: number | undefined;
    try {
      await sleep(1_000);
      await fault();
      const back = Date.now();
      readyMs = await waitFor(`${name}: /readyz 200 again`, () => ready(server), 15_000);
      await waitFor(
        `${name}: a check-in is created again`,
        async () => {
          const answer = await api(`${server.url}/table/create`, {
            method: 'POST',
            body: { firstname: 'After', lastname: prefix, gate: 'F' },
          });
          if (answer.status === 201) firstAck = Date.now() - back;
          return answer.status === 201;
        },
        15_000,
      );
      await sleep(1_000);
    } catch (error) {
      console.log(`${name}: the service said:\n${server.output().slice(-4_000)}`);
      throw error;
    } finally {
      running = false;
    }
    const outcomes = await load;

    const client = new pg.Client({ connectionString: directUrl });
    await client.connect();
    const { rows } = await client.query<{ id: number; lastname: string }>(
      `SELECT id::int AS id, lastname FROM checkins WHERE lastname LIKE $1`,
      [`${prefix}-%`],
    );
    await client.end();
    const stored = new Map(rows.map((row) => [row.lastname, row.id]));
    const acknowledged = outcomes.filter((o) => o.status === 201);
    const lost = acknowledged.filter((o) => stored.get(o.id) !== (JSON.parse(o.body!) as { id: number }).id);
    const otherStatus = outcomes.filter((o) => o.status !== undefined && o.status !== 201 && o.status !== 503);
    const failed = outcomes.filter((o) => o.status !== 201);
    console.log(
      `${name}: ${outcomes.length} requests, ${acknowledged.length} acknowledged (lost ${lost.length}), ${failed.length} 503 or connection errors;` +
        ` /readyz 200 ${readyMs} ms and a 201 ${firstAck} ms after the restart; slowest answer ${Math.max(...outcomes.map((o) => o.ms))} ms`,
    );
    assert.ok(acknowledged.length > 0, 'check-ins were created under load');
    assert.equal(lost.length, 0, 'every acknowledged check-in is stored');
    assert.deepEqual(
      otherStatus.map((o) => o.status),
      [],
      'every answer is 201 or 503',
    );
    assert.deepEqual(
      outcomes.filter((o) => o.error === 'HUNG').map((o) => o.id),
      [],
      'no request hangs',
    );
    assert.ok(readyMs < 10_000, `ready again within 10 s (${readyMs} ms)`);
    assert.equal(server.process.pid, pid);
    assert.equal(server.process.exitCode, null, 'the same process served throughout');
  }

  test('PgBouncer killed and started again: the service recovers by itself', async () => {
    await underLoad('pooler restart', async () => {
      await pooler.kill();
      await sleep(300);
      const during = await getJson(`${server.url}/readyz`);
      assert.equal(during.status, 503, '/readyz is 503 while the pooler is down');
      await sleep(1_200);
      await pooler.start();
    });
  });

  test('PostgreSQL behind the pooler killed and started again: the service recovers by itself', async () => {
    await underLoad('database restart', async () => {
      await postgres.killImmediately();
      await sleep(300);
      const during = await getJson(`${server.url}/readyz`);
      assert.equal(during.status, 503, '/readyz is 503 while PostgreSQL is down');
      await sleep(1_200);
      await postgres.start();
    });
    // Live updates reconnect to the direct connection on their own.
    const client = new pg.Client({ connectionString: directUrl });
    await client.connect();
    try {
      await waitFor(
        'LISTEN again on the direct connection',
        async () =>
          (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'barona-live'`))
            .rows[0]!.n === 1,
        40_000,
      );
    } finally {
      await client.end();
    }
  });
});
