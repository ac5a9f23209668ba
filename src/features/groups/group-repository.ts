// SQL for groups (rosters), memberships, excuses and cells marked by hand. Times are written in
// `timezone` (APP_TIMEZONE) by SQL that does not depend on the session's time zone (zonedIsoSql).
import type { Queryable } from '../../db/database.js';
import { sqlText, zonedIsoSql } from '../../domain/attendance-day.js';
import { personColumns, type Person } from '../people/person-repository.js';

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

/** A timestamptz column written in APP_TIMEZONE as PostgreSQL's JSON would in a session of that zone. */
const at = (column: string, timezone: string) => zonedIsoSql(column, sqlText(timezone));

// Arrays and dates are rendered by PostgreSQL as JSON, so both drivers hand back the same values.
const groupColumns = (timezone: string) => `g.id, g.name,
  json_build_object('from', g.starts_on, 'to', g.ends_on, 'weekdays', to_json(g.weekdays),
                    'dates', (SELECT coalesce(json_agg(d ORDER BY d), '[]') FROM unnest(g.dates) AS d),
                    'startTime', to_char(g.start_time, 'HH24:MI'), 'graceMinutes', g.grace_minutes) AS schedule,
  (SELECT count(*)::int FROM group_members m WHERE m.group_id = g.id) AS "memberCount",
  ${at('g.created_at', timezone)} AS "createdAt", ${at('g.updated_at', timezone)} AS "updatedAt"`;

const scheduleParams = (s: Schedule) => [s.from, s.to, s.weekdays, s.dates, s.startTime, s.graceMinutes];

export async function insertGroup(db: Queryable, timezone: string, name: string, schedule: Schedule): Promise<Group> {
  const { rows } = await db.query<Group>(
    `INSERT INTO groups AS g (name, starts_on, ends_on, weekdays, dates, start_time, grace_minutes)
     VALUES ($1, $2::date, $3::date, $4::smallint[], $5::date[], $6::time, $7) RETURNING ${groupColumns(timezone)}`,
    [name, ...scheduleParams(schedule)],
  );
  return rows[0]!;
}

export async function updateGroup(
  db: Queryable,
  timezone: string,
  id: number,
  name: string,
  schedule: Schedule,
): Promise<Group | undefined> {
  const { rows } = await db.query<Group>(
    `UPDATE groups AS g SET name = $2, starts_on = $3::date, ends_on = $4::date, weekdays = $5::smallint[], dates = $6::date[],
            start_time = $7::time, grace_minutes = $8, updated_at = now()
      WHERE g.id = $1 RETURNING ${groupColumns(timezone)}`,
    [id, name, ...scheduleParams(schedule)],
  );
  return rows[0];
}

export async function findGroup(db: Queryable, timezone: string, id: number, lock = false): Promise<Group | undefined> {
  const { rows } = await db.query<Group>(`SELECT ${groupColumns(timezone)} FROM groups g WHERE g.id = $1${lock ? ' FOR UPDATE' : ''}`, [
    id,
  ]);
  return rows[0];
}

/** Which groups a list holds: only these ids (a leader's groups), and names containing every folded word. */
export interface GroupFilter {
  ids?: readonly number[];
  /** Words folded by personFold: each must occur in the group's folded name. */
  terms?: readonly string[];
}

export async function listGroups(
  db: Queryable,
  timezone: string,
  afterId: number,
  limit: number,
  filter: GroupFilter = {},
): Promise<Group[]> {
  const params: unknown[] = [afterId, limit];
  const where = ['g.id > $1'];
  if (filter.ids !== undefined) where.push(`g.id = ANY ($${params.push(filter.ids)}::bigint[])`);
  if (filter.terms !== undefined && filter.terms.length > 0) {
    where.push(`person_fold(g.name) LIKE ALL ($${params.push(filter.terms.map((term) => `%${term}%`))}::text[])`);
  }
  const { rows } = await db.query<Group>(
    `SELECT ${groupColumns(timezone)} FROM groups g WHERE ${where.join(' AND ')} ORDER BY g.id LIMIT $2`,
    params,
  );
  return rows;
}

export async function deleteGroup(db: Queryable, id: number): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM groups WHERE id = $1`, [id]);
  return rowCount === 1;
}

// ---- Members -------------------------------------------------------------------------------------

/** `since` and `until`: the first and last day the member is counted (YYYY-MM-DD), null = open. */
export type Member = Person & { addedAt: string; since: string | null; until: string | null };

/** A membership's days: a field left out keeps its value (a new member: since today, no end). */
export interface MembershipDays {
  since?: string | null;
  until?: string | null;
}

/** Adds a member counted from `since` to `until`; false when they already were one (then nothing changes). */
export async function addMember(
  db: Queryable,
  groupId: number,
  personId: number,
  days: { since: string | null; until: string | null },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO group_members (group_id, person_id, since, until) VALUES ($1, $2, $3::date, $4::date)
     ON CONFLICT (group_id, person_id) DO NOTHING`,
    [groupId, personId, days.since, days.until],
  );
  return rowCount === 1;
}

