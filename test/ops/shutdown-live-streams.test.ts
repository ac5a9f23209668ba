// SIGTERM with the attendance sheet open in six tabs: every live stream (server-sent events) is told to
// reconnect (`event: reconnect`, a short `retry:`) and closed at once, so the process exits in well under
// 3 s instead of waiting SHUTDOWN_TIMEOUT_SECONDS for them; the pages reconnect to another replica. A
// stream opened during the drain is sent off the same way, and requests are still answered meanwhile.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';
import { Browser } from '../support/browser.js';
import { sleep } from '../support/http-load.js';

const PASSWORD = 'shutdown streams password';

/** One open stream: everything it received, and when it ended. */
interface Stream {
  status: number;
  received: () => string;
  ended: Promise<number>;
}

async function openStream(url: string, cookie: string): Promise<Stream> {
  const response = await fetch(`${url}/admin/events`, { headers: { cookie, accept: 'text/event-stream' } });
  let text = '';
  const ended = (async () => {
    try {
      for await (const chunk of response.body!) text += Buffer.from(chunk).toString('utf8');
    } catch {
      // a reset counts as an end too; the assertions look at what arrived before it
    }
    return Date.now();
  })();
  for (let i = 0; !text.includes('event: ready\n') && response.status === 200 && i < 100; i++) await sleep(20);
  return { status: response.status, received: () => text, ended };
}

async function signedIn(server: RunningServer): Promise<Browser> {
  const browser = new Browser(server.url);
  await browser.signIn('admin', PASSWORD);
  return browser;
}

describe('SIGTERM with live streams open', { timeout: 120_000 }, () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    await database.drop();
  });

  async function start(env: Record<string, string> = {}): Promise<RunningServer> {
    const server = await startServer({
      env: { DATABASE_URL: database.url, AUTH_MODE: 'token', ADMIN_PASSWORD: PASSWORD, LOG_LEVEL: 'info', ...env },
    });
    for (let i = 0; (await database.query('SELECT 1 FROM admin_users')).length === 0; i++) {
      if (i > 50) throw new Error('no first admin');
      await sleep(100);
    }
    return server;
  }

  test('six open streams each get a last "reconnect" event and are closed; the process exits 0 in under 3 s', async () => {
    const server = await start();
    // Five streams per session at most: two sessions, as two people's tabs.
    const [one, two] = [await signedIn(server), await signedIn(server)];
    const streams = await Promise.all(Array.from({ length: 6 }, (_, i) => openStream(server.url, (i < 3 ? one : two).cookieHeader())));
    for (const stream of streams) {
      assert.equal(stream.status, 200);
      assert.match(stream.received(), /event: ready\n/);
    }
    const exited = new Promise<number | null>((resolve) => server.process.once('exit', (code) => resolve(code)));
    const termAt = Date.now();
    server.process.kill('SIGTERM');
    const endedAt = await Promise.all(streams.map((stream) => stream.ended));
    const code = await exited;
    const exitMs = Date.now() - termAt;
    console.log(
      `SIGTERM with 6 live streams: streams ended ${endedAt.map((at) => at - termAt).join('/')} ms after the signal; exit ${code} after ${exitMs} ms`,
    );
    for (const stream of streams) {
      assert.match(stream.received(), /retry: \d+\nevent: reconnect\ndata: \{\}\n\n$/, 'the last event tells the page to reconnect');
    }
    assert.equal(code, 0);
    assert.ok(exitMs < 3_000, `exited in ${exitMs} ms`);
    assert.ok(Math.max(...endedAt) - termAt < 1_000, 'the streams ended at once');
    assert.match(server.output(), /"streams":6,"msg":"shutting down: readiness is now 503"/);
  });

  test('during the drain, a new stream is told to reconnect at once while requests are still answered', async () => {
    const server = await start({ SHUTDOWN_DRAIN_SECONDS: '6', SHUTDOWN_TIMEOUT_SECONDS: '5' });
    const admin = await signedIn(server);
    const before = await openStream(server.url, admin.cookieHeader());
    const exited = new Promise<number | null>((resolve) => server.process.once('exit', (code) => resolve(code)));
    const termAt = Date.now();
    server.process.kill('SIGTERM');
    await before.ended;
    assert.match(before.received(), /event: reconnect\n/);

    // A page reconnecting to this replica before the load balancer has noticed it is stopping.
    const late = await openStream(server.url, admin.cookieHeader());
    assert.equal(late.status, 200);
    await late.ended;
    assert.doesNotMatch(late.received(), /event: ready\n/);
    assert.match(late.received(), /retry: \d+\nevent: reconnect\ndata: \{\}\n\n$/);
    const page = await admin.get('/admin/sheet');
    assert.equal(page.status, 200, 'pages are still served during the drain');
    assert.equal(page.headers.get('connection'), 'close');

    assert.equal(await exited, 0);
    const exitMs = Date.now() - termAt;
    assert.ok(exitMs >= 6_000 && exitMs < 11_000, `drained, then exited (${exitMs} ms)`);
  });
});
