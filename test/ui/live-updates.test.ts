// Live updates of the attendance sheet over HTTP: the server-sent-events stream of one replica reports
// check-ins handled by itself and, through PostgreSQL LISTEN/NOTIFY, by another replica; it needs a
// session and ends when the session does.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';
import { Browser } from '../support/browser.js';

const PASSWORD = 'live updates password';

/** Reads an SSE stream and resolves when an event of `type` arrives (or rejects after timeoutMs). */
class EventStream {
  private buffer = '';
  private readonly controller = new AbortController();
  readonly status: Promise<number>;
  private waiters: { type: string; resolve: () => void }[] = [];

  constructor(url: string, cookie: string) {
    this.status = fetch(url, { headers: { cookie, accept: 'text/event-stream' }, signal: this.controller.signal }).then((response) => {
      void this.pump(response);
      return response.status;
    });
  }

  private async pump(response: Response) {
    try {
      for await (const chunk of response.body!) {
        this.buffer += Buffer.from(chunk).toString('utf8');
        for (const waiter of [...this.waiters]) {
          if (this.buffer.includes(`event: ${waiter.type}\n`)) {
            this.waiters = this.waiters.filter((w) => w !== waiter);
            waiter.resolve();
          }
        }
      }
    } catch {
      // aborted
    }
  }

  /** Forgets what arrived so far. */
  reset() {
    this.buffer = '';
  }

  next(type: string, timeoutMs = 5_000): Promise<void> {
    if (this.buffer.includes(`event: ${type}\n`)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "${type}" event within ${timeoutMs} ms; got: ${JSON.stringify(this.buffer)}`)),
        timeoutMs,
      );
      this.waiters.push({ type, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  close() {
    this.controller.abort();
  }
}

describe('live updates (server-sent events) across two replicas on PostgreSQL', () => {
  let database: TestDatabase;
  let first: RunningServer;
  let second: RunningServer;
  let admin: Browser;

  before(async () => {
    database = await createTestDatabase();
    const env = { DATABASE_URL: database.url, AUTH_MODE: 'token', ADMIN_PASSWORD: PASSWORD };
    [first, second] = await Promise.all([startServer({ env }), startServer({ env })]);
    admin = new Browser(first.url);
    for (let i = 0; (await database.query('SELECT 1 FROM admin_users')).length === 0; i++) {
      if (i > 50) throw new Error('no first admin');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await admin.signIn('admin', PASSWORD);
  });
  after(async () => {
    assert.equal(await first.stop(), 0, 'open event streams do not block a graceful stop');
    assert.equal(await second.stop(), 0);
    await database.drop();
  });

  test('the stream needs an admin session', async () => {
    const anonymous = await fetch(`${first.url}/admin/events`, { headers: { accept: 'text/event-stream' } });
    assert.equal(anonymous.status, 401);
    await anonymous.arrayBuffer();
  });

  test('a check-in on this replica and one on the other replica both arrive', async () => {
    const csrf = Browser.csrf((await admin.get('/admin/tokens')).text);
    const created = await admin.post('/admin/tokens', { _csrf: csrf, name: 'Live tablet', gate: '', scope: ['checkin', 'read'] });
    const token = /value="(brn_[^"]+)"/.exec(created.text)![1]!;

    const stream = new EventStream(`${first.url}/admin/events`, admin.cookieHeader());
    assert.equal(await stream.status, 200);
    await stream.next('ready');

    const post = (server: RunningServer, lastname: string) =>
      fetch(`${server.url}/table/create`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ firstname: 'Live', lastname, gate: 'L' }),
      }).then((response) => response.status);

    assert.equal(await post(first, 'Local'), 201);
    await stream.next('change');
    stream.reset();
    assert.equal(await post(second, 'Remote'), 201);
    await stream.next('change'); // delivered through NOTIFY on the other replica
    stream.close();
  });
});
