// Probes, metrics, logs and request limits, over HTTP against the running service on PostgreSQL.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { api, type ApiResponse } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../support/ports.js';
import { startServer, type RunningServer } from '../support/server.js';

const create = (url: string, body: unknown) => api(`${url}/table/create`, { method: 'POST', body });

/** The value of one sample line of Prometheus text, e.g. metric('x_total{gate="A"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('probes, metrics and logs', { timeout: 120_000 }, () => {
  let database: TestDatabase;
  let server: RunningServer;
  let metricsPort: number;
  let password: string;

  before(async () => {
    database = await createTestDatabase();
    // The URL carries a password either way: the throwaway server's real one, or (on a trust-auth server,
    // which ignores it) a made-up one. Both are secrets that must not reach the logs.
    const url = new URL(database.url);
    if (!url.password) url.password = `pw-${randomBytes(6).toString('hex')}`;
    password = decodeURIComponent(url.password);
    metricsPort = await freePort();
    server = await startServer({ env: { DATABASE_URL: url.toString(), LOG_LEVEL: 'info', METRICS_PORT: String(metricsPort) } });
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
    await database.drop();
  });

  test('/healthz and /readyz answer 200 with their checks', async () => {
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready', checks: { database: 'ok', schema: 'ok', startup: 'ok', shutdown: 'ok' } });
  });

  test('an X-Request-Id is honoured, returned and on every log line of that request; a bad one is replaced', async () => {
    const id = `trace-${randomBytes(4).toString('hex')}`;
    const response = await fetch(`${server.url}/table/view/date:today`, { headers: { 'x-request-id': id } });
    assert.equal(response.headers.get('x-request-id'), id);
    const generated = await fetch(`${server.url}/table/`, { headers: { 'x-request-id': 'bad id with spaces' } });
    assert.match(generated.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const lines = server
      .output()
      .split('\n')
      .filter((line) => line.includes(id))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    // One line per request at info: what was asked (method, path, route), the answer and its time.
    assert.deepEqual(
      lines.map((l) => l.msg),
      ['request completed'],
    );
    for (const line of lines) assert.equal(line.reqId, id);
    assert.deepEqual(lines[0]!.req, { method: 'GET', path: '/table/view/date:today', route: '/table/view/:spec' });
    assert.deepEqual(lines[0]!.res, { statusCode: 200 });
    assert.equal(typeof lines[0]!.responseTime, 'number');
  });

  test('generated request ids are unique and shaped like UUIDs', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const response = await fetch(`${server.url}/healthz`);
      await response.arrayBuffer();
      const id = response.headers.get('x-request-id') ?? '';
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      ids.add(id);
    }
    assert.equal(ids.size, 20);
  });

  test('probes are not logged at LOG_LEVEL=info: one every few seconds would drown the request log', async () => {
    const id = `probe-${randomBytes(4).toString('hex')}`;
    // (This server has METRICS_PORT: /metrics is not on its main port.)
    for (const probe of ['healthz', 'readyz']) {
      const response = await fetch(`${server.url}/${probe}`, { headers: { 'x-request-id': `${id}-${probe}` } });
      assert.equal(response.status, 200);
      await response.arrayBuffer();
    }
    await fetch(`${server.url}/table/`, { headers: { 'x-request-id': `${id}-page` } }).then((response) => response.arrayBuffer());
    await new Promise((resolve) => setTimeout(resolve, 200));
    const logged = server
      .output()
      .split('\n')
      .filter((line) => line.includes(id))
      .map((line) => (JSON.parse(line) as { reqId: string }).reqId);
    assert.deepEqual([...new Set(logged)], [`${id}-page`]);
  });

  test('logs are JSON and hold neither names nor the database password nor query strings', async () => {
    const name = `Zyxwvut${randomBytes(4).toString('hex')}`;
    const created = await create(server.url, { firstname: name, lastname: `${name}son`, gate: 'L' });
    assert.equal(created.status, 201);
    const invalid = await fetch(`${server.url}/table/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"firstname": ${name}}`,
    });
    assert.equal(invalid.status, 400);
    await fetch(`${server.url}/nowhere?name=${name}`);
    await fetch(`${server.url}/table/view/date:today?lastname=${name}`);
    // Credentials in headers, accepted or not: headers are never logged.
    const secret = `secret${randomBytes(8).toString('hex')}`;
    for (const path of ['/api/v1/checkins', '/admin/sheet']) {
      await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${secret}`, cookie: `barona_session=${secret}` } });
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    const output = server.output();
    // One plain line is allowed: a generated first-admin password, shown once to whoever started the
    // process and deliberately not a field of a JSON log line.
    const lines = output
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('barona: first admin "admin" created with the generated password'));
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `not JSON: ${line}`);
    assert.ok(lines.length >= 8, 'requests were logged');
    assert.ok(!output.includes(name), 'no name in the logs');
    assert.ok(!output.includes(password), 'no database password in the logs');
    assert.ok(!output.includes(secret), 'no token or session cookie in the logs');
    assert.match(output, /postgres:\*\*\*@/, 'the database is named with its password masked');
  });

  test('/metrics is on METRICS_PORT only, with request, pool, check-in and process metrics', async () => {
    const atStart = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const gate = `G${randomBytes(3).toString('hex')}`;
    for (let i = 0; i < 3; i++) assert.equal((await create(server.url, { firstname: 'Metric', lastname: 'Counter', gate })).status, 201);
    assert.equal((await create(server.url, { firstname: '', lastname: 'Counter' })).status, 400);
    // Check-ins through /api/v1 (as the kiosk sends them) count too; a duplicate stores nothing and does not.
    const checkin = (firstname: string) => api(`${server.url}/api/v1/checkins`, { body: { firstname, lastname: 'Counter', gate } });
    assert.equal((await checkin('Kiosk')).status, 201);
    assert.equal((await checkin('Kiosk')).status, 200, 'duplicate');
    assert.equal((await checkin('Api')).status, 201);
    await fetch(`${server.url}/table/view/date:20260101`);
    await fetch(`${server.url}/table/view/date:20260102`);
    // The first day again: sent from memory; and once more as a conditional request: 304.
    const etag = (await fetch(`${server.url}/table/view/date:20260101`)).headers.get('etag')!;
    assert.equal((await fetch(`${server.url}/table/view/date:20260101`, { headers: { 'if-none-match': etag } })).status, 304);
    await fetch(`${server.url}/no/such/${randomBytes(4).toString('hex')}`);

    assert.equal((await fetch(`${server.url}/metrics`)).status, 404, 'not on the main port when METRICS_PORT is set');
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await response.text();

    assert.equal(sample(text, `barona_checkins_created_total{gate="${gate}"}`), 5, 'three seed and two API check-ins');
    assert.ok(sample(text, 'barona_http_requests_total{method="POST",route="/table/create",status="201"}')! >= 3);
    assert.ok(sample(text, 'barona_http_requests_total{method="POST",route="/table/create",status="400"}')! >= 1);
    // Route patterns, never raw URLs: both days land in one series; unknown paths in "unmatched".
    assert.ok(sample(text, 'barona_http_requests_total{method="GET",route="/table/view/:spec",status="200"}')! >= 2);
    assert.ok(!text.includes('date:20260101') && !text.includes('/no/such/'), 'no raw URL in any label');
    const sheetReads = (answer: string, metrics: string) => sample(metrics, `barona_day_sheet_reads_total{answer="${answer}"}`) ?? 0;
    assert.equal(sheetReads('built', text) - sheetReads('built', atStart), 2, 'two days built');
    assert.equal(sheetReads('kept', text) - sheetReads('kept', atStart), 1, 'one sent from memory');
    assert.equal(sheetReads('not_modified', text) - sheetReads('not_modified', atStart), 1, 'one 304');
    assert.ok(sample(text, 'barona_http_requests_total{method="GET",route="unmatched",status="404"}')! >= 1);
    assert.ok(sample(text, 'barona_http_request_duration_seconds_count{method="POST",route="/table/create",status="201"}')! >= 3);
    assert.ok(text.includes('barona_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/table/create",status="201"}'));
    // The counter is handed its counts at each scrape: exact, and equal to the histogram's count, every time.
    const created = 'method="POST",route="/table/create",status="201"';
    const before = sample(text, `barona_http_requests_total{${created}}`)!;
    assert.equal(before, sample(text, `barona_http_request_duration_seconds_count{${created}}`));
    for (let i = 0; i < 4; i++) assert.equal((await create(server.url, { firstname: 'Metric', lastname: 'Again', gate })).status, 201);
    const again = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.equal(sample(again, `barona_http_requests_total{${created}}`), before + 4);
    assert.equal(sample(again, `barona_http_request_duration_seconds_count{${created}}`), before + 4);
    for (const gauge of [
      'barona_db_pool_connections',
      'barona_db_pool_idle_connections',
      'barona_db_pool_in_use_connections',
      'barona_db_pool_waiting_requests',
    ]) {
      const value = sample(text, gauge);
      assert.ok(value !== undefined && value >= 0, `${gauge} = ${value}`);
    }
    assert.ok(sample(text, 'barona_db_pool_connections')! >= 1, 'the pool has connections after traffic');
    assert.ok(sample(text, 'process_resident_memory_bytes')! > 0);
    assert.ok(text.includes('nodejs_eventloop_lag_seconds'));
  });
});

describe('request limits', { timeout: 90_000 }, () => {
  let database: TestDatabase;
  let server: RunningServer;

  before(async () => {
    database = await createTestDatabase();
    server = await startServer({
      env: {
        DATABASE_URL: database.url,
        RATE_LIMIT_WRITES_PER_MINUTE: '5',
        HTTP_HEADERS_TIMEOUT_SECONDS: '2',
        HTTP_REQUEST_TIMEOUT_SECONDS: '3',
      },
    });
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
    await database.drop();
  });

  test('a body over 64 KiB is refused with 413', async () => {
    const response = await create(server.url, { firstname: 'x'.repeat(70_000), lastname: 'y' });
    assert.equal(response.status, 413);
  });

  test('writes are rate limited per client (429 with Retry-After); reads are not', async () => {
    const statuses: number[] = [];
    let limited: ApiResponse | undefined;
    for (let i = 0; i < 7; i++) {
      const response = await create(server.url, { firstname: 'Rate', lastname: `Limit${i}`, gate: 'R' });
      statuses.push(response.status);
      if (response.status === 429) limited = response;
    }
    // The 413 above was a write too: 4 creates fit in the budget of 5.
    assert.deepEqual(statuses, [201, 201, 201, 201, 429, 429, 429]);
    assert.ok(Number(limited!.headers.get('retry-after')) > 0);
    const rows = await database.query<{ n: number }>(`SELECT count(*)::int AS n FROM checkins WHERE firstname = 'Rate'`);
    assert.equal(rows[0]!.n, 4);
    for (let i = 0; i < 10; i++) assert.equal((await fetch(`${server.url}/table/view/date:today`)).status, 200);
  });

  test('a client that never finishes its headers is cut off by the header timeout', async () => {
    const started = Date.now();
    const closed = await new Promise<{ ms: number; answer: string }>((resolve) => {
      const socket = net.connect(server.port, '127.0.0.1');
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
      socket.on('close', () => resolve({ ms: Date.now() - started, answer }));
      socket.on('error', () => undefined);
      socket.write('GET /table/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
      // Trickle a byte now and then, like a slowloris client: still cut off.
      const trickle = setInterval(() => socket.writable && socket.write('a'), 300);
      socket.on('close', () => clearInterval(trickle));
      setTimeout(() => socket.destroy(), 15_000);
    });
    console.log(`slow headers: connection closed after ${closed.ms} ms (${JSON.stringify(closed.answer.split('\r\n')[0])})`);
    assert.ok(closed.ms >= 1_500 && closed.ms < 6_000, `closed after ${closed.ms} ms`);
    assert.match(closed.answer, /^HTTP\/1\.1 408/);
  });
});
