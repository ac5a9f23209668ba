// The attendance-day SQL helpers against PostgreSQL itself: isoJsonSql (the JSON text the register
// assembles by hand) writes exactly what to_json of isoSql writes, across a DST change, with fractions
// of a second and for NULL, in any session time zone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { AttendanceDays } from '../../src/domain/attendance-day.js';

let client: pg.Client;
before(async () => {
  client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await client.connect();
});
after(() => client.end());

const instants = [
  '2026-10-24T22:00:00Z',
  '2026-10-25T00:59:59.999999Z',
  '2026-10-25T01:00:00Z', // the clocks go back: +02:00 ends here
  '2026-10-25T09:10:00.7Z',
  '2026-10-31T22:59:59.5Z',
  null,
];

for (const [zone, session] of [
  ['Europe/Berlin', 'UTC'],
  ['Europe/Berlin', 'Pacific/Kiritimati'],
  ['America/St_Johns', 'Asia/Kolkata'],
  ['UTC', 'Europe/Berlin'],
] as const) {
  test(`isoJsonSql in ${zone} (session ${session}) is to_json of isoSql`, async () => {
    const days = new AttendanceDays(zone);
    const span = days.span('2026-10-24', '2026-10-31');
    await client.query(`SET TIME ZONE '${session}'`);
    const { rows } = await client.query<{ hand: string; json: string | null }>(
      `SELECT ${days.isoJsonSql('t', span)} AS hand, to_json(${days.isoSql('t', span)})::text AS json
         FROM unnest($1::timestamptz[]) AS u(t)`,
      [instants],
    );
    assert.equal(rows.length, instants.length);
    for (const [i, row] of rows.entries()) {
      assert.equal(row.hand, row.json ?? 'null', `instant ${instants[i]}`);
      JSON.parse(row.hand);
    }
    assert.equal(rows.at(-1)!.hand, 'null');
  });
}
