// A large register is computed as two halves of the member list on two connections at once
// (register.ts): the joined halves must be exactly the register computed in one piece, whatever the
// matching of check-ins to members (by person id, by a folded name unique in the group, a name two
// members share), marks, excuses and memberships that start within the range. Against PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { attendanceDays } from '../../domain/attendance-day.js';
import { type Database, openDatabase } from '../../db/database.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { registerJson, registerParts, type Register } from './register.js';

let database: TestDatabase;
let db: Database;
const days = attendanceDays({ timezone: 'Europe/Berlin', dayStartsAt: '04:00' });

before(async () => {
  database = await createTestDatabase();
  db = await openDatabase({ kind: 'postgres', connectionString: database.url, poolMax: 4, display: 'test' }, { timezone: 'Europe/Berlin' });
  // 180 members × 31 days = 5,580 cells: above the size that is split in two.
  await db.exec(`
    INSERT INTO people (id, firstname, lastname, external_ref, badge)
    SELECT i, 'Pupil' || i, CASE WHEN i IN (7, 8) THEN 'Twin' ELSE 'Class-' || (i % 37) END, 'R' || i, md5('badge' || i)
      FROM generate_series(1, 180) AS i;
    UPDATE people SET firstname = 'Same' WHERE id IN (7, 8);
    INSERT INTO groups (id, name, starts_on, ends_on, weekdays, start_time, grace_minutes)
    VALUES (1, 'Big "class"', '2026-10-01', '2026-10-31', '{1,2,3,4,5,6,7}', '09:00', 5);
    INSERT INTO group_members (group_id, person_id, since, until)
    SELECT 1, i, CASE WHEN i % 11 = 0 THEN date '2026-10-12' ELSE date '2026-09-01' END,
           CASE WHEN i % 13 = 0 THEN date '2026-10-20' END FROM generate_series(1, 180) AS i;
    INSERT INTO checkins (login, person_id, firstname, lastname, gate, direction)
    SELECT d + time '08:40' + make_interval(mins => (i * 7 + extract(day FROM d)::int) % 50),
           CASE WHEN i % 2 = 0 THEN i END, p.firstname, p.lastname, 'A', 'in'
      FROM generate_series(1, 180) AS i JOIN people p ON p.id = i,
           generate_series(timestamp '2026-10-01', timestamp '2026-10-31', interval '1 day') AS d
     WHERE (i + extract(day FROM d)::int) % 6 <> 0;
    INSERT INTO checkins (login, firstname, lastname, gate, direction) VALUES ('2026-10-05 15:00+02', 'Pupil3', 'Class-3', 'A', 'out');
    INSERT INTO register_marks (group_id, person_id, day, status, reason, marked_by) VALUES (1, 5, '2026-10-03', 'absent', 'Ill', 'admin');
    INSERT INTO excuses (group_id, person_id, day, reason, excused_by) VALUES (1, 170, '2026-10-04', 'Dentist', 'admin');
  `);
});
after(async () => {
  await db.close();
  await database.drop();
});

test('a register split in two halves is the register computed in one piece', async () => {
  // 180 × 31 cells: two parts on the pool; one on a transaction's single connection.
  assert.equal(registerParts(db, 180 * 31), 2);
  assert.equal(await db.transaction(async (tx) => registerParts(tx, 180 * 31)), 1);
  assert.equal(registerParts(db, 100 * 31), 1);
  const split = await registerJson(db, days, 1, '2026-10-01', '2026-10-31');
  const whole = await db.transaction((tx) => registerJson(tx, days, 1, '2026-10-01', '2026-10-31'));
  assert.ok(split && whole);
  const [a, b] = [JSON.parse(split) as Register, JSON.parse(whole) as Register];
  assert.deepEqual(a, b);
  assert.equal(a.members.length, 180);
  assert.equal(a.days.length, 31);
  // The order is the register's (last name, first name, id, as the database sorts them) across the seam.
  const { rows } = await db.query<{ id: number }>(`SELECT id FROM people ORDER BY lastname, firstname, id`);
  assert.deepEqual(
    a.members.map((m) => m.person.id),
    rows.map((row) => row.id),
  );
  // Day totals add up the halves: every listed member has a cell each day.
  for (const day of a.days) {
    const counted = a.members.filter((m) => m.attendance.find((c) => c.date === day.date)?.status !== 'not-member').length;
    const { present, late, absent, excused, upcoming } = day.totals;
    assert.equal(present + late + absent + excused + upcoming, counted, day.date);
  }
  assert.equal(a.group.name, 'Big "class"');
  assert.equal(a.members.find((m) => m.person.id === 5)!.attendance.find((c) => c.date === '2026-10-03')!.marked?.reason, 'Ill');
});
