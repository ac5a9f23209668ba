// GET /api/v1/days/{date}/summary in Europe/Berlin, on the days the clocks change, on PostgreSQL and PGlite.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, BACKENDS, backendName, startApiServer, type ApiServer } from '../support/api.js';

interface Counts {
  total: number;
  checkIns: number;
  checkOuts: number;
}
interface Summary extends Counts {
  date: string;
  timezone: string;
  people: number;
  inside: number;
  perGate: (Counts & { gate: string })[];
  perHour: (Counts & { start: string; localTime: string })[];
}

/** Rows at exact instants; name_key as the service computes it for plain ASCII names. */
const ROWS: [string, string, string, 'in' | 'out'][] = [
  // 29 March 2026: 02:00 CET becomes 03:00 CEST (23-hour day).
  ['2026-03-29T00:30:00+01:00', 'Anna Spring', 'A', 'in'],
  ['2026-03-29T01:59:59+01:00', 'Ben Spring', 'A', 'in'],
  ['2026-03-29T03:00:00+02:00', 'Carl Spring', 'B', 'in'],
  ['2026-03-29T03:10:00+02:00', 'Anna Spring', 'B', 'out'],
  ['2026-03-29T23:59:59+02:00', 'Dora Spring', 'B', 'in'],
  ['2026-03-28T23:59:59+01:00', 'Not That Day', 'A', 'in'],
  ['2026-03-30T00:00:00+02:00', 'Not That Day', 'A', 'in'],
  // 25 October 2026: 03:00 CEST becomes 02:00 CET (25-hour day, 02:00-03:00 twice).
  ['2026-10-25T02:30:00+02:00', 'Erik Autumn', 'A', 'in'],
  ['2026-10-25T02:30:00+01:00', 'Fred Autumn', 'A', 'in'],
  ['2026-10-25T02:45:00+01:00', 'Erik Autumn', 'A', 'out'],
  ['2026-10-25T23:00:00+01:00', 'Gina Autumn', 'C', 'in'],
];

const SEED_SQL = [
  `INSERT INTO checkins (login, firstname, lastname, gate, direction, name_key) VALUES ${ROWS.map(([at, name, gate, direction]) => {
    const [first, last] = name.split(' ');
    return `('${at}', '${first}', '${last}', '${gate}', '${direction}', '${name.toLowerCase()}')`;
  }).join(', ')};`,
  // A deleted entry counts nowhere.
  `INSERT INTO checkins (login, firstname, lastname, gate, direction, name_key, deleted_at)
     VALUES ('2026-03-29T12:00:00+02:00', 'Gone', 'Spring', 'A', 'in', 'gone spring', now());`,
].join('\n');

for (const backend of BACKENDS) {
  describe(`/api/v1/days/{date}/summary on ${backendName(backend)}`, () => {
    let app: ApiServer;
    const summary = async (date: string) => {
      const response = await api<Summary>(`${app.server.url}/api/v1/days/${date}/summary`);
      assert.equal(response.status, 200, response.text);
      return response.body;
    };

    before(async () => {
      app = await startApiServer(backend, { APP_TIMEZONE: 'Europe/Berlin' }, SEED_SQL);
    });
    after(async () => app.stop());

    test('the spring-forward day has 23 hourly buckets and counts each entry in its local hour', async () => {
      const day = await summary('2026-03-29');
      assert.equal(day.date, '2026-03-29');
      assert.equal(day.timezone, 'Europe/Berlin');
      assert.equal(day.perHour.length, 23);
      assert.deepEqual(
        day.perHour.map((h) => h.localTime),
        ['00', '01', ...Array.from({ length: 21 }, (_, i) => String(i + 3).padStart(2, '0'))].map((h) => `${h}:00`),
      );
      assert.equal(day.perHour[0]!.start, '2026-03-29T00:00:00+01:00');
      assert.equal(day.perHour[2]!.start, '2026-03-29T03:00:00+02:00');
      const byTime = Object.fromEntries(day.perHour.map((h) => [h.localTime, h]));
      assert.deepEqual(byTime['00:00'], { start: '2026-03-29T00:00:00+01:00', localTime: '00:00', total: 1, checkIns: 1, checkOuts: 0 });
      assert.equal(byTime['01:00']!.total, 1);
      assert.deepEqual([byTime['03:00']!.checkIns, byTime['03:00']!.checkOuts], [1, 1]);
      assert.equal(byTime['23:00']!.total, 1);
      assert.equal(
        day.perHour.reduce((sum, h) => sum + h.total, 0),
        5,
        'every entry of the day in exactly one bucket',
      );

      assert.deepEqual([day.total, day.checkIns, day.checkOuts, day.people], [5, 4, 1, 4]);
      assert.equal(day.inside, 3, 'Anna went in and out; Ben, Carl and Dora are inside');
      assert.deepEqual(day.perGate, [
        { gate: 'A', total: 2, checkIns: 2, checkOuts: 0 },
        { gate: 'B', total: 3, checkIns: 2, checkOuts: 1 },
      ]);
    });

    test('the fall-back day has 25 hourly buckets, 02:00 twice with different offsets', async () => {
      const day = await summary('2026-10-25');
      assert.equal(day.perHour.length, 25);
      const twoOClock = day.perHour.filter((h) => h.localTime === '02:00');
      assert.deepEqual(
        twoOClock.map((h) => [h.start, h.total, h.checkOuts]),
        [
          ['2026-10-25T02:00:00+02:00', 1, 0],
          ['2026-10-25T02:00:00+01:00', 2, 1],
        ],
      );
      assert.equal(day.perHour.at(-1)!.start, '2026-10-25T23:00:00+01:00');
      assert.equal(day.perHour.at(-1)!.total, 1);
      assert.deepEqual([day.total, day.people, day.inside], [4, 3, 2]);
    });

    test('an ordinary day has 24 buckets; an empty day is all zeros', async () => {
      const day = await summary('2026-06-01');
      assert.equal(day.perHour.length, 24);
      assert.deepEqual([day.total, day.inside, day.perGate.length], [0, 0, 0]);
      assert.ok(day.perHour.every((h) => h.total === 0 && h.start.endsWith('+02:00')));
    });

    test('the attendance sheet and the list agree on the DST day, without the deleted entry', async () => {
      const sheet = (await api<{ lastname: string }[]>(`${app.server.url}/table/view/date:20260329`)).body;
      assert.equal(sheet.length, 5);
      assert.ok(sheet.every((row) => row.lastname === 'Spring'));
      const list = await api<{ items: unknown[] }>(`${app.server.url}/api/v1/checkins?date=2026-03-29`);
      assert.equal(list.body.items.length, 5);
    });
  });
}
