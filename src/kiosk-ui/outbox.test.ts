// The outbox, which must never lose a check-in, over an in-memory store: what is kept, what leaves
// (only a delivered or already-gone item), what is held with its reason, the order and the retries.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Courier, deliveryKind, Outbox, type Delivery, type OutboxItem, RETRY_MAX_MS, RETRY_MIN_MS, type Timers } from './outbox.js';
import { MemoryStore } from './store.js';

const item = (key: string, extra: Partial<OutboxItem> = {}): OutboxItem => ({
  key,
  at: '2026-12-06T10:00:00.000Z',
  label: `Person ${key}`,
  body: { firstname: 'Person', lastname: key, gate: 'North', direction: 'in', occurredAt: '2026-12-06T10:00:00.000Z' },
  ...extra,
});
const answer = (status: number, body: Delivery['body'] = {}): Delivery => ({ kind: deliveryKind(status), status, body });

/** Timers the test runs by hand: the courier's next round is recorded, not started. */
class ManualTimers implements Timers {
  scheduled: { callback: () => void; ms: number }[] = [];
  setTimeout(callback: () => void, ms: number): unknown {
    const entry = { callback, ms };
    this.scheduled.push(entry);
    return entry;
  }
  clearTimeout(handle: unknown): void {
    this.scheduled = this.scheduled.filter((entry) => entry !== handle);
  }
}

function setUp(answers: (item: OutboxItem) => Delivery | Promise<Delivery>, online = () => true) {
  const store = new MemoryStore();
  const outbox = new Outbox(store);
  const timers = new ManualTimers();
  const sent: string[] = [];
  const delivered: string[] = [];
  const courier = new Courier({
    outbox,
    send: async (one) => {
      sent.push(one.key);
      return answers(one);
    },
    online,
    delivered: (one) => delivered.push(one.key),
    timers,
  });
  return { store, outbox, timers, sent, delivered, courier };
}