/** A membership as stored, locked until the transaction ends; undefined when the person is not a member. */
export async function findMembership(
  db: Queryable,
  groupId: number,
  personId: number,
): Promise<{ since: string | null; until: string | null } | undefined> {
  const { rows } = await db.query<{ since: string | null; until: string | null }>(
    `SELECT to_char(since, 'YYYY-MM-DD') AS since, to_char(until, 'YYYY-MM-DD') AS until
       FROM group_members WHERE group_id = $1 AND person_id = $2 FOR UPDATE`,
    [groupId, personId],
  );
  return rows[0];
}

export async function updateMembership(
  db: Queryable,
  groupId: number,
  personId: number,
  days: { since: string | null; until: string | null },
): Promise<void> {
  await db.query(`UPDATE group_members SET since = $3::date, until = $4::date WHERE group_id = $1 AND person_id = $2`, [
    groupId,
    personId,
    days.since,
    days.until,
  ]);
}

/** The groups a person is a member of, by name. */
export async function membershipsOf(
  db: Queryable,
  personId: number,
): Promise<{ groupId: number; name: string; since: string | null; until: string | null }[]> {
  const { rows } = await db.query<{ groupId: number; name: string; since: string | null; until: string | null }>(
    `SELECT g.id AS "groupId", g.name, to_char(m.since, 'YYYY-MM-DD') AS since, to_char(m.until, 'YYYY-MM-DD') AS until
       FROM group_members m JOIN groups g ON g.id = m.group_id
      WHERE m.person_id = $1 ORDER BY g.name, g.id`,
    [personId],
  );
  return rows.map((row) => ({ ...row, groupId: Number(row.groupId) }));
}

/** Adds many members at once; answers the ids that were not members before. */
/** Makes people members counted from `since` (today's attendance day: not the database's current_date). */
export async function addMembers(db: Queryable, groupId: number, personIds: number[], since: string): Promise<number[]> {
  const { rows } = await db.query<{ person_id: number }>(
    `INSERT INTO group_members (group_id, person_id, since) SELECT $1, p, $3::date FROM unnest($2::bigint[]) AS p
     ON CONFLICT (group_id, person_id) DO NOTHING RETURNING person_id`,
    [groupId, personIds, since],
  );
  return rows.map((row) => Number(row.person_id));
}

/** A person an imported line may be, as the import compares them. */
export interface KnownPerson {
  id: number;
  firstname: string;
  lastname: string;
  externalRef: string | null;
  email: string | null;
  /** Already a member of the group. */
  member: boolean;
}

/** What the database knows of one imported line (in the order of the lines). */
export interface ImportMatch {
  /** The line's folded "firstname lastname" (person_fold). */
  key: string;
  /** The person with its external reference; without one, the first member of the group with its folded name. */
  known: KnownPerson | null;
  /** Without an external reference: how many members of the group have its folded name. */
  matches: number;
}

/** Who each imported line is, in one query (see member-import.ts for the rule). */
export async function matchImportLines(
  db: Queryable,
  groupId: number,
  lines: readonly { firstname: string; lastname: string; externalRef: string | null }[],
): Promise<ImportMatch[]> {
  const { rows } = await db.query<ImportMatch & { ord: number }>(
    `WITH input AS (
       SELECT r.ord::int AS ord, r.ref, person_fold(r.fn || ' ' || r.ln) AS key
         FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS r(fn, ln, ref, ord)
     )
     SELECT i.ord, i.key,
            (SELECT count(*)::int FROM group_members m JOIN people p ON p.id = m.person_id
              WHERE i.ref IS NULL AND m.group_id = $1 AND p.match_key = i.key) AS matches,
            (SELECT json_build_object('id', p.id, 'firstname', p.firstname, 'lastname', p.lastname, 'externalRef', p.external_ref,
                                      'email', p.email,
                                      'member', EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = $1 AND m.person_id = p.id))
               FROM people p
              WHERE (i.ref IS NOT NULL AND p.external_ref = i.ref)
                 OR (i.ref IS NULL AND p.match_key = i.key AND p.id IN (SELECT person_id FROM group_members WHERE group_id = $1))
              ORDER BY p.id LIMIT 1) AS known
       FROM input i ORDER BY i.ord`,
    [groupId, lines.map((l) => l.firstname), lines.map((l) => l.lastname), lines.map((l) => l.externalRef)],
  );
  return rows.map(({ key, known, matches }) => ({ key, known: known === null ? null : { ...known, id: Number(known.id) }, matches }));
}

