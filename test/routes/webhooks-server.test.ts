// Webhooks from the real server process (bin/barona.js serve), as a black box: on the embedded database
// (what `npm start` runs), an endpoint on 127.0.0.1 gets a signed check-in, a 500 is retried within 30 s
// with the same webhook-id, and the delivery log holds both attempts; a file: URL is a 400. On
// PostgreSQL, a server killed (SIGKILL) between the commit of a check-in and its delivery loses nothing:
// the next server delivers it exactly once, and does not send again what was already delivered.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Browser } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../support/ports.js';
import { startServer, type RunningServer } from '../support/server.js';

const PASSWORD = 'correct horse battery staple';

interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  at: number;
}

/** Receives webhooks on 127.0.0.1:`port`; `answer` gives each status. */
function receiver(port: number, answer: (index: number) => number = () => 200) {
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      received.push({
        id: String(request.headers['webhook-id']),
        timestamp: String(request.headers['webhook-timestamp']),
        signature: String(request.headers['webhook-signature']),
        body,
        at: Date.now(),
      });
      response.writeHead(answer(received.length - 1)).end();
    });
  });
  return {
    received,
    url: `http://127.0.0.1:${port}/hook`,
    listen: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    async waitFor(count: number, ms: number) {
      const deadline = Date.now() + ms;
      while (received.length < count) {
        if (Date.now() > deadline) assert.fail(`expected ${count} deliveries within ${ms} ms, got ${received.length}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

/** The signature check a receiver makes (Standard Webhooks), written here independently. */
function signedBy(secret: string, delivery: Received): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${delivery.id}.${delivery.timestamp}.${delivery.body}`).digest('base64');
  return delivery.signature.split(' ').includes(`v1,${expected}`);
}

async function admin(server: RunningServer) {
  const browser = new Browser(server.url);
  const csrf = await browser.signIn('admin', PASSWORD);
  const call = (method: string, path: string, json?: unknown) =>
    browser.request(method, path, { json, headers: { 'x-csrf-token': csrf, accept: 'application/json' } });
  return { call };
}

async function checkIn(server: RunningServer, firstname: string): Promise<number> {
  const response = await fetch(`${server.url}/api/v1/checkins`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ firstname, lastname: 'Blackbox', gate: 'Main' }),
  });
  assert.equal(response.status, 201);
  return ((await response.json()) as { id: number }).id;
}

describe('webhooks from the server on the embedded database', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ env: { ADMIN_PASSWORD: PASSWORD, WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
  });
  after(async () => {
    assert.equal(await server.stop(), 0, 'a clean shutdown with the worker running');
  });

  test('a check-in, a 500, a retry within 30 s with the same webhook-id, a valid signature, both attempts logged; file: is a 400', async () => {
    const hooks = receiver(await freePort(), (index) => (index === 0 ? 500 : 200));
    await hooks.listen();
    try {
      const { call } = await admin(server);
      const refused = await call('POST', '/api/v1/webhooks', { url: 'file:///etc/passwd', events: ['checkin.created'] });
      assert.equal(refused.status, 400);
      assert.match(refused.json<{ detail: string }>().detail, /^url: /);
      const created = await call('POST', '/api/v1/webhooks', { url: hooks.url, events: ['checkin.created'] });
      assert.equal(created.status, 201, created.text);
      const { id, secret } = created.json<{ id: number; secret: string }>();
      const entry = await checkIn(server, 'Embedded');
      await hooks.waitFor(2, 30_000);
      const [first, second] = hooks.received as [Received, Received];
      assert.equal(second.id, first.id, 'the same webhook-id on the retry');
      assert.ok(second.at - first.at < 30_000);
      assert.ok(signedBy(secret, first) && signedBy(secret, second), 'signed with the whsec_ secret');
      assert.equal(JSON.parse(second.body).data.id, entry);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const log = (await call('GET', `/api/v1/webhooks/${id}/deliveries`)).json<{
        items: { status: number; attempt: number; webhookId: string }[];
      }>();
      assert.deepEqual(
        log.items.map(({ status, attempt, webhookId }) => ({ status, attempt, webhookId })),
        [
          { status: 200, attempt: 2, webhookId: first.id },
          { status: 500, attempt: 1, webhookId: first.id },
        ],
      );
    } finally {
      await hooks.close();
    }
  });
});

describe('webhooks when the server is killed between commit and delivery (PostgreSQL)', () => {
  let database: TestDatabase;
  const env = () => ({ DATABASE_URL: database.url, ADMIN_PASSWORD: PASSWORD, WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => database.drop());

  test('nothing is lost and nothing delivered is sent again', async (t) => {
    const began = Date.now();
    const hooks = receiver(await freePort());
    await hooks.listen();
    const first = await startServer({ env: env() });
    let second: RunningServer | undefined;
    try {
      const { call } = await admin(first);
      const created = await call('POST', '/api/v1/webhooks', { url: hooks.url, events: ['checkin.created'] });
      assert.equal(created.status, 201, created.text);
      const { secret } = created.json<{ secret: string }>();
      // Delivered and recorded as delivered before the crash.
      const delivered = await checkIn(first, 'Before');
      await hooks.waitFor(1, 10_000);
      for (let i = 0; (await database.query(`SELECT 1 FROM outbox_messages WHERE state = 'delivered'`)).length === 0; i++) {
        assert.ok(i < 100, 'recorded as delivered');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // The receiver goes away; a check-in commits; the process dies at once.
      await hooks.close();
      const pending = await checkIn(first, 'During');
      first.process.kill('SIGKILL');
      await first.stop();
      const rows = await database.query<{ state: string }>(`SELECT state FROM outbox_messages ORDER BY id`);
      assert.deepEqual(
        rows.map((row) => row.state),
        ['delivered', 'pending'],
        'the committed event survived the crash',
      );

      t.diagnostic(
        `killed after ${Date.now() - began} ms; attempts ${JSON.stringify(await database.query('SELECT attempts, next_attempt_at > now() AS later FROM outbox_messages ORDER BY id'))}`,
      );
      await hooks.listen();
      second = await startServer({ env: env() });
      t.diagnostic(`second started after ${Date.now() - began} ms`);
      await hooks.waitFor(2, 60_000);
      t.diagnostic(`delivered after ${Date.now() - began} ms`);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const ids = hooks.received.map((r) => JSON.parse(r.body).data.id as number);
      assert.deepEqual(ids, [delivered, pending], 'each event exactly once');
      assert.ok(hooks.received.every((r) => signedBy(secret, r)));
      assert.deepEqual(
        (await database.query<{ state: string }>(`SELECT state FROM outbox_messages ORDER BY id`)).map((row) => row.state),
        ['delivered', 'delivered'],
      );
    } finally {
      if (first.process.exitCode === null && first.process.signalCode === null) await first.stop('SIGKILL');
      if (second) assert.equal(await second.stop(), 0);
      await hooks.close().catch(() => undefined);
    }
  });
});