describe('the outbox', () => {
  test('statuses: 2xx delivered, 401/403 refused, 409 gone, no answer/408/429/5xx retried, other 4xx invalid', () => {
    assert.deepEqual([201, 200, 401, 403, 409, 0, 408, 429, 500, 503, 400, 404, 422].map(deliveryKind), [
      'done',
      'done',
      'refused',
      'refused',
      'gone',
      'retry',
      'retry',
      'retry',
      'retry',
      'retry',
      'invalid',
      'invalid',
      'invalid',
    ]);
  });

  test('keeps items across instances (a reload), replaces one with the same key, survives a store of garbage', () => {
    const store = new MemoryStore();
    new Outbox(store).keep(item('a'));
    new Outbox(store).keep(item('b'));
    new Outbox(store).keep(item('a', { label: 'Again' }));
    assert.deepEqual(
      new Outbox(store).items().map((one) => [one.key, one.label]),
      [
        ['b', 'Person b'],
        ['a', 'Again'],
      ],
    );
    store.setItem('barona.kiosk.outbox', '{not json');
    assert.deepEqual(new Outbox(store).items(), []);
    store.setItem('barona.kiosk.outbox', '{"an":"object"}');
    assert.deepEqual(new Outbox(store).items(), []);
  });

  test('a full store throws on keep: the caller learns the item was not kept', () => {
    const store = new MemoryStore();
    store.failWrites = true;
    assert.throws(() => new Outbox(store).keep(item('a')), /Quota/);
  });

  test('a round delivers oldest first; delivered items leave, each reported once', async () => {
    const { outbox, courier, sent, delivered, timers } = setUp((one) => answer(201, { id: 1, firstname: 'Person', lastname: one.key }));
    for (const key of ['a', 'b', 'c']) outbox.keep(item(key));
    await courier.flush();
    assert.deepEqual(sent, ['a', 'b', 'c']);
    assert.deepEqual(delivered, ['a', 'b', 'c']);
    assert.deepEqual(outbox.items(), []);
    assert.equal(timers.scheduled.length, 0, 'nothing left: no retry');
  });

  test('no network: the round stops at the first failure, keeps everything, and retries with a doubling delay up to the maximum', async () => {
    const { outbox, courier, sent, timers } = setUp(() => answer(0));
    for (const key of ['a', 'b']) outbox.keep(item(key));
    const delays: number[] = [];
    for (let round = 0; round < 8; round++) {
      await courier.flush();
      delays.push(timers.scheduled.at(-1)!.ms);
    }
    assert.deepEqual(sent, Array(8).fill('a'), 'never past the first');
    assert.equal(outbox.items().length, 2);
    assert.deepEqual(delays, [2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
    assert.equal(delays[0], RETRY_MIN_MS);
    assert.equal(delays.at(-1), RETRY_MAX_MS);
    courier.resetBackoff();
    assert.equal(courier.retryDelay, RETRY_MIN_MS);
  });

  test('offline (navigator.onLine false): nothing is attempted, everything kept', async () => {
    const { outbox, courier, sent } = setUp(
      () => answer(201),
      () => false,
    );
    outbox.keep(item('a'));
    await courier.flush();
    assert.deepEqual(sent, []);
    assert.equal(outbox.items().length, 1);
  });

  test('refused for good: held with the reason (never dropped), not sent again unless asked; a new token releases it', async () => {
    const { outbox, courier, sent } = setUp((one) =>
      one.key === 'badge' ? answer(404, { detail: 'No badge', errors: [{ field: 'badge' }] }) : answer(401, { detail: 'nope' }),
    );
    outbox.keep(item('token'));
    outbox.keep(item('badge', { body: { badge: 'NoSuchBadge_0123456789', gate: 'North', direction: 'in', occurredAt: 'x' } }));
    await courier.flush();
    const held = outbox.held();
    assert.equal(held.length, 2);
    assert.match(held.find((one) => one.key === 'token')!.held!.reason, /no longer accepts this kiosk's gate token/);
    assert.equal(held.find((one) => one.key === 'badge')!.held!.badge, true);
    assert.equal(held.find((one) => one.key === 'badge')!.held!.status, 404);

    await courier.flush();
    assert.deepEqual(sent, ['token', 'badge'], 'held items wait for staff');
    await courier.flush({ includeHeld: true });
    assert.deepEqual(sent, ['token', 'badge', 'token', 'badge'], "staff's Send them now tries them again");
    assert.equal(outbox.held().length, 2, 'still held, never dropped');

    // A refused token's items (401/403) wait again once staff set a new token; an unknown badge stays held.
    outbox.releaseRefused();
    assert.deepEqual(
      outbox.waiting().map((one) => one.key),
      ['token'],
    );
    assert.equal(outbox.waiting()[0]!.held, undefined);
    assert.deepEqual(
      outbox.held().map((one) => one.key),
      ['badge'],
    );
  });

  test('409 (delivered before, deleted since) leaves; a bad request is held with the server’s words', async () => {
    const { outbox, courier } = setUp((one) => (one.key === 'gone' ? answer(409) : answer(400, { detail: 'occurredAt is too far back' })));
    outbox.keep(item('gone'));
    outbox.keep(item('bad'));
    await courier.flush();
    assert.deepEqual(
      outbox.items().map((one) => [one.key, one.held?.reason]),
      [['bad', 'occurredAt is too far back']],
    );
  });

  test('an item undone (removed) while a round runs is not sent, nor put back', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { outbox, courier, sent } = setUp(async (one) => {
      if (one.key === 'a') await gate;
      return one.key === 'a' ? answer(401) : answer(201, { id: 2 });
    });
    outbox.keep(item('a'));
    outbox.keep(item('b'));
    const round = courier.flush();
    assert.equal(courier.busy, true);
    // While 'a' is on its way: 'a' and 'b' are undone.
    outbox.remove('a');
    outbox.remove('b');
    release();
    await round;
    assert.deepEqual(sent, ['a'], "'b' was never sent");
    assert.deepEqual(outbox.items(), [], "'a' refused after its undo is not kept again");
  });

  test('one round at a time; an item kept during a round is sent by the next one', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { outbox, courier, sent, timers } = setUp(async (one) => {
      if (one.key === 'a') await gate;
      return answer(201, { id: 1 });
    });
    outbox.keep(item('a'));
    const first = courier.flush();
    await courier.flush(); // returns at once: a round is running
    courier.schedule(); // likewise: the running round schedules its successor
    outbox.keep(item('late'));
    release();
    await first;
    assert.deepEqual(sent, ['a']);
    assert.equal(timers.scheduled.length, 1, 'the next round is scheduled');
    assert.equal(timers.scheduled[0]!.ms, RETRY_MIN_MS);
    timers.scheduled[0]!.callback();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sent, ['a', 'late']);
    assert.deepEqual(outbox.items(), []);
  });

  test('exported items are marked, and only those are removed', () => {
    const outbox = new Outbox(new MemoryStore());
    for (const key of ['a', 'b', 'c']) outbox.keep(item(key));
    outbox.markExported(new Set(['a', 'c']));
    outbox.keep(item('d'));
    assert.equal(outbox.removeExported(), 2);
    assert.deepEqual(
      outbox.items().map((one) => one.key),
      ['b', 'd'],
    );
  });
});
