// SQL for groups (rosters), memberships and excuses.
import type { Queryable } from '../../db/database.js';
import { PERSON_COLUMNS, type Person } from '../people/person-repository.js';

export interface Schedule {
  from: string | null;
  to: string | null;
  /** ISO weekdays, 1 = Monday … 7 = Sunday, ascending. */
  weekdays: number[];
  /** Explicit extra days, ascending. */
  dates: string[];
  /** HH:MM local time, or null. */
  startTime: string | null;
  graceMinutes: number;
}

export interface Group {
  id: number;
  name: string;
  schedule: Schedule;
  memberCount: number;
  createdAt: string;
  updatedAt: string;
}

// Arrays and dates are rendered by PostgreSQL as JSON, so both drivers hand back the same values.
const GROUP_COLUMNS = `g.id, g.name,
  json_build_object('from', g.starts_on, 'to', g.ends_on, 'weekdays', to_json(g.weekdays),
                    'dates', (SELECT coalesce(json_agg(d ORDER BY d), '[]') FROM unnest(g.dates) AS d),
                    'startTime', to_char(g.start_time, 'HH24:MI'), 'graceMinutes', g.grace_minutes) AS schedule,
  (SELECT count(*)::int FROM group_members m WHERE m.group_id = g.id) AS "memberCount",
  to_json(g.created_at) #>> '{}' AS "createdAt", to_json(g.updated_at) #>> '{}' AS "updatedAt"`;

const scheduleParams = (s: Schedule) => [s.from, s.to, s.weekdays, s.dates, s.startTime, s.graceMinutes];

export async function insertGroup(db: Queryable, name: string, schedule: Schedule): Promise<Group> {
  const { rows } = await db.query<Group>(
    `INSERT INTO groups AS g (name, starts_on, ends_on, weekdays, dates, start_time, grace_minutes)
     VALUES ($1, $2::date, $3::date, $4::smallint[], $5::date[], $6::time, $7) RETURNING ${GROUP_COLUMNS}`,
    [name, ...scheduleParams(schedule)],
  );
  return rows[0]!;
}

export async function updateGroup(db: Queryable, id: number, name: string, schedule: Schedule): Promise<Group | undefined> {
  const { rows } = await db.query<Group>(
    `UPDATE groups AS g SET name = $2, starts_on = $3::date, ends_on = $4::date, weekdays = $5::smallint[], dates = $6::date[],
            start_time = $7::time, grace_minutes = $8, updated_at = now()
      WHERE g.id = $1 RETURNING ${GROUP_COLUMNS}`,
    [id, name, ...scheduleParams(schedule)],
  );
  return rows[0];
}

export async function findGroup(db: Queryable, id: number, lock = false): Promise<Group | undefined> {
  const { rows } = await db.query<Group>(`SELECT ${GROUP_COLUMNS} FROM groups g WHERE g.id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0];
}

export async function listGroups(db: Queryable, afterId: number, limit: number): Promise<Group[]> {
  const { rows } = await db.query<Group>(`SELECT ${GROUP_COLUMNS} FROM groups g WHERE g.id > $1 ORDER BY g.id LIMIT $2`, [afterId, limit]);
  return rows;
}

export async function deleteGroup(db: Queryable, id: number): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM groups WHERE id = $1`, [id]);
  return rowCount === 1;
}

// ---- Members -------------------------------------------------------------------------------------

export type Member = Person & { addedAt: string };

/** Adds a member; false when they already were one. */
export async function addMember(db: Queryable, groupId: number, personId: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO group_members (group_id, person_id) VALUES ($1, $2) ON CONFLICT (group_id, person_id) DO NOTHING`,
    [groupId, personId],
  );
  return rowCount === 1;
}

/** Adds many members at once; answers the ids that were not members before. */
export async function addMembers(db: Queryable, groupId: number, personIds: number[]): Promise<number[]> {
  const { rows } = await db.query<{ person_id: number }>(
    `INSERT INTO group_members (group_id, person_id) SELECT $1, p FROM unnest($2::bigint[]) AS p
     ON CONFLICT (group_id, person_id) DO NOTHING RETURNING person_id`,
    [groupId, personIds],
  );
  return rows.map((row) => Number(row.person_id));
}

export async function removeMember(db: Queryable, groupId: number, personId: number): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM group_members WHERE group_id = $1 AND person_id = $2`, [groupId, personId]);
  return rowCount === 1;
}

export async function isMember(db: Queryable, groupId: number, personId: number): Promise<boolean> {
  const { rows } = await db.query(`SELECT 1 FROM group_members WHERE group_id = $1 AND person_id = $2`, [groupId, personId]);
  return rows.length === 1;
}

export async function listMembers(db: Queryable, groupId: number): Promise<Member[]> {
  const { rows } = await db.query<Member>(
    `SELECT ${PERSON_COLUMNS}, to_json(m.added_at) #>> '{}' AS "addedAt"
       FROM group_members m JOIN people p ON p.id = m.person_id
      WHERE m.group_id = $1 ORDER BY p.lastname, p.firstname, p.id`,
    [groupId],
  );
  return rows;
}

// ---- Excuses -------------------------------------------------------------------------------------

export interface Excuse {
  groupId: number;
  personId: number;
  date: string;
  reason: string;
  excusedBy: string;
  excusedAt: string;
}

const EXCUSE_COLUMNS = `group_id AS "groupId", person_id AS "personId", to_char(day, 'YYYY-MM-DD') AS date, reason,
  excused_by AS "excusedBy", to_json(excused_at) #>> '{}' AS "excusedAt"`;

/** Sets (or replaces) an excuse; `created` tells which. */
export async function upsertExcuse(
  db: Queryable,
  excuse: { groupId: number; personId: number; date: string; reason: string; excusedBy: string },
): Promise<{ excuse: Excuse; created: boolean }> {
  const { rows } = await db.query<Excuse & { created: boolean }>(
    `INSERT INTO excuses AS e (group_id, person_id, day, reason, excused_by) VALUES ($1, $2, $3::date, $4, $5)
     ON CONFLICT (group_id, person_id, day) DO UPDATE SET reason = EXCLUDED.reason, excused_by = EXCLUDED.excused_by, excused_at = now()
     RETURNING ${EXCUSE_COLUMNS}, (xmax = 0) AS created`,
    [excuse.groupId, excuse.personId, excuse.date, excuse.reason, excuse.excusedBy],
  );
  const { created, ...row } = rows[0]!;
  return { excuse: row, created };
}

export async function deleteExcuse(db: Queryable, groupId: number, personId: number, date: string): Promise<Excuse | undefined> {
  const { rows } = await db.query<Excuse>(
    `DELETE FROM excuses WHERE group_id = $1 AND person_id = $2 AND day = $3::date RETURNING ${EXCUSE_COLUMNS}`,
    [groupId, personId, date],
  );
  return rows[0];
}
