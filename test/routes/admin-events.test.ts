// The attendance sheet's live-update stream (GET /admin/events): an open stream is not activity, so an
// unattended sheet still reaches the session's idle limit; streams are capped per session.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Browser } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';

const PASSWORD = 'correct horse battery staple';

interface Stream {
  status: number;
  text(): string;
  ended: Promise<void>;
  close(): void;
}

/** Opens the event stream with the browser's cookies; resolves once the answer's head has arrived. */
function openStream(server: RunningServer, admin: Browser): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      {
        host: '127.0.0.1',
        port: server.port,
        path: '/admin/events',
        headers: { cookie: admin.cookieHeader(), accept: 'text/event-stream' },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (text += chunk));
        const ended = new Promise<void>((done) => response.on('close', done));
        resolve({ status: response.statusCode!, text: () => text, ended, close: () => request.destroy() });
      },
    );
    request.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error)));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('live-update streams (PostgreSQL, AUTH_MODE=token)', { timeout: 120_000 }, () => {
  let database: TestDatabase;
  let server: RunningServer;

  before(async () => {
    database = await createTestDatabase();
    server = await startServer({
      env: {
        DATABASE_URL: database.url,
        AUTH_MODE: 'token',
        ADMIN_PASSWORD: PASSWORD,
        SESSION_IDLE_MINUTES: '2',
        LIVE_HEARTBEAT_SECONDS: '1',
      },
    });
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
    await database.drop();
  });

  test('an open stream does not keep its session alive; the session still ends at its idle limit', async () => {
    const admin = new Browser(server.url);
    await admin.signIn('admin', PASSWORD);
    const stream = await openStream(server, admin);
    assert.equal(stream.status, 200);
    // The person last did something 90 s ago: within the 2-minute idle limit, past the 1-minute refresh.
    await database.query(`UPDATE admin_sessions SET last_seen_at = now() - interval '90 seconds'`);
    await sleep(2_500); // two heartbeats
    const [seen] = await database.query<{ idle: number }>(
      `SELECT extract(epoch FROM now() - last_seen_at)::int AS idle FROM admin_sessions`,
    );
    assert.ok(seen!.idle >= 90, `the heartbeats did not count as activity (idle ${seen!.idle} s)`);

    await database.query(`UPDATE admin_sessions SET last_seen_at = now() - interval '3 minutes'`);
    await stream.ended;
    assert.match(stream.text(), /event: signed-out/);
    const page = await admin.get('/admin/sheet');
    assert.equal(page.status, 303, 'the session has ended');
  });

  test('at most 5 streams per session; a closed stream frees its place', async () => {
    const admin = new Browser(server.url);
    await admin.signIn('admin', PASSWORD);
    const streams: Stream[] = [];
    for (let i = 0; i < 5; i++) streams.push(await openStream(server, admin));
    assert.deepEqual(
      streams.map((s) => s.status),
      [200, 200, 200, 200, 200],
    );
    const refused = await openStream(server, admin);
    assert.equal(refused.status, 429);
    await refused.ended;
    assert.match(refused.text(), /At most 5 live updates per session/);

    const other = new Browser(server.url);
    await other.signIn('admin', PASSWORD);
    const elsewhere = await openStream(server, other);
    assert.equal(elsewhere.status, 200, 'another session has its own places');
    elsewhere.close();

    streams[0]!.close();
    await streams[0]!.ended;
    await sleep(200);
    const again = await openStream(server, admin);
    assert.equal(again.status, 200);
    for (const stream of [...streams.slice(1), again]) stream.close();
  });
});
