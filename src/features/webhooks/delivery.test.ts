// Delivery of webhooks from the outbox to a real HTTP receiver on 127.0.0.1, in-process against
// PostgreSQL (WEBHOOK_ALLOW_PRIVATE_NETWORKS=true): signatures checked by a verifier written here (the
// HMAC computed by the test, as the Standard Webhooks specification says); a 500 retried with the same
// webhook-id and both attempts in the log; two apps with their workers on one database deliver each
// event once; check-in events commit with their batch; corrections, deletions and erasures are sent; a
// redirect is a failure; an endpoint failing for a day is disabled; a private target is refused again at
// delivery time when the flag is off.
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { build, signIn, type AdminSession, type TestApp } from '../../../test/support/app.js';
import { Changes } from '../../domain/changes.js';
import { OutboxWorker } from '../outbox/outbox-worker.js';
import { webhookHandler, type WebhookDeliveryOptions } from './webhook-delivery.js';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A webhook receiver: records every request; `answer` decides each status (default 204). */
class Receiver {
  readonly received: Received[] = [];
  answer: (request: Received, index: number) => number = () => 204;
  private server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const got = { headers: request.headers, body, at: Date.now() };
      this.received.push(got);
      const status = this.answer(got, this.received.length - 1);
      response.writeHead(status, status >= 300 && status < 400 ? { location: 'http://127.0.0.1:9/elsewhere' } : {});
      response.end(status === 204 ? undefined : 'answer');
    });
  });
  url = '';
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this;
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
  /** Waits until `count` requests have arrived (or fails after `ms`). */
  async waitFor(count: number, ms = 20_000): Promise<Received[]> {
    const deadline = Date.now() + ms;
    while (this.received.length < count) {
      if (Date.now() > deadline) assert.fail(`expected ${count} deliveries, got ${this.received.length}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.received;
  }
}

/** The Standard Webhooks verification, done independently of the code under test. */
function verify(secret: string, received: Received): { type: string; timestamp: string; data: Record<string, unknown> } {
  const id = received.headers['webhook-id'] as string;
  const timestamp = received.headers['webhook-timestamp'] as string;
  const signatures = String(received.headers['webhook-signature']).split(' ');
  assert.match(id, /^msg_[0-9a-f]{32}$/);
  assert.match(timestamp, /^\d+$/);
  assert.ok(Math.abs(Number(timestamp) - Date.now() / 1000) < 300, 'timestamp within 5 minutes');
  const key = Buffer.from(secret.split('_')[1]!, 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${received.body}`).digest();
  const valid = signatures.some((signature) => {
    const [version, value] = signature.split(',');
    const given = Buffer.from(value ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
  assert.ok(valid, 'a valid v1 signature');
  assert.equal(received.headers['content-type'], 'application/json');
  return JSON.parse(received.body);
}

const json = <T>(response: LightMyRequestResponse) => JSON.parse(response.body) as T;

function workerFor(running: TestApp, options: Partial<WebhookDeliveryOptions> = {}): OutboxWorker {
  return new OutboxWorker(
    running.db,
    new Changes(running.db),
    { webhook: webhookHandler(running.db, { allowPrivateNetworks: true, ...options }) },
    { pollMs: 100 },
  ).start();
}

describe('webhook delivery', () => {
  let running: TestApp;
  let owner: AdminSession;
  let receiver: Receiver;
  const workers: OutboxWorker[] = [];

  before(async () => {
    running = await build({ AUTH_MODE: 'token', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    owner = await signIn(running.app);
  });
  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.stop();
    await receiver?.close();
    await running.database.query(`DELETE FROM webhook_endpoints; DELETE FROM outbox_messages;`);
  });
  after(() => running.close());

  const register = async (url: string, events: string[]) => {
    const response = await owner.inject({ method: 'POST', url: '/api/v1/webhooks', payload: { url, events } });
    assert.equal(response.statusCode, 201, response.body);
    return json<{ id: number; secret: string }>(response);
  };
  const checkIn = async (firstname: string, lastname = 'Hooked') => {
    const response = await owner.inject({ method: 'POST', url: '/api/v1/checkins', payload: { firstname, lastname, gate: 'North' } });
    assert.equal(response.statusCode, 201, response.body);
    return json<{ id: number }>(response);
  };

  test('without an endpoint a check-in writes no outbox row', async () => {
    await checkIn('Nobody');
    const rows = await running.database.query(`SELECT 1 FROM outbox_messages`);
    assert.equal(rows.length, 0);
  });

  test('a check-in is delivered, signed, to the endpoint that asked for it (and not to one that did not)', async () => {
    receiver = await new Receiver().start();
    const hook = await register(receiver.url, ['checkin.created']);
    await register(`${receiver.url}?other`, ['person.erased']);
    workers.push(workerFor(running));
    const entry = await checkIn('Ada');
    const [received] = await receiver.waitFor(1);
    const payload = verify(hook.secret, received!);
    assert.equal(payload.type, 'checkin.created');
    assert.match(payload.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+Z$/);
    assert.equal(payload.data.id, entry.id);
    assert.equal(payload.data.firstname, 'Ada');
    assert.equal(payload.data.gate, 'North');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(receiver.received.length, 1, 'nothing to the endpoint subscribed to other events');
    const log = json<{
      items: { ok: boolean; status: number; attempt: number; webhookId: string; eventType: string; durationMs: number }[];
    }>(await owner.inject({ url: `/api/v1/webhooks/${hook.id}/deliveries` }));
    assert.equal(log.items.length, 1);
    assert.deepEqual(
      { ok: log.items[0]!.ok, status: log.items[0]!.status, attempt: log.items[0]!.attempt, eventType: log.items[0]!.eventType },
      { ok: true, status: 204, attempt: 1, eventType: 'checkin.created' },
    );
    assert.equal(log.items[0]!.webhookId, received!.headers['webhook-id']);
    const [message] = await running.database.query<{ state: string; body: string | null }>(`SELECT state, body FROM outbox_messages`);
    assert.deepEqual(message, { state: 'delivered', body: null }, 'done, and its body (names) no longer kept');
    const listed = json<{ items: { lastDelivery: { ok: boolean; status: number } }[] }>(await owner.inject({ url: '/api/v1/webhooks' }));
    assert.equal(listed.items[0]!.lastDelivery.ok, true);
  });

  test('a 500 is retried within 30 s with the same webhook-id, and both attempts are in the delivery log', async () => {
    receiver = await new Receiver().start();
    receiver.answer = (_request, index) => (index === 0 ? 500 : 200);
    const hook = await register(receiver.url, ['checkin.created']);
    workers.push(workerFor(running)); // the default schedule: the first retry after 5 s
    await checkIn('Retry');
    const [first, second] = await receiver.waitFor(2, 30_000);
    assert.equal(second!.headers['webhook-id'], first!.headers['webhook-id']);
    assert.equal(second!.body, first!.body, 'the same payload');
    verify(hook.secret, first!);
    verify(hook.secret, second!);
    assert.ok(second!.at - first!.at >= 4_000 && second!.at - first!.at < 30_000, `retried after ${second!.at - first!.at} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const log = json<{ items: { ok: boolean; status: number; attempt: number; webhookId: string; error: string | null }[] }>(
      await owner.inject({ url: `/api/v1/webhooks/${hook.id}/deliveries` }),
    );
    assert.deepEqual(
      log.items.map(({ ok, status, attempt, error }) => ({ ok, status, attempt, error })),
      [
        { ok: true, status: 200, attempt: 2, error: null },
        { ok: false, status: 500, attempt: 1, error: 'answered 500' },
      ],
    );
    assert.ok(log.items.every((item) => item.webhookId === first!.headers['webhook-id']));
    const page = json<{ items: unknown[]; nextCursor: string }>(
      await owner.inject({ url: `/api/v1/webhooks/${hook.id}/deliveries?limit=1` }),
    );
    assert.equal(page.items.length, 1);
    const older = json<{ items: { attempt: number }[]; nextCursor: null }>(
      await owner.inject({ url: `/api/v1/webhooks/${hook.id}/deliveries?limit=1&cursor=${page.nextCursor}` }),
    );
    assert.deepEqual(
      older.items.map((item) => item.attempt),
      [1],
    );
    assert.equal(older.nextCursor, null);
    assert.match((await owner.inject({ url: `/admin/webhooks/${hook.id}` })).body, /answered 500/);
  });

  test('two apps with their workers on one database deliver each event exactly once', async () => {
    receiver = await new Receiver().start();
    await register(receiver.url, ['checkin.created']);
    const second = await build({ AUTH_MODE: 'token', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' }, { database: running.database });
    try {
      workers.push(workerFor(running), workerFor(second));
      const entries = await Promise.all(Array.from({ length: 30 }, (_, i) => checkIn(`Twice${i}`)));
      await receiver.waitFor(30);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      assert.equal(receiver.received.length, 30, 'no event delivered twice');
      const ids = new Set(receiver.received.map((r) => JSON.parse(r.body).data.id as number));
      assert.deepEqual([...ids].sort(), entries.map((e) => e.id).sort());
    } finally {
      for (const worker of workers.splice(0)) await worker.stop();
      await second.app.close();
      await second.db.close();
    }
  });

  test('corrections, deletions, restores and erasures are sent; an erasure carries the id only', async () => {
    receiver = await new Receiver().start();
    const hook = await register(receiver.url, ['checkin.corrected', 'checkin.deleted', 'checkin.restored', 'person.erased']);
    workers.push(workerFor(running));
    const person = json<{ id: number }>(
      await owner.inject({ method: 'POST', url: '/api/v1/people', payload: { firstname: 'Erin', lastname: 'Erasable' } }),
    );
    const entry = await checkIn('Corra');
    assert.equal(
      (await owner.inject({ method: 'PATCH', url: `/api/v1/checkins/${entry.id}`, payload: { gate: 'South' } })).statusCode,
      200,
    );
    assert.equal((await owner.inject({ method: 'DELETE', url: `/api/v1/checkins/${entry.id}` })).statusCode, 204);
    assert.equal((await owner.inject({ method: 'POST', url: `/api/v1/people/${person.id}/erase` })).statusCode, 200);
    const received = await receiver.waitFor(3);
    const payloads = received.map((r) => verify(hook.secret, r));
    const byType = Object.fromEntries(payloads.map((p) => [p.type, p.data]));
    assert.equal(byType['checkin.corrected']!.gate, 'South');
    assert.equal(byType['checkin.deleted']!.id, entry.id);
    assert.deepEqual(byType['person.erased'], { id: person.id });
    assert.ok(!received.some((r) => r.body.includes('Erasable') || r.body.includes('Erin')), 'no name of the erased person');
  });

  test('a mark by hand and its taking back are sent as register.marked (mark, then null)', async () => {
    receiver = await new Receiver().start();
    const hook = await register(receiver.url, ['register.marked']);
    workers.push(workerFor(running));
    const created = async (url: string, payload: Record<string, unknown>, status = 201) => {
      const response = await owner.inject({ method: url.includes('/members/') ? 'PUT' : 'POST', url, payload });
      assert.equal(response.statusCode, status, response.body);
      return json<{ id: number }>(response);
    };
    const person = await created('/api/v1/people', { firstname: 'Mara', lastname: 'Marked' });
    const today = new Date().toISOString().slice(0, 10); // the app runs in UTC
    const group = await created('/api/v1/groups', {
      name: 'Hooked class',
      schedule: { from: today, to: today, weekdays: [1, 2, 3, 4, 5, 6, 7] },
    });
    await created(`/api/v1/groups/${group.id}/members/${person.id}`, {});
    const cell = `/api/v1/groups/${group.id}/register/${today}/${person.id}`;
    const marked = await owner.inject({ method: 'PUT', url: cell, payload: { status: 'present', reason: 'roll call' } });
    assert.ok(marked.statusCode === 200 || marked.statusCode === 201, marked.body);
    assert.equal((await owner.inject({ method: 'DELETE', url: cell })).statusCode, 204);
    // Deliveries run concurrently and may arrive in either order; the payload's `timestamp` (the time of
    // the change's transaction) is what a receiver orders them by.
    const payloads = (await receiver.waitFor(2)).map((r) => verify(hook.secret, r)).sort((a, b) => a.timestamp.localeCompare(b.timestamp));
    assert.ok(payloads[0]!.timestamp < payloads[1]!.timestamp, 'the mark and its taking back have distinct times');
    assert.deepEqual(
      payloads.map((p) => [p.type, p.data]),
      [
        ['register.marked', { groupId: group.id, day: today, personId: person.id, mark: 'present', reason: 'roll call' }],
        ['register.marked', { groupId: group.id, day: today, personId: person.id, mark: null, reason: null }],
      ],
    );
  });

  test('a redirect is a failure, not followed', async () => {
    receiver = await new Receiver().start();
    receiver.answer = () => 302;
    const hook = await register(receiver.url, ['checkin.created']);
    workers.push(workerFor(running, { retryDelaysSeconds: [3600] }));
    await checkIn('Redirected');
    await receiver.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(receiver.received.length, 1, 'the location was not followed');
    const log = json<{ items: { ok: boolean; status: number; error: string }[] }>(
      await owner.inject({ url: `/api/v1/webhooks/${hook.id}/deliveries` }),
    );
    assert.equal(log.items[0]!.ok, false);
    assert.equal(log.items[0]!.status, 302);
    assert.match(log.items[0]!.error, /redirect, not followed/);
  });

  test('an endpoint failing for a day is disabled, shown as such, and what was pending is cancelled', async () => {
    receiver = await new Receiver().start();
    receiver.answer = () => 503;
    const hook = await register(receiver.url, ['checkin.created']);
    await running.database.query(`UPDATE webhook_endpoints SET failing_since = now() - interval '25 hours' WHERE id = $1`, [hook.id]);
    workers.push(workerFor(running));
    await checkIn('Failing');
    await receiver.waitFor(1);
    for (let i = 0; i < 50; i++) {
      const state = json<{ state: string }>(await owner.inject({ url: `/api/v1/webhooks/${hook.id}` })).state;
      if (state === 'disabled-failing') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(
      json<{ state: string; enabled: boolean }>(await owner.inject({ url: `/api/v1/webhooks/${hook.id}` })).state,
      'disabled-failing',
    );
    const [message] = await running.database.query<{ state: string }>(`SELECT state FROM outbox_messages`);
    assert.equal(message!.state, 'cancelled');
    const audit = await running.database.query<{ actor: string; action: string }>(
      `SELECT actor, action FROM audit_log WHERE entity = 'webhook' AND entity_id = $1 ORDER BY id DESC LIMIT 1`,
      [String(hook.id)],
    );
    assert.deepEqual(audit[0], { actor: 'outbox (webhook)', action: 'disable' });
    assert.match((await owner.inject({ url: '/admin/webhooks' })).body, /disabled after failing/);
    await checkIn('AfterDisabled');
    assert.equal((await running.database.query(`SELECT 1 FROM outbox_messages`)).length, 1, 'nothing is queued for a disabled endpoint');
    const enabled = await owner.inject({ method: 'PATCH', url: `/api/v1/webhooks/${hook.id}`, payload: { enabled: true } });
    assert.deepEqual(
      { state: json<{ state: string }>(enabled).state, failingSince: json<{ failingSince: null }>(enabled).failingSince },
      { state: 'enabled', failingSince: null },
    );
  });

  test('a private target is refused again at delivery time when private networks are not allowed', async () => {
    receiver = await new Receiver().start();
    const hook = await register(receiver.url, ['checkin.created']);
    workers.push(workerFor(running, { allowPrivateNetworks: false, retryDelaysSeconds: [3600] }));
    await checkIn('Guarded');
    let items: { ok: boolean; status: number | null; error: string }[] = [];
    for (let i = 0; i < 50 && items.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      items = json<{ items: typeof items }>(await owner.inject({ url: `/api/v1/webhooks/${hook.id}/deliveries` })).items;
    }
    assert.equal(items.length, 1);
    assert.equal(items[0]!.ok, false);
    assert.equal(items[0]!.status, null);
    assert.match(items[0]!.error, /refused.*127\.0\.0\.1/);
    assert.equal(receiver.received.length, 0, 'nothing was sent');
  });
});
