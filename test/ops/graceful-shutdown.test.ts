// Fault 2: SIGTERM while clients create check-ins at full speed. Readiness turns 503 at once, the server
// keeps serving through the drain delay, then stops; no request the server accepted fails, and the
// process exits 0 within the grace period.
//
// "Accepted" is measured, not assumed: every request carries a unique X-Request-Id, and the server logs
// each request it reads ("incoming request", LOG_LEVEL=debug). Every logged id must have a 201; a request
// the server never read (refused after the listener closed) may fail, but only at the connection level.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';
import { createCheckinsFlat, getJson, percentile, sleep } from '../support/http-load.js';

const DRAIN_SECONDS = 2;
const TIMEOUT_SECONDS = 5;
const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'socket hang up']);

describe('fault: SIGTERM under load', { timeout: 120_000 }, () => {
  let database: TestDatabase;
  let server: RunningServer;

  before(async () => {
    database = await createTestDatabase();
    server = await startServer({
      env: {
        DATABASE_URL: database.url,
        LOG_LEVEL: 'debug',
        SHUTDOWN_DRAIN_SECONDS: String(DRAIN_SECONDS),
        SHUTDOWN_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
      },
    });
  });
  after(async () => {
    if (server.process.exitCode === null) await server.stop('SIGKILL');
    await database.drop();
  });

  test('no accepted request fails; readiness 503 at once; drained; exit 0 within the grace period', async () => {
    const prefix = `term-${randomBytes(4).toString('hex')}`;
    let running = true;
    const started = Date.now();
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
      server.process.once('exit', (code) => resolve({ code, at: Date.now() })),
    );
    const load = createCheckinsFlat({ url: server.url, prefix, concurrency: 12, running: () => running, boundMs: 15_000 });

    await sleep(1_500);
    const termAt = Date.now();
    server.process.kill('SIGTERM');
    // The signal reaches the process asynchronously: poll until readiness turns, and time it.
    let readyAfterTerm = await getJson(`${server.url}/readyz`);
    while (readyAfterTerm.status === 200 && Date.now() - termAt < 3_000) readyAfterTerm = await getJson(`${server.url}/readyz`);
    const readinessTurnedMs = Date.now() - termAt;
    const { code, at: exitedAt } = await exited;
    // Keep the clients going a moment after the exit: they must see refusals, not hangs.
    await sleep(300);
    running = false;
    const outcomes = await load;

    const output = server.output();
    const accepted = new Set<string>();
    for (const line of output.split('\n')) {
      if (!line.includes('"incoming request"')) continue;
      const reqId = (JSON.parse(line) as { reqId?: string }).reqId;
      if (reqId?.startsWith(prefix)) accepted.add(reqId);
    }
    const rows = await database.query<{ lastname: string; id: number }>(
      `SELECT id::int AS id, lastname FROM checkins WHERE lastname LIKE $1`,
      [`${prefix}-%`],
    );
    const stored = new Map(rows.map((row) => [row.lastname, row.id]));

    const acknowledged = outcomes.filter((o) => o.status === 201);
    const failedAccepted = outcomes.filter((o) => accepted.has(o.id) && o.status !== 201);
    const notAccepted = outcomes.filter((o) => !accepted.has(o.id));
    const badFailures = outcomes.filter((o) => o.status !== 201 && !(o.error !== undefined && CONNECTION_ERRORS.has(o.error)));
    const lost = acknowledged.filter((o) => stored.get(o.id) !== (JSON.parse(o.body!) as { id: number }).id);
    const duringDrain = acknowledged.filter((o) => o.startedAt >= termAt && o.startedAt < termAt + DRAIN_SECONDS * 1000);
    const lastAck = Math.max(...acknowledged.map((o) => o.startedAt + o.ms));
    const errorKinds: Record<string, number> = {};
    for (const o of outcomes) if (o.error) errorKinds[o.error] = (errorKinds[o.error] ?? 0) + 1;

    console.log(
      [
        `SIGTERM under load: ${outcomes.length} requests in ${((Date.now() - started) / 1000).toFixed(1)} s, 12 clients, drain ${DRAIN_SECONDS} s, timeout ${TIMEOUT_SECONDS} s`,
        `  accepted by the server (logged): ${accepted.size}; acknowledged (201): ${acknowledged.length}; found in the database: ${acknowledged.length - lost.length}`,
        `  accepted but failed: ${failedAccepted.length}; never accepted: ${notAccepted.length} (${JSON.stringify(errorKinds)}); other failures: ${badFailures.length}`,
        `  201s during the drain: ${duringDrain.length}; last 201 ${lastAck - termAt} ms after SIGTERM; exit code ${code} ${exitedAt - termAt} ms after SIGTERM`,
        `  /readyz after SIGTERM: ${readyAfterTerm.status} ${readinessTurnedMs} ms after the signal (${JSON.stringify(readyAfterTerm.json?.reason)})`,
        `  latency p50/p99/max: ${percentile(
          outcomes.map((o) => o.ms),
          50,
        )}/${percentile(
          outcomes.map((o) => o.ms),
          99,
        )}/${Math.max(...outcomes.map((o) => o.ms))} ms`,
      ].join('\n'),
    );

    assert.equal(readyAfterTerm.status, 503, '/readyz is 503 as soon as SIGTERM arrives');
    assert.equal(readyAfterTerm.json?.reason, 'shutting down');
    // The server flips readiness in the signal handler itself; this bound covers a busy event loop.
    assert.ok(readinessTurnedMs < 2_000, 'at once');
    assert.equal(code, 0, 'exit code 0');
    assert.ok(exitedAt - termAt >= DRAIN_SECONDS * 1000, 'kept serving for the drain delay');
    assert.ok(exitedAt - termAt <= (DRAIN_SECONDS + TIMEOUT_SECONDS) * 1000, 'exited within the grace period');
    assert.ok(duringDrain.length > 0, 'check-ins were created during the drain');
    assert.ok(lastAck - termAt >= (DRAIN_SECONDS - 0.5) * 1000, 'served until the end of the drain');
    assert.ok(accepted.size > 0 && acknowledged.length > 0);
    assert.deepEqual(
      failedAccepted.map((o) => `${o.id}: ${o.status ?? o.error}`),
      [],
      'every request the server read was answered 201',
    );
    assert.deepEqual(
      badFailures.map((o) => `${o.id}: ${o.status ?? o.error}`),
      [],
      'unaccepted requests only fail at the connection level',
    );
    assert.ok(notAccepted.length > 0, 'the clients kept sending after the listener closed');
    assert.equal(lost.length, 0, 'every 201 is in the table');
    assert.equal(acknowledged.length, accepted.size, 'the server answered 201 exactly to the requests it read');
    assert.match(output, /"shutdown complete"/);
  });
});
