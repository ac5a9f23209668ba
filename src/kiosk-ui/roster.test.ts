// The roster a kiosk keeps, over an in-memory store: lookups by badge, the name search, refreshing
// (new roster, 304, 401, no network) and forgetting it for other credentials.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { exportFileName } from './export-file.js';
import { MemoryRosterStore, ownerOf, Roster, type RosterAnswer, type RosterPerson } from './roster.js';

const people: RosterPerson[] = [
  { id: 1, firstname: 'Ada', lastname: 'Lovelace', badge: 'AdaBadge_0000000001' },
  { id: 2, firstname: 'Żaneta', lastname: 'Żółć', badge: 'ZanBadge_0000000002' },
  { id: 3, firstname: 'Grace', lastname: 'Hopper', badge: 'GraBadge_0000000003' },
  { id: 4, firstname: 'Miles', lastname: "O'Brien", badge: 'MilBadge_0000000004' },
];
const owner = ownerOf('brn_first-token');

async function loaded(store = new MemoryRosterStore()) {
  const roster = new Roster(store, owner);
  await roster.open();
  assert.equal(await roster.refresh(async () => ({ status: 200, etag: '"v1"', people })), 'updated');
  return { roster, store };
}

describe('the kiosk roster', () => {
  test('no roster yet: nothing is known, and nothing is refused (ready is false)', async () => {
    const roster = new Roster(new MemoryRosterStore(), owner);
    await roster.open();
    assert.equal(roster.ready, false);
    assert.equal(roster.byBadge(people[0]!.badge), undefined);
    assert.deepEqual(roster.search('ada'), []);
  });

  test('a badge names its person; an unknown badge is unknown', async () => {
    const { roster } = await loaded();
    assert.equal(roster.ready, true);
    assert.equal(roster.size, 4);
    assert.equal(roster.byBadge('ZanBadge_0000000002')?.firstname, 'Żaneta');
    assert.equal(roster.byBadge('NoSuchBadge_00000000'), undefined);
  });

  test('the name search folds like the server (accents, case, punctuation, either order) and sorts by name', async () => {
    const { roster } = await loaded();
    assert.deepEqual(
      roster.search('zolc').map((p) => p.id),
      [2],
    );
    assert.deepEqual(
      roster.search('obrien').map((p) => p.id),
      [4],
    );
    assert.deepEqual(
      roster.search('Lovelace, Ada').map((p) => p.id),
      [1],
    );
    assert.deepEqual(
      roster.search('a').map((p) => p.lastname),
      ['Hopper', 'Lovelace', 'Żółć'],
    );
    assert.deepEqual(roster.search('nobody'), []);
    assert.deepEqual(roster.search('  ,, '), []);
    assert.equal(roster.search('e', 2).length, 2, 'at most the limit');
  });

  test('kept across a reload (the store), for the same credentials only', async () => {
    const { store } = await loaded();
    const again = new Roster(store, owner);
    await again.open();
    assert.equal(again.byBadge('AdaBadge_0000000001')?.lastname, 'Lovelace');
    const other = new Roster(store, ownerOf('brn_another-token'));
    await other.open();
    assert.equal(other.ready, false, 'another token does not see it');
    assert.equal(store.snapshot, undefined, 'and it is forgotten');
  });

  test('refresh: the ETag held is sent; 304 keeps the roster; a new one replaces it; 401 forgets it; no network keeps it', async () => {
    const { roster, store } = await loaded();
    const asked: (string | undefined)[] = [];
    const answering = (answer: RosterAnswer) => async (etag: string | undefined) => {
      asked.push(etag);
      return answer;
    };
    const later = new Date('2026-12-06T12:00:00Z');
    assert.equal(await roster.refresh(answering({ status: 304 }), later), 'unchanged');
    assert.equal(roster.checkedAt, later.toISOString());
    assert.equal(roster.size, 4);
    assert.equal(await roster.refresh(answering({ status: 0 })), 'failed');
    assert.equal(await roster.refresh(answering({ status: 503 })), 'failed');
    assert.equal(await roster.refresh(answering({ status: 403 })), 'failed');
    assert.equal(roster.size, 4, 'kept through failures');
    const grown = [...people, { id: 5, firstname: 'Alan', lastname: 'Turing', badge: 'AlaBadge_0000000005' }];
    assert.equal(await roster.refresh(answering({ status: 200, etag: '"v2"', people: grown })), 'updated');
    assert.equal(roster.byBadge('AlaBadge_0000000005')?.firstname, 'Alan');
    assert.equal(store.snapshot?.etag, '"v2"');
    assert.deepEqual(asked, ['"v1"', '"v1"', '"v1"', '"v1"', '"v1"']);
    assert.equal(await roster.refresh(answering({ status: 401 })), 'forgotten');
    assert.equal(roster.ready, false);
    assert.equal(roster.byBadge('AdaBadge_0000000001'), undefined);
    assert.equal(store.snapshot, undefined);
    // A 304 with nothing held is no roster.
    assert.equal(await roster.refresh(answering({ status: 304 })), 'failed');
  });

  test('set up with another token: the roster is forgotten, and an answer asked for the old token is not kept', async () => {
    const { roster, store } = await loaded();
    let release!: (answer: RosterAnswer) => void;
    const pending = roster.refresh(() => new Promise((resolve) => (release = resolve)));
    await roster.changeOwner(ownerOf('brn_second-token'));
    assert.equal(roster.ready, false);
    release({ status: 200, etag: '"old"', people });
    assert.equal(await pending, 'failed');
    assert.equal(roster.ready, false);
    assert.equal(store.snapshot, undefined);
    await roster.changeOwner(ownerOf('brn_second-token'));
    assert.equal(await roster.refresh(async () => ({ status: 200, etag: '"new"', people })), 'updated');
    assert.equal((await store.load())?.owner, ownerOf('brn_second-token'));
  });

  test('owners: a fingerprint per token, not the token; no token is the session', () => {
    assert.equal(ownerOf(undefined), 'session');
    assert.match(ownerOf('brn_first-token'), /^token:[0-9a-f]{16}$/);
    assert.notEqual(ownerOf('brn_first-token'), ownerOf('brn_first-tokem'));
    assert.equal(ownerOf('brn_first-token'), owner);
    assert.ok(!ownerOf('brn_first-token').includes('first'));
  });

  test('a store that fails is no roster, never an error', async () => {
    const broken = {
      load: async () => Promise.reject(new Error('IndexedDB gone')),
      save: async () => Promise.reject(new Error('IndexedDB gone')),
      clear: async () => Promise.reject(new Error('IndexedDB gone')),
    };
    const roster = new Roster(broken, owner);
    await roster.open();
    assert.equal(roster.ready, false);
    assert.equal(await roster.refresh(async () => ({ status: 200, etag: '"v"', people })), 'updated');
    assert.equal(roster.byBadge('AdaBadge_0000000001')?.id, 1, 'held in memory all the same');
  });

  test('the download is named barona-kiosk-<gate>-YYYY-MM-DD-HHMM.json in local time', () => {
    assert.equal(exportFileName('North', new Date(2026, 11, 6, 23, 53)), 'barona-kiosk-North-2026-12-06-2353.json');
    assert.equal(exportFileName('Gate 7/B', new Date(2026, 0, 2, 3, 4)), 'barona-kiosk-Gate_7_B-2026-01-02-0304.json');
    assert.equal(exportFileName(undefined, new Date(2026, 0, 2, 3, 4)), 'barona-kiosk-gate-2026-01-02-0304.json');
  });
});
