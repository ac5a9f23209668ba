// Fault 1: kill PostgreSQL (pg_ctl stop -m immediate) while clients create check-ins at full speed, then
// start it again. Every 2xx answer must be in the table, everything else a fast 503 or a connection error,
// and the same service process must serve again within seconds. Also: start-up with no database.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { runCli, startServer, type RunningServer } from '../support/server.js';
import { createCheckinsFlat, getJson, percentile, sleep } from '../support/http-load.js';
import { startKillablePostgres, type KillablePostgres } from '../support/postgres-control.js';

/** No request may take longer than this, outage or not (pool connect timeout is 3 s, statement timeout 10 s). */
const REQUEST_BOUND_MS = 12_000;
/** A request during the outage must be answered this fast. */
const OUTAGE_ANSWER_MS = 4_000;
const RECOVERY_MS = 5_000;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return { value, ms: Date.now() - started };
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

describe('fault: the database is killed mid-load and comes back', { timeout: 150_000 }, () => {
  let database: KillablePostgres;
  let server: RunningServer;
  let databaseUrl: string;

  before(async () => {
    database = await startKillablePostgres();
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query('CREATE DATABASE barona');
    await admin.end();
    databaseUrl = new URL('/barona', database.url).toString();
    const migrated = await runCli(['migrate'], { DATABASE_URL: databaseUrl });
    assert.equal(migrated.code, 0, migrated.stderr);
    server = await startServer({ env: { DATABASE_URL: databaseUrl, DATABASE_POOL_MAX: '10', LOG_LEVEL: 'info' } });
  });

  after(async () => {
    if (server) assert.equal(await server.stop(), 0, 'clean exit on SIGTERM after the outage');
    await database?.remove();
  });

  test('2xx answers are all stored, the rest are fast 503s or connection errors, and service resumes by itself', async () => {
    const prefix = `kill-${randomBytes(4).toString('hex')}`;
    const pid = server.process.pid;
    let running = true;
    const started = Date.now();
    const load = createCheckinsFlat({ url: server.url, prefix, concurrency: 12, running: () => running, boundMs: REQUEST_BOUND_MS });

    await sleep(1_500);
    const killedAt = Date.now();
    const stopMs = await database.killImmediately();
    const downAt = Date.now();
    const readyDuringOutage = await getJson(`${server.url}/readyz`);
    await sleep(1_500);
    const healthDuringOutage = await getJson(`${server.url}/healthz`);
    const restartStartedAt = Date.now();
    const startMs = await database.start();
    const restartedAt = Date.now();
    // The service must notice on its own: no restart, no signal.
    const ready = await waitFor(
      '/readyz 200 after the database came back',
      async () => ((await getJson(`${server.url}/readyz`)).status === 200 ? true : undefined),
      RECOVERY_MS * 2,
    );
    await sleep(1_500);
    running = false;
    const outcomes = await load;
    const finishedAt = Date.now();

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const { rows } = await client.query<{ id: number; lastname: string }>(
      `SELECT id::int AS id, lastname FROM checkins WHERE lastname LIKE $1`,
      [`${prefix}-%`],
    );
    await client.end();
    const stored = new Map(rows.map((row) => [row.lastname, row.id]));

    const acknowledged = outcomes.filter((o) => o.status === 201);
    const answered503 = outcomes.filter((o) => o.status === 503);
    const connectionErrors = outcomes.filter((o) => o.error !== undefined);
    const hung = outcomes.filter((o) => o.error === 'HUNG');
    const otherStatus = outcomes.filter((o) => o.status !== undefined && o.status !== 201 && o.status !== 503);
    const lost = acknowledged.filter((o) => stored.get(o.id) !== (JSON.parse(o.body!) as { id: number }).id);
    const duringOutage = outcomes.filter((o) => o.startedAt >= downAt && o.startedAt < restartStartedAt);
    const firstAckAfterRestart = acknowledged.filter((o) => o.startedAt >= restartedAt).sort((a, b) => a.startedAt - b.startedAt)[0];
    // A write can commit just before the connection dies and still be answered 503: allowed, and counted.
    const storedButNotAcknowledged = outcomes.filter((o) => o.status !== 201 && stored.has(o.id)).length;
    const phantom = rows.filter((row) => !outcomes.some((o) => o.id === row.lastname));

    console.log(
      [
        `database outage: ${outcomes.length} requests in ${((finishedAt - started) / 1000).toFixed(1)} s, 12 clients`,
        `  acknowledged (201): ${acknowledged.length}; found in the database: ${acknowledged.length - lost.length}; lost: ${lost.length}`,
        `  503 answers: ${answered503.length}; connection errors: ${connectionErrors.length}; other statuses: ${otherStatus.length}; hung: ${hung.length}`,
        `  stored although not acknowledged: ${storedButNotAcknowledged}; rows nobody asked for: ${phantom.length}`,
        `  requests started during the outage: ${duringOutage.length}, slowest answer ${Math.max(0, ...duringOutage.map((o) => o.ms))} ms`,
        `  latency p50/p99/max: ${percentile(
          outcomes.map((o) => o.ms),
          50,
        )}/${percentile(
          outcomes.map((o) => o.ms),
          99,
        )}/${Math.max(...outcomes.map((o) => o.ms))} ms`,
        `  pg_ctl stop -m immediate: ${stopMs} ms; pg_ctl start: ${startMs} ms; /readyz 200 again ${ready.ms} ms after the restart;` +
          ` first 201 ${firstAckAfterRestart ? firstAckAfterRestart.startedAt - restartedAt : 'never'} ms after`,
        `  /readyz during the outage: ${readyDuringOutage.status} ${JSON.stringify(readyDuringOutage.json?.reason)}; /healthz: ${healthDuringOutage.status}`,
      ].join('\n'),
    );

    assert.ok(acknowledged.filter((o) => o.startedAt < killedAt).length > 0, 'check-ins were created before the kill');
    assert.ok(duringOutage.length > 0, 'requests were sent while the database was down');
    assert.equal(lost.length, 0, `acknowledged check-ins missing from the table: ${lost.slice(0, 5).map((o) => o.id)}`);
    assert.equal(phantom.length, 0, 'the table holds only rows that were requested');
    assert.deepEqual(
      otherStatus.map((o) => o.status),
      [],
      'every answer is 201 or 503',
    );
    assert.deepEqual(
      hung.map((o) => o.id),
      [],
      `no request hangs past ${REQUEST_BOUND_MS} ms`,
    );
    assert.ok(Math.max(...outcomes.map((o) => o.ms)) < REQUEST_BOUND_MS, 'every request ended within the bound');
    for (const o of duringOutage) {
      assert.ok(o.status === 503 || o.error !== undefined, `during the outage ${o.id} got ${o.status}`);
      assert.ok(o.ms < OUTAGE_ANSWER_MS, `during the outage ${o.id} took ${o.ms} ms`);
    }
    assert.ok(
      duringOutage.some((o) => o.status === 503),
      'the outage is answered with 503, not only dropped connections',
    );
    assert.equal(readyDuringOutage.status, 503, '/readyz is 503 while the database is down');
    assert.match(String(readyDuringOutage.json?.reason), /^database: unreachable/, '/readyz says why');
    assert.equal(healthDuringOutage.status, 200, '/healthz stays 200 during the outage');
    assert.ok(firstAckAfterRestart !== undefined, 'check-ins are created again after the restart');
    assert.ok(firstAckAfterRestart.startedAt - restartedAt < RECOVERY_MS, `service resumed within ${RECOVERY_MS} ms`);
    assert.ok(ready.ms < RECOVERY_MS, `/readyz recovered within ${RECOVERY_MS} ms`);
    assert.equal(server.process.pid, pid);
    assert.equal(server.process.exitCode, null, 'the same process served throughout');
    // The DATABASE_URL has a password; no log line may carry it.
    assert.ok(!server.output().includes(database.password), 'the database password never appears in the logs');
    assert.ok(
      server.output().includes('"database connection lost"') ||
        server.output().includes('"status":503') ||
        server.output().includes('Service unavailable'),
    );
  });

  test('start-up without a reachable database: /healthz 200, /readyz 503, then ready by itself', async () => {
    // An empty database the service will migrate itself; then the server goes away before the service starts.
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query('CREATE DATABASE barona_late');
    await admin.end();
    await database.killImmediately();
    const url = new URL('/barona_late', database.url).toString();
    const late = await startServer({ env: { DATABASE_URL: url, MIGRATE_ON_START: 'true', LOG_LEVEL: 'info' }, waitFor: 'healthz' });
    try {
      const health = await getJson(`${late.url}/healthz`);
      const ready = await getJson(`${late.url}/readyz`);
      const create = await fetch(`${late.url}/table/create`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ firstname: 'No', lastname: 'Database', gate: 'X' }),
        signal: AbortSignal.timeout(OUTAGE_ANSWER_MS),
      });
      console.log(
        `no database: /healthz ${health.status}, /readyz ${ready.status} ${JSON.stringify(ready.json?.reason)} in ${ready.ms} ms, create ${create.status}`,
      );
      assert.equal(health.status, 200);
      assert.equal(ready.status, 503);
      assert.match(String(ready.json?.reason), /^database: unreachable/);
      assert.equal(create.status, 503);
      assert.equal(create.headers.get('retry-after'), '5');
      assert.match(await create.text(), /database is not reachable/);

      await sleep(1_000);
      await database.start();
      const became = await waitFor(
        '/readyz 200',
        async () => ((await getJson(`${late.url}/readyz`)).status === 200 ? true : undefined),
        30_000,
      );
      // Waiting for the first contact (DATABASE_START_TIMEOUT_SECONDS), then migrating: both retry with backoff.
      const retries = (late.output().match(/(the database is not reachable yet|migrating the database failed); retrying/g) ?? []).length;
      console.log(`no database: ready ${became.ms} ms after PostgreSQL came up; start-up retries logged: ${retries}`);
      assert.ok(retries >= 1, 'start-up retried with backoff');
      // The log line may arrive on the pipe a moment after /readyz turned 200.
      await waitFor('"migrations applied" logged', async () => (/migrations applied/.test(late.output()) ? true : undefined), 10_000);
      assert.equal((await createLate(late.url)).status, 201, 'and serves writes');
      assert.ok(!late.output().includes(database.password), 'the password is not logged');
    } finally {
      assert.equal(await late.stop(), 0);
    }
  });
});

async function createLate(url: string): Promise<Response> {
  return fetch(`${url}/table/create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ firstname: 'Late', lastname: 'Start', gate: 'X' }),
  });
}