export async function removeMember(db: Queryable, groupId: number, personId: number): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM group_members WHERE group_id = $1 AND person_id = $2`, [groupId, personId]);
  return rowCount === 1;
}

export async function isMember(db: Queryable, groupId: number, personId: number): Promise<boolean> {
  const { rows } = await db.query(`SELECT 1 FROM group_members WHERE group_id = $1 AND person_id = $2`, [groupId, personId]);
  return rows.length === 1;
}

export async function listMembers(db: Queryable, timezone: string, groupId: number): Promise<Member[]> {
  const { rows } = await db.query<Member>(
    `SELECT ${personColumns(timezone)}, ${at('m.added_at', timezone)} AS "addedAt",
            to_char(m.since, 'YYYY-MM-DD') AS since, to_char(m.until, 'YYYY-MM-DD') AS until
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

const excuseColumns = (timezone: string) => `group_id AS "groupId", person_id AS "personId", to_char(day, 'YYYY-MM-DD') AS date, reason,
  excused_by AS "excusedBy", ${at('excused_at', timezone)} AS "excusedAt"`;

/** Sets (or replaces) an excuse; `created` tells which. */
export async function upsertExcuse(
  db: Queryable,
  timezone: string,
  excuse: { groupId: number; personId: number; date: string; reason: string; excusedBy: string },
): Promise<{ excuse: Excuse; created: boolean }> {
  const { rows } = await db.query<Excuse & { created: boolean }>(
    `INSERT INTO excuses AS e (group_id, person_id, day, reason, excused_by) VALUES ($1, $2, $3::date, $4, $5)
     ON CONFLICT (group_id, person_id, day) DO UPDATE SET reason = EXCLUDED.reason, excused_by = EXCLUDED.excused_by, excused_at = now()
     RETURNING ${excuseColumns(timezone)}, (xmax = 0) AS created`,
    [excuse.groupId, excuse.personId, excuse.date, excuse.reason, excuse.excusedBy],
  );
  const { created, ...row } = rows[0]!;
  return { excuse: row, created };
}

export async function deleteExcuse(
  db: Queryable,
  timezone: string,
  groupId: number,
  personId: number,
  date: string,
): Promise<Excuse | undefined> {
  const { rows } = await db.query<Excuse>(
    `DELETE FROM excuses WHERE group_id = $1 AND person_id = $2 AND day = $3::date RETURNING ${excuseColumns(timezone)}`,
    [groupId, personId, date],
  );
  return rows[0];
}

// ---- Cells marked by hand (present, late, absent; excused days are excuses) ------------------------

export interface Mark {
  groupId: number;
  personId: number;
  date: string;
  status: 'present' | 'late' | 'absent';
  reason: string | null;
  markedBy: string;
  markedAt: string;
}

const markColumns = (
  timezone: string,
) => `group_id AS "groupId", person_id AS "personId", to_char(day, 'YYYY-MM-DD') AS date, status, reason,
  marked_by AS "markedBy", ${at('marked_at', timezone)} AS "markedAt"`;

const markOf = (row: Mark): Mark => ({ ...row, groupId: Number(row.groupId), personId: Number(row.personId) });

export async function upsertMark(
  db: Queryable,
  timezone: string,
  mark: { groupId: number; personId: number; date: string; status: Mark['status']; reason: string | null; markedBy: string },
): Promise<Mark> {
  const { rows } = await db.query<Mark>(
    `INSERT INTO register_marks (group_id, person_id, day, status, reason, marked_by) VALUES ($1, $2, $3::date, $4, $5, $6)
     ON CONFLICT (group_id, person_id, day) DO UPDATE
       SET status = EXCLUDED.status, reason = EXCLUDED.reason, marked_by = EXCLUDED.marked_by, marked_at = now()
     RETURNING ${markColumns(timezone)}`,
    [mark.groupId, mark.personId, mark.date, mark.status, mark.reason, mark.markedBy],
  );
  return markOf(rows[0]!);
}

export async function deleteMark(
  db: Queryable,
  timezone: string,
  groupId: number,
  personId: number,
  date: string,
): Promise<Mark | undefined> {
  const { rows } = await db.query<Mark>(
    `DELETE FROM register_marks WHERE group_id = $1 AND person_id = $2 AND day = $3::date RETURNING ${markColumns(timezone)}`,
    [groupId, personId, date],
  );
  return rows[0] && markOf(rows[0]);
}
